/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a RESP request's arguments the way Redis 7.0 does, for the
 * command files: option names are case-insensitive, numbers follow
 * string2ll/string2ld (strnum.h). Inside the dataplane only.
 */
#ifndef SS_DATAPLANE_CMD_ARGS_H
#define SS_DATAPLANE_CMD_ARGS_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dataplane/conn_priv.h"
#include "dataplane/strnum.h"

#define ARGV(c, i) (&(c)->resp.argv[i])
#define ARGC(c) ((c)->resp.argc)

#define E_SYNTAX  "ERR syntax error"
#define E_NOT_INT "ERR value is not an integer or out of range"
#define E_FLOAT   "ERR value is not a valid float"
#define E_OOM     "OOM command not allowed when used memory > 'maxmemory'."

static inline bool arg_is(const struct ss_arg *a, const char *s)
{
	return a->len == strlen(s) && strncasecmp(a->p, s, a->len) == 0;
}

static inline bool arg_ll(const struct ss_arg *a, long long *v)
{
	return ss_string2ll(a->p, a->len, v);
}

static inline bool arg_eq(const struct ss_arg *a, const struct ss_arg *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

#endif
