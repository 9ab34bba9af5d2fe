/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP key commands with Redis 7.0's replies and errors (db.c, expire.c):
 * DEL UNLINK EXISTS TOUCH TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
 * EXPIRETIME PEXPIRETIME PERSIST RENAME RENAMENX KEYS SCAN RANDOMKEY.
 * Multi-key commands plan one kop per key; KEYS, SCAN and RANDOMKEY plan
 * kops aimed at workers (op->target) since every worker holds a shard.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_keys.h"
#include "dataplane/kop_string.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "storage/shard.h"
#include "storage/storage.h"

/* ---- DEL UNLINK EXISTS TOUCH: one kop per key, a count ------------------ */

int cmd_count_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const char *n = c->cmd->name;

	if (i + 1 >= ARGC(c))
		return 1;
	op->key = *ARGV(c, i + 1);
	/* DEL and UNLINK are the same here: freeing a string is O(1). */
	op->fn = n[0] == 'e' ? kop_key_exists : n[0] == 't' ? kop_key_touch : kop_del;
	return 0;
}

void cmd_count_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	c->acc += r->status == 1;
}

void cmd_count_finish(struct conn *c)
{
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

/*
 * ---- RENAME RENAMENX --------------------------------------------------------
 * Both keys on one owner: one kop, atomic. On two owners: read the source
 * (kop 0), write the target with the source's value, flags and expiry
 * (kop 1, NX for RENAMENX), delete the source if its CAS is still the one
 * read (kop 2). Not atomic: between kop 0 and kop 2 another client can see
 * the value under both names, and a write to the source after kop 0 is
 * kept (the source is then not deleted), which reads as that write
 * happening right after the rename.
 *
 * c->acc: 0 going on, 1 no such key, 2 not done (NX), 3 out of memory.
 * c->stash: the source's flags, expiry and CAS, then its value.
 */
enum { REN_GOING = 0, REN_NOKEY, REN_NX, REN_OOM };

struct ren_head {
	uint32_t flags;
	int64_t expire_ms;
	uint64_t cas;
};

static bool is_nx(struct conn *c)
{
	return strcmp(c->cmd->name, "renamenx") == 0;
}

int cmd_rename_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct ss_arg *src = ARGV(c, 1), *dst = ARGV(c, 2);
	struct ren_head h;

	if (c->acc != REN_GOING)
		return 1;
	if (arg_eq(src, dst) || steer_owner(src) == steer_owner(dst)) {
		if (i > 0)
			return 1;
		/* The same key: Redis only checks that it exists. */
		op->fn = arg_eq(src, dst) ? kop_key_exists : kop_key_rename;
		op->key = *src;
		op->val = *dst;
		op->mode = is_nx(c) ? KSET_NX : 0;
		return 0;
	}
	switch (i) {
	case 0:
		op->fn = kop_get;
		op->key = *src;
		return 0;
	case 1:
		memcpy(&h, buf_rptr(&c->stash), sizeof(h));
		op->fn = kop_str_set;
		op->key = *dst;
		op->val.p = buf_rptr(&c->stash) + sizeof(h);
		op->val.len = buf_len(&c->stash) - sizeof(h);
		op->flags = h.flags;
		op->expire_ms = h.expire_ms;
		op->mode = is_nx(c) ? KSET_NX : 0;
		return 0;
	case 2:
		memcpy(&h, buf_rptr(&c->stash), sizeof(h));
		op->fn = kop_key_del_cas;
		op->key = *src;
		op->cas = h.cas;
		return 0;
	default:
		return 1;
	}
}

void cmd_rename_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	struct ren_head h;

	if (op->fn == kop_key_exists) {
		c->acc = r->status == 1 ? (is_nx(c) ? REN_NX : REN_GOING) : REN_NOKEY;
	} else if (op->fn == kop_key_rename) {
		c->acc = r->status == 1 ? REN_GOING : r->status == 0 ? REN_NX :
			 r->status == -ENOENT ? REN_NOKEY : REN_OOM;
	} else if (i == 0) {
		if (r->status != 1) {
			c->acc = REN_NOKEY;
			return;
		}
		h.flags = r->flags;
		h.expire_ms = r->expire_ms;
		h.cas = r->cas;
		buf_append(&c->stash, &h, sizeof(h));
		buf_append(&c->stash, r->val.p, r->val.len);
		if (c->stash.enomem)
			c->acc = REN_OOM;
	} else if (i == 1 && r->status != 1) {
		c->acc = r->status == 0 ? REN_NX : REN_OOM;
	}
}

void cmd_rename_finish(struct conn *c)
{
	switch (c->acc) {
	case REN_GOING:
		is_nx(c) ? resp_int(&c->w, 1) : resp_simple(&c->w, "OK");
		break;
	case REN_NOKEY:
		resp_error(&c->w, "ERR no such key");
		break;
	case REN_NX:
		resp_int(&c->w, 0);
		break;
	default:
		resp_error(&c->w, E_OOM);
	}
}

/* ---- KEYS ----------------------------------------------------------------- */

int cmd_keys_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct ss_arg *pat = ARGV(c, 1);

	if (i >= steer_workers())
		return 1;
	op->fn = kop_key_keys;
	op->target = (int)i;
	op->val = *pat;
	/* "*" alone matches everything: skip the matcher, as Redis does. */
	op->mode = pat->len == 1 && pat->p[0] == '*' ? 0 : KSCAN_MATCH;
	return 0;
}

/* The count comes first in the reply, so keys wait in the stash. */
void cmd_keys_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status < 0) {
		c->stash.enomem = 1;
		return;
	}
	c->acc += r->num;
	buf_append(&c->stash, r->val.p, r->val.len);
}

void cmd_keys_finish(struct conn *c)
{
	if (c->stash.enomem) {
		resp_error(&c->w, "ERR out of memory");
		return;
	}
	resp_array(&c->w, (size_t)c->acc);
	buf_append(&c->out, buf_rptr(&c->stash), buf_len(&c->stash));
}

/*
 * ---- SCAN ------------------------------------------------------------------
 * The cursor names a worker and a place in its shard:
 *   cursor = shard cursor << 8 | worker       (workers <= 128)
 * Shard cursors are Redis's reverse-binary bucket cursors, below the table
 * size, so they fit in 56 bits. Each call scans one step of one shard (as
 * Redis: until COUNT keys or 10 * COUNT buckets); a finished shard moves
 * the cursor to the next worker, the last one to 0.
 * Keys present for the whole scan are returned at least once, as Redis
 * promises; a call may return no keys while the cursor is not 0.
 */
#define SCAN_WORKER_BITS 8
#define SCAN_MAX_COUNT (1u << 20)   /* keeps one step (up to 10 * COUNT buckets) bounded */

struct scan_args {
	uint64_t cursor;
	long long count;
	const struct ss_arg *match, *type;
	const char *err;
};

static void scan_parse(struct conn *c, struct scan_args *a)
{
	const struct ss_arg *cur = ARGV(c, 1);
	char *tmp, *end;
	bool bad;

	memset(a, 0, sizeof(a[0]));
	a->count = 10;
	/* Redis's parseScanCursorOrReply: strtoul over all of it ("" is 0). */
	if ((tmp = strndup(cur->p, cur->len)) == NULL) {
		a->err = "ERR out of memory";
		return;
	}
	errno = 0;
	a->cursor = strtoull(tmp, &end, 10);
	bad = isspace((unsigned char)tmp[0]) || *end != '\0' || errno == ERANGE;
	free(tmp);
	if (bad) {
		a->err = "ERR invalid cursor";
		return;
	}
	for (uint32_t j = 2; j < ARGC(c); j += 2) {
		const struct ss_arg *o = ARGV(c, j);
		bool two = j + 1 < ARGC(c);

		if (arg_is(o, "count") && two) {
			if (!arg_ll(ARGV(c, j + 1), &a->count)) {
				a->err = E_NOT_INT;
				return;
			}
			if (a->count < 1) {
				a->err = E_SYNTAX;
				return;
			}
		} else if (arg_is(o, "match") && two) {
			a->match = ARGV(c, j + 1);
		} else if (arg_is(o, "type") && two) {
			a->type = ARGV(c, j + 1);
		} else {
			a->err = E_SYNTAX;
			return;
		}
	}
}

int cmd_scan_plan(struct conn *c, uint32_t i, struct kop *op)
{
	struct scan_args a;
	unsigned w;

	scan_parse(c, &a);
	w = (unsigned)(a.cursor & ((1u << SCAN_WORKER_BITS) - 1));
	if (i > 0 || a.err != NULL || w >= steer_workers())
		return 1;
	op->fn = kop_key_scan;
	op->target = (int)w;
	op->num = (int64_t)(a.cursor >> SCAN_WORKER_BITS);
	op->num2 = a.count > SCAN_MAX_COUNT ? SCAN_MAX_COUNT : a.count;
	if (a.match != NULL && !(a.match->len == 1 && a.match->p[0] == '*')) {
		op->mode |= KSCAN_MATCH;
		op->val = *a.match;
	}
	if (a.type != NULL) {
		op->mode |= KSCAN_TYPE;
		op->key = *a.type;
	}
	return 0;
}

static void scan_reply(struct conn *c, uint64_t cursor, int64_t n, const void *keys, size_t len)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)cursor);
	resp_array(&c->w, 2);
	resp_cstr(&c->w, tmp);
	resp_array(&c->w, (size_t)n);
	buf_append(&c->out, keys, len);
}

void cmd_scan_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	uint64_t next, w = (uint64_t)op->target;

	(void)i;
	if (r->status < 0) {
		resp_error(&c->w, "ERR out of memory");
		return;
	}
	if (r->cas != 0)
		next = r->cas << SCAN_WORKER_BITS | w;
	else
		next = w + 1 < steer_workers() ? w + 1 : 0;
	scan_reply(c, next, r->num, r->val.p, r->val.len);
}

void cmd_scan_finish(struct conn *c)
{
	struct scan_args a;

	scan_parse(c, &a);
	if (a.err != NULL)
		resp_error(&c->w, "%s", a.err);
	else if ((a.cursor & ((1u << SCAN_WORKER_BITS) - 1)) >= steer_workers())
		/* A cursor no call of ours returned: the scan is over. */
		scan_reply(c, 0, 0, "", 0);
}

/*
 * ---- RANDOMKEY -------------------------------------------------------------
 * A worker picked with odds by its key count (so each key is about equally
 * likely, as in Redis), then the others in turn if that shard turns out
 * empty. c->acc: 1 + the first worker asked, 0 before the first ask; the
 * key found waits in the stash behind a marker byte.
 */
int cmd_randomkey_plan(struct conn *c, uint32_t i, struct kop *op)
{
	unsigned n = steer_workers();

	if (i >= n || buf_len(&c->stash) > 0)
		return 1;
	if (c->acc == 0) {
		uint64_t total = storage_keys(), pick, w = 0;

		pick = total > 0 ? (uint64_t)random() % total : 0;
		for (; w + 1 < n; w++) {
			uint64_t k = shard_count(storage_shard((unsigned)w));
			if (pick < k)
				break;
			pick -= k;
		}
		c->acc = (long long)w + 1;
	}
	op->fn = kop_key_random;
	op->target = (int)(((unsigned)c->acc - 1 + i) % n);
	return 0;
}

void cmd_randomkey_emit(struct conn *c, uint32_t i, const struct kop *op,
			const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == 1) {
		buf_append(&c->stash, "k", 1);
		buf_append(&c->stash, r->val.p, r->val.len);
	}
}

void cmd_randomkey_finish(struct conn *c)
{
	if (buf_len(&c->stash) > 0)
		resp_bulk(&c->w, buf_rptr(&c->stash) + 1, buf_len(&c->stash) - 1);
	else
		resp_null(&c->w);
}
