/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands that walk the keyspace: KEYS, SCAN, RANDOMKEY (Redis 7.0
 * db.c). Every worker holds a shard, so they plan kops aimed at workers
 * (op->target) rather than at keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_keys.h"
#include "dataplane/steer.h"
#include "storage/shard.h"
#include "storage/storage.h"

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
 * Shard cursors are positions in a 32-bit space that the shard's buckets
 * cover in order (shard_scan_local), so they fit in 56 bits. Each call
 * scans one step of one shard (as Redis: until COUNT keys or 10 * COUNT
 * buckets); a finished shard moves
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
