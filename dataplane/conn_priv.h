/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside a connection: shared by conn.c and the command tables, not part of
 * the dataplane's public interface.
 *
 * Commands run as a plan of key operations. For request R the engine asks
 * plan(R, i) for kop i = 0, 1, ... until it says there are no more; each kop
 * runs on its key's owner (here, or away through steer) and its result goes
 * to emit(R, i). finish(R) closes the reply. While a kop is away the request
 * stays unconsumed at the front of `in`; when the result comes back the
 * request is parsed again (same bytes, same arguments) and the plan goes on.
 */
#ifndef SS_DATAPLANE_CONN_PRIV_H
#define SS_DATAPLANE_CONN_PRIV_H

#include "dataplane/conn.h"
#include "dataplane/kop.h"
#include "dataplane/proto/mc_parse.h"
#include "dataplane/proto/resp_parse.h"

struct cmd {
	const char *name;
	int arity;   /* Redis convention: N exactly N args (name included), -N at least N */
	/* Fill kop i; return 0, or 1 when the plan has no kop i. */
	int (*plan)(struct conn *c, uint32_t i, struct kop *op);
	void (*emit)(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r);
	void (*finish)(struct conn *c);
};

struct conn {
	uint64_t id;
	enum proto proto;
	unsigned worker;
	struct buf in, out;
	struct resp_req resp;
	struct mc_req mc;
	const struct cmd *cmd;   /* the request being executed */
	size_t req_len;          /* its length at the front of `in` */
	uint32_t op_next;        /* next kop of its plan */
	long long acc;           /* a count the reply sums up (DEL) */
	size_t need;             /* do not parse before `in` holds this much */
	size_t swallow;          /* memcached: bytes still to discard */
	bool away;               /* a kop is at another worker */
	bool closing;            /* close once `out` is flushed */
	bool released;           /* the backend let go; free when not away */
	conn_kick_fn kick;
	void *io;
};

/* The RESP command called name, or NULL. */
const struct cmd *cmd_resp_lookup(const struct ss_arg *name);
/* The reply for a request whose command or arity is wrong. */
void cmd_resp_reject(struct conn *c, const struct cmd *cmd);
/* The memcached command for a parsed request, or NULL (replied "ERROR"). */
const struct cmd *cmd_mc_lookup(enum mc_cmd cmd);
/* A storage command whose value is over the item size limit. */
const struct cmd *cmd_mc_too_large(void);

#endif
