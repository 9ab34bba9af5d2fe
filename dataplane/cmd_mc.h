/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the memcached command files (cmd_mc.c, cmd_mc_meta.c, mc_stats.c). */
#ifndef SS_DATAPLANE_CMD_MC_H
#define SS_DATAPLANE_CMD_MC_H

#include "dataplane/proto/mc_parse.h"

struct conn;
struct cmd;

/*
 * What "version" and stats "version" say: the memcached release whose
 * protocol we follow, then ours. Clients read the leading number as a
 * memcached version (libmemcached refuses a major version 0, and gates
 * features such as touch on it), so it must come first.
 */
#define MC_VERSION_STRING "1.6.18-slipstream-" SS_VERSION

/* The meta command for cmd (mg ms md ma mn me), or NULL. */
const struct cmd *cmd_mc_meta_lookup(enum mc_cmd cmd);
/* "stats [group]": the whole reply (mc_stats.c). */
void mc_stats_finish(struct conn *c);
/* The level of the last "verbosity" command. */
unsigned cmd_mc_verbosity(void);

#endif
