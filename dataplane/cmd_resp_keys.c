/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP key commands with Redis 7.0's replies and errors (db.c, expire.c):
 * DEL UNLINK EXISTS TOUCH TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
 * EXPIRETIME PEXPIRETIME PERSIST. Multi-key commands plan one kop per
 * owner (cmd_group.h).
 * RENAME: cmd_resp_rename.c; KEYS, SCAN, RANDOMKEY: cmd_resp_iter.c.
 */
#include <limits.h>
#include <stdio.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_group.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_keys.h"
#include "platform/clock.h"

/* ---- DEL UNLINK EXISTS TOUCH: one kop per owner, a count ---------------- */

int cmd_count_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const char *n = c->cmd->name;

	if (cmd_group_plan(c, 1, 1, i, 0, op) != 0)
		return 1;
	op->fn = kop_key_count;
	/* DEL and UNLINK are the same here: freeing a string is O(1). */
	op->mode = n[0] == 'e' ? KCOUNT_EXISTS : n[0] == 't' ? KCOUNT_TOUCH : KCOUNT_DEL;
	return 0;
}

void cmd_count_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	c->acc += r->num;
}

void cmd_count_finish(struct conn *c)
{
	if (c->stash.enomem)
		resp_error(&c->w, "ERR out of memory");
	else
		resp_int(&c->w, c->acc);
}

/* ---- TYPE ----------------------------------------------------------------- */

int cmd_type_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_key_exists;
	op->key = *ARGV(c, 1);
	return 0;
}

void cmd_type_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	resp_simple(&c->w, r->status == 1 ? "string" : "none");
}

/* ---- EXPIRE PEXPIRE EXPIREAT PEXPIREAT ------------------------------------ */

/* Redis's parseExtendedExpireArgumentsOrReply then the time itself:
 * NULL, or the error text (in buf when it quotes the argument). */
static const char *expire_args(struct conn *c, struct kop *op, char *buf, size_t cap)
{
	const char *n = c->cmd->name;
	bool ms = n[0] == 'p', at = strstr(n, "at") != NULL;
	long long when;

	op->mode = 0;
	for (uint32_t j = 3; j < ARGC(c); j++) {
		const struct ss_arg *o = ARGV(c, j);
		if (arg_is(o, "nx")) {
			op->mode |= KEXP_NX;
		} else if (arg_is(o, "xx")) {
			op->mode |= KEXP_XX;
		} else if (arg_is(o, "gt")) {
			op->mode |= KEXP_GT;
		} else if (arg_is(o, "lt")) {
			op->mode |= KEXP_LT;
		} else {
			/* Redis prints the option as a C string: up to a NUL. */
			snprintf(buf, cap, "ERR Unsupported option %.*s",
				 (int)strnlen(o->p, o->len), o->p);
			return buf;
		}
	}
	if ((op->mode & KEXP_NX) && (op->mode & (KEXP_XX | KEXP_GT | KEXP_LT)))
		return "ERR NX and XX, GT or LT options at the same time are not compatible";
	if ((op->mode & KEXP_GT) && (op->mode & KEXP_LT))
		return "ERR GT and LT options at the same time are not compatible";
	if (!arg_ll(ARGV(c, 2), &when))
		return E_NOT_INT;
	/* Negative times are allowed (they delete); only overflow is not. */
	if (!ms) {
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
			goto bad_time;
		when *= 1000;
	}
	if (!at) {
		int64_t now = clock_unix_ms();
		if (when > LLONG_MAX - now)
			goto bad_time;
		when += now;
	}
	op->expire_ms = when;
	return NULL;
bad_time:
	snprintf(buf, cap, "ERR invalid expire time in '%s' command", n);
	return buf;
}

int cmd_expire_plan(struct conn *c, uint32_t i, struct kop *op)
{
	char buf[160];

	if (i > 0 || expire_args(c, op, buf, sizeof(buf)) != NULL)
		return 1;
	op->fn = kop_key_expire;
	op->key = *ARGV(c, 1);
	return 0;
}

void cmd_status_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	resp_int(&c->w, r->status == 1);
}

void cmd_expire_finish(struct conn *c)
{
	char buf[160];
	struct kop op;
	const char *e = expire_args(c, &op, buf, sizeof(buf));

	if (e != NULL)
		resp_error(&c->w, "%s", e);
}

/* ---- TTL PTTL EXPIRETIME PEXPIRETIME PERSIST ------------------------------ */

int cmd_ttl_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const char *n = c->cmd->name;

	if (i > 0)
		return 1;
	op->fn = kop_key_ttl;
	op->key = *ARGV(c, 1);
	op->mode = (n[0] == 'p' ? KTTL_MS : 0) | (strstr(n, "time") != NULL ? KTTL_ABS : 0);
	return 0;
}

void cmd_ttl_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	resp_int(&c->w, r->num);
}

int cmd_persist_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_key_persist;
	op->key = *ARGV(c, 1);
	return 0;
}
