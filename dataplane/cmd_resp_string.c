/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP string commands with Redis 7.0's replies, errors and order of
 * checks (t_string.c): GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET
 * MSET APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE
 * SETRANGE. Argument errors Redis finds before touching the key are found
 * here by plan() (no kop) and replied by finish(); the rest run on the
 * key's owner (kop_string.c) and come back through emit().
 */
#include <errno.h>
#include <limits.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_group.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_string.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/status.h"

/* What went wrong with the arguments, in Redis's order of checks. */
enum arg_err { ARG_OK = 0, ARG_SYNTAX, ARG_NOT_INT, ARG_BAD_TIME, ARG_ARITY };

static void reply_arg_err(struct conn *c, enum arg_err e)
{
	switch (e) {
	case ARG_SYNTAX:
		resp_error(&c->w, E_SYNTAX);
		break;
	case ARG_NOT_INT:
		resp_error(&c->w, E_NOT_INT);
		break;
	case ARG_BAD_TIME:
		resp_error(&c->w, "ERR invalid expire time in '%s' command", c->cmd->name);
		break;
	case ARG_ARITY:
		resp_error(&c->w, "ERR wrong number of arguments for '%s' command", c->cmd->name);
		break;
	case ARG_OK:
		break;
	}
}

static void reply_oom(struct conn *c)
{
	resp_error(&c->w, E_OOM);
}

/* The expiry options of SET and GETEX. */
enum { X_EX = 1, X_PX = 2, X_EXAT = 4, X_PXAT = 8, X_KEEPTTL = 16, X_PERSIST = 32 };

/* Redis's getExpireMillisecondsOrReply: a > 0 count of seconds or ms,
 * relative (EX, PX) or absolute (EXAT, PXAT), to absolute Unix ms. */
static enum arg_err expire_ms(const struct ss_arg *a, unsigned how, int64_t *out)
{
	long long v;
	bool secs = how & (X_EX | X_EXAT);

	if (!arg_ll(a, &v))
		return ARG_NOT_INT;
	if (v <= 0 || (secs && v > LLONG_MAX / 1000))
		return ARG_BAD_TIME;
	if (secs)
		v *= 1000;
	if (how & (X_EX | X_PX)) {
		int64_t now = clock_unix_ms();
		if (v > LLONG_MAX - now)
			return ARG_BAD_TIME;
		v += now;
	}
	*out = v;
	return ARG_OK;
}

/* ---- GET, MGET ---------------------------------------------------------- */

int cmd_get_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_get;
	op->key = *ARGV(c, 1);
	return 0;
}

static void reply_value(struct conn *c, const struct kop_result *r)
{
	if (r->status == 1)
		resp_bulk(&c->w, r->val.p, r->val.len);
	else
		resp_null(&c->w);
}

void cmd_get_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	reply_value(c, r);
}

/*
 * MGET: one kop per owner with that owner's keys (cmd_group.h); the values
 * come back grouped by owner and go out in argument order at finish.
 * c->acc: the length of what the stash gathered, one record per owner:
 *   [u8 owner][u32 n][n x ([u8 found][u32 len][len bytes])]
 */
int cmd_mget_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (cmd_group_plan(c, 1, 1, i, (size_t)c->acc, op) != 0)
		return 1;
	op->fn = kop_str_mget;
	return 0;
}

void cmd_mget_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	uint8_t owner = (uint8_t)steer_owner(&op->key);
	uint32_t n = (uint32_t)r->num;

	(void)i;
	if (r->status < 0) {
		c->stash.enomem = 1;
		return;
	}
	/* Drop the kop's keys planned behind the records, add this record. */
	c->stash.wpos = c->stash.rpos + (size_t)c->acc;
	buf_append(&c->stash, &owner, sizeof(owner));
	buf_append(&c->stash, &n, sizeof(n));
	buf_append(&c->stash, r->val.p, r->val.len);
	c->acc = (long long)buf_len(&c->stash);
}

/* The item at *p: found or not, its bytes; *p moves past it. */
static bool mget_item(const char **p, struct ss_arg *v)
{
	uint8_t found;
	uint32_t len;

	memcpy(&found, *p, sizeof(found));
	memcpy(&len, *p + 1, sizeof(len));
	v->p = *p + 1 + sizeof(len);
	v->len = len;
	*p = v->p + len;
	return found;
}

void cmd_mget_finish(struct conn *c)
{
	const char *next[256] = { NULL };   /* each owner's next item */
	const char *p = buf_rptr(&c->stash), *end = p + c->acc;
	struct ss_arg v;

	if (c->stash.enomem) {
		resp_error(&c->w, "ERR out of memory");
		return;
	}
	while (p < end) {
		uint8_t owner;
		uint32_t n;

		memcpy(&owner, p, sizeof(owner));
		memcpy(&n, p + 1, sizeof(n));
		p += 1 + sizeof(n);
		next[owner] = p;
		while (n-- > 0)
			mget_item(&p, &v);
	}
	resp_array(&c->w, ARGC(c) - 1);
	for (uint32_t j = 1; j < ARGC(c); j++) {
		const char **q = &next[steer_owner(ARGV(c, j))];
		if (mget_item(q, &v))
			resp_bulk(&c->w, v.p, v.len);
		else
			resp_null(&c->w);
	}
}

/* ---- SET and its variants ----------------------------------------------- */

struct set_args {
	unsigned mode;       /* KSET_* */
	int64_t expire_ms;
	enum arg_err err;
};

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]: Redis's
 * parseExtendedStringArgumentsOrReply (every option conflict is a syntax
 * error), then the expiry's value. */
static void set_parse(struct conn *c, struct set_args *a)
{
	unsigned x = 0;
	const struct ss_arg *exp = NULL;

	memset(a, 0, sizeof(*a));
	for (uint32_t j = 3; j < ARGC(c); j++) {
		const struct ss_arg *o = ARGV(c, j);
		bool next = j + 1 < ARGC(c);
		unsigned timed = X_EX | X_PX | X_EXAT | X_PXAT;

		if (arg_is(o, "nx") && !(a->mode & KSET_XX)) {
			a->mode |= KSET_NX;
		} else if (arg_is(o, "xx") && !(a->mode & KSET_NX)) {
			a->mode |= KSET_XX;
		} else if (arg_is(o, "get")) {
			a->mode |= KSET_GET;
		} else if (arg_is(o, "keepttl") && !(x & timed)) {
			x |= X_KEEPTTL;
			a->mode |= KSET_KEEPTTL;
		} else if (next && !(x & X_KEEPTTL) &&
			   ((arg_is(o, "ex") && !(x & (timed & ~X_EX))) ||
			    (arg_is(o, "px") && !(x & (timed & ~X_PX))) ||
			    (arg_is(o, "exat") && !(x & (timed & ~X_EXAT))) ||
			    (arg_is(o, "pxat") && !(x & (timed & ~X_PXAT))))) {
			x |= arg_is(o, "ex") ? X_EX : arg_is(o, "px") ? X_PX :
			     arg_is(o, "exat") ? X_EXAT : X_PXAT;
			exp = ARGV(c, ++j);
		} else {
			a->err = ARG_SYNTAX;
			return;
		}
	}
	if (exp != NULL)
		a->err = expire_ms(exp, x, &a->expire_ms);
}

/* SET and the commands Redis implements with it. They share one plan,
 * emit and finish and are told apart by their names, which differ in the
 * first or the fourth letter: set, setnx, setex, psetex, getset. (Read per
 * request: strcmp against each name cost more than the SET's kop.) */
enum set_kind { SK_SET, SK_SETNX, SK_SETEX, SK_PSETEX, SK_GETSET };

static enum set_kind set_kind(const struct conn *c)
{
	const char *n = c->cmd->name;

	if (n[0] == 'g')
		return SK_GETSET;
	if (n[0] == 'p')
		return SK_PSETEX;
	return n[3] == '\0' ? SK_SET : n[3] == 'n' ? SK_SETNX : SK_SETEX;
}

static void set_args_of(struct conn *c, enum set_kind k, struct set_args *a)
{
	memset(a, 0, sizeof(*a));
	if (k == SK_SET)
		set_parse(c, a);
	else if (k == SK_SETNX)
		a->mode = KSET_NX;
	else if (k == SK_GETSET)
		a->mode = KSET_GET;
	else   /* setex key seconds value, psetex key ms value */
		a->err = expire_ms(ARGV(c, 2), k == SK_PSETEX ? X_PX : X_EX, &a->expire_ms);
}

/* The arguments are read once, at kop 0; an error is kept in c->acc (0,
 * ARG_OK, for every new request) for the finish to reply. */
int cmd_set_plan(struct conn *c, uint32_t i, struct kop *op)
{
	enum set_kind k = set_kind(c);
	struct set_args a;

	if (i > 0)
		return 1;
	set_args_of(c, k, &a);
	if (a.err != ARG_OK) {
		c->acc = a.err;
		return 1;
	}
	op->fn = kop_str_set;
	op->key = *ARGV(c, 1);
	/* SETEX and PSETEX put the value last. */
	op->val = *ARGV(c, k == SK_SETEX || k == SK_PSETEX ? 3 : 2);
	op->mode = a.mode;
	op->expire_ms = a.expire_ms;
	op->flags = 0;   /* a RESP write stores memcached flags 0 */
	return 0;
}

void cmd_set_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	if (r->status < 0)
		reply_oom(c);
	else if (op->mode & KSET_GET)
		/* The old value, whether or not NX/XX let the write happen. */
		r->num ? resp_bulk(&c->w, r->val.p, r->val.len) : resp_null(&c->w);
	else if (set_kind(c) == SK_SETNX)
		resp_int(&c->w, r->status);
	else if (r->status == 1)
		resp_simple(&c->w, "OK");
	else
		resp_null(&c->w);
}

void cmd_set_finish(struct conn *c)
{
	reply_arg_err(c, (enum arg_err)c->acc);
}

/* ---- GETDEL, GETEX ------------------------------------------------------ */

int cmd_getdel_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_str_getdel;
	op->key = *ARGV(c, 1);
	return 0;
}

void cmd_getdel_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status < 0)
		reply_oom(c);
	else
		reply_value(c, r);
}

/* GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: syntax errors before the
 * lookup; a bad expiry only if the key exists (the owner decides). */
static enum arg_err getex_parse(struct conn *c, struct kop *op)
{
	unsigned x = 0;
	const struct ss_arg *exp = NULL;
	enum arg_err e;

	for (uint32_t j = 2; j < ARGC(c); j++) {
		const struct ss_arg *o = ARGV(c, j);
		bool next = j + 1 < ARGC(c);
		unsigned timed = X_EX | X_PX | X_EXAT | X_PXAT;

		if (arg_is(o, "persist") && !(x & timed)) {
			x |= X_PERSIST;
		} else if (next && !(x & X_PERSIST) &&
			   ((arg_is(o, "ex") && !(x & (timed & ~X_EX))) ||
			    (arg_is(o, "px") && !(x & (timed & ~X_PX))) ||
			    (arg_is(o, "exat") && !(x & (timed & ~X_EXAT))) ||
			    (arg_is(o, "pxat") && !(x & (timed & ~X_PXAT))))) {
			x |= arg_is(o, "ex") ? X_EX : arg_is(o, "px") ? X_PX :
			     arg_is(o, "exat") ? X_EXAT : X_PXAT;
			exp = ARGV(c, ++j);
		} else {
			return ARG_SYNTAX;
		}
	}
	op->mode = (x & X_PERSIST) ? KGETEX_PERSIST : 0;
	if (exp != NULL) {
		op->mode |= KGETEX_EXPIRE | ((x & (X_EXAT | X_PXAT)) ? KGETEX_ABS : 0);
		e = expire_ms(exp, x, &op->expire_ms);
		op->num2 = e == ARG_NOT_INT ? KARG_NOT_INT : e == ARG_BAD_TIME ? KARG_BAD_TIME : 0;
	}
	return ARG_OK;
}

int cmd_getex_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || getex_parse(c, op) != ARG_OK)
		return 1;
	op->fn = kop_str_getex;
	op->key = *ARGV(c, 1);
	return 0;
}

void cmd_getex_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == -EINVAL)
		reply_arg_err(c, r->num == KARG_NOT_INT ? ARG_NOT_INT : ARG_BAD_TIME);
	else if (r->status < 0)
		reply_oom(c);
	else
		reply_value(c, r);
}

void cmd_getex_finish(struct conn *c)
{
	struct kop op;

	memset(&op, 0, sizeof(op));
	reply_arg_err(c, getex_parse(c, &op));
}

/* ---- MSET (MSETNX: cmd_resp_msetnx.c) ---------------------------------- */

/* One kop per owner: MSET is atomic over the keys of one worker (all of
 * them when they share a {hash tag}), not across workers. */
int cmd_mset_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (ARGC(c) % 2 == 0 || cmd_group_plan(c, 1, 2, i, 0, op) != 0)
		return 1;
	op->fn = kop_str_mset;
	return 0;
}

void cmd_mset_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status < 0)
		c->acc = 1;
}

void cmd_mset_finish(struct conn *c)
{
	if (ARGC(c) % 2 == 0)
		reply_arg_err(c, ARG_ARITY);
	else if (c->acc || c->stash.enomem)
		reply_oom(c);
	else
		resp_simple(&c->w, "OK");
}

/* ---- APPEND, SETRANGE, GETRANGE, STRLEN --------------------------------- */

static void reply_written_len(struct conn *c, const struct kop_result *r)
{
	if (r->status == 1)
		resp_int(&c->w, r->num);
	else if (r->status == -E2BIG)
		resp_error(&c->w, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
	else
		reply_oom(c);
}

int cmd_append_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_str_append;
	op->key = *ARGV(c, 1);
	op->val = *ARGV(c, 2);
	op->num2 = c->resp.max_bulk;   /* the connection's proto-max-bulk-len */
	return 0;
}

void cmd_append_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	reply_written_len(c, r);
}

/* SETRANGE's offset: an integer, then >= 0. */
static const char *setrange_err(struct conn *c, long long *off)
{
	if (!arg_ll(ARGV(c, 2), off))
		return E_NOT_INT;
	if (*off < 0)
		return "ERR offset is out of range";
	return NULL;
}

int cmd_setrange_plan(struct conn *c, uint32_t i, struct kop *op)
{
	long long off;

	if (i > 0 || setrange_err(c, &off) != NULL)
		return 1;
	op->fn = kop_str_setrange;
	op->key = *ARGV(c, 1);
	op->val = *ARGV(c, 3);
	op->num = off;
	op->num2 = c->resp.max_bulk;
	return 0;
}

void cmd_setrange_finish(struct conn *c)
{
	long long off;
	const char *e = setrange_err(c, &off);

	if (e != NULL)
		resp_error(&c->w, "%s", e);
}

int cmd_getrange_plan(struct conn *c, uint32_t i, struct kop *op)
{
	long long start, end;

	if (i > 0 || !arg_ll(ARGV(c, 2), &start) || !arg_ll(ARGV(c, 3), &end))
		return 1;
	op->fn = kop_str_getrange;
	op->key = *ARGV(c, 1);
	op->num = start;
	op->num2 = end;
	return 0;
}

void cmd_getrange_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	resp_bulk(&c->w, r->val.p, r->val.len);
}

void cmd_getrange_finish(struct conn *c)
{
	long long v;

	if (!arg_ll(ARGV(c, 2), &v) || !arg_ll(ARGV(c, 3), &v))
		reply_arg_err(c, ARG_NOT_INT);
}

int cmd_strlen_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_str_strlen;
	op->key = *ARGV(c, 1);
	return 0;
}

void cmd_strlen_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	resp_int(&c->w, r->num);
}

/* ---- INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT ---------------------------- */

/* The delta of an INCR-family command, or the error Redis gives first. */
static const char *incr_delta(struct conn *c, long long *d)
{
	const char *n = c->cmd->name;

	if (strcmp(n, "incr") == 0 || strcmp(n, "decr") == 0) {
		*d = n[0] == 'i' ? 1 : -1;
		return NULL;
	}
	if (!arg_ll(ARGV(c, 2), d))
		return E_NOT_INT;
	if (n[0] == 'd') {
		/* -LLONG_MIN does not exist. */
		if (*d == LLONG_MIN)
			return "ERR decrement would overflow";
		*d = -*d;
	}
	return NULL;
}

int cmd_incr_plan(struct conn *c, uint32_t i, struct kop *op)
{
	long long d;

	if (i > 0 || incr_delta(c, &d) != NULL)
		return 1;
	op->fn = kop_str_incrby;
	op->key = *ARGV(c, 1);
	op->num = d;
	return 0;
}

void cmd_incr_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == 1)
		resp_int(&c->w, r->num);
	else if (r->status == -EINVAL)
		resp_error(&c->w, E_NOT_INT);
	else if (r->status == -ERANGE)
		resp_error(&c->w, "ERR increment or decrement would overflow");
	else
		reply_oom(c);
}

void cmd_incr_finish(struct conn *c)
{
	long long d;
	const char *e = incr_delta(c, &d);

	if (e != NULL)
		resp_error(&c->w, "%s", e);
}

static bool incrbyfloat_ok(struct conn *c)
{
	long double v;

	return ss_string2ld(ARGV(c, 2)->p, ARGV(c, 2)->len, &v);
}

int cmd_incrbyfloat_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || !incrbyfloat_ok(c))
		return 1;
	op->fn = kop_str_incrbyfloat;
	op->key = *ARGV(c, 1);
	op->val = *ARGV(c, 2);
	return 0;
}

void cmd_incrbyfloat_emit(struct conn *c, uint32_t i, const struct kop *op,
			  const struct kop_result *r)
{
	(void)i;
	(void)op;
	/* A bulk string in RESP3 too: Redis 7.0 replies addReplyBulk here. */
	if (r->status == 1)
		resp_bulk(&c->w, r->val.p, r->val.len);
	else if (r->status == -EINVAL)
		resp_error(&c->w, E_FLOAT);
	else if (r->status == -EDOM)
		resp_error(&c->w, "ERR increment would produce NaN or Infinity");
	else
		reply_oom(c);
}

void cmd_incrbyfloat_finish(struct conn *c)
{
	if (!incrbyfloat_ok(c))
		resp_error(&c->w, E_FLOAT);
}
