/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/kop_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dataplane/glob.h"
#include "dataplane/kop_scratch.h"
#include "dataplane/kop_string.h"
#include "platform/status.h"
#include "storage/shard.h"

void kop_key_exists(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	res->status = shard_peek_local(s, op->key.p, op->key.len, now_ms) != NULL;
}

void kop_key_touch(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	res->status = shard_get_local(s, op->key.p, op->key.len, now_ms) != NULL;
}

void kop_key_count(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct ss_arg k, v;
	size_t off = 0;

	res->status = 1;
	while (kop_pairs_next(op->val.p, op->val.len, &off, &k, &v)) {
		switch (op->mode) {
		case KCOUNT_DEL:
			res->num += shard_del_local(s, k.p, k.len, now_ms);
			break;
		case KCOUNT_TOUCH:
			res->num += shard_get_local(s, k.p, k.len, now_ms) != NULL;
			break;
		default:
			res->num += shard_peek_local(s, k.p, k.len, now_ms) != NULL;
		}
	}
}

void kop_key_ttl(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	int64_t exp, ttl;

	if (it == NULL) {
		res->num = -2;
		return;
	}
	res->status = 1;
	if ((exp = item_expire_ms(it)) == SHARD_NO_EXPIRY) {
		res->num = -1;
		return;
	}
	ttl = (op->mode & KTTL_ABS) ? exp : exp - now_ms;
	if (ttl < 0)
		ttl = 0;
	/* Seconds round to nearest, as Redis's (ttl + 500) / 1000. */
	res->num = (op->mode & KTTL_MS) ? ttl : (ttl + 500) / 1000;
}

void kop_key_expire(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	int64_t when = op->expire_ms, cur;

	if (it == NULL)
		return;
	/* No expiry is an infinite TTL: GT never beats it, LT always does. */
	cur = item_expire_ms(it) == SHARD_NO_EXPIRY ? -1 : item_expire_ms(it);
	if (((op->mode & KEXP_NX) && cur != -1) || ((op->mode & KEXP_XX) && cur == -1) ||
	    ((op->mode & KEXP_GT) && (when <= cur || cur == -1)) ||
	    ((op->mode & KEXP_LT) && cur != -1 && when >= cur))
		return;
	res->status = 1;
	if (when <= now_ms)
		shard_del_local(s, op->key.p, op->key.len, now_ms);
	else
		shard_touch_local(s, op->key.p, op->key.len, when, now_ms);
}

void kop_key_persist(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL || item_expire_ms(it) == SHARD_NO_EXPIRY)
		return;
	res->status = shard_touch_local(s, op->key.p, op->key.len, SHARD_NO_EXPIRY, now_ms);
}

void kop_key_del_cas(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);

	if (it != NULL && item_cas(it) == op->cas)
		res->status = shard_del_local(s, op->key.p, op->key.len, now_ms);
}

void kop_key_rename(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *src = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	struct buf *b;
	uint32_t flags;
	int64_t exp;
	size_t vlen;

	if (src == NULL) {
		res->status = -ENOENT;
		return;
	}
	if ((op->mode & KSET_NX) && shard_peek_local(s, op->val.p, op->val.len, now_ms) != NULL)
		return;
	/* Copied out, not passed from the item: the store below must not
	 * depend on how the table keeps items it is changing. */
	b = kop_scratch();
	flags = item_flags(src);
	exp = item_expire_ms(src);
	vlen = item_vlen(src);
	if (buf_append(b, item_value(src), vlen) < 0) {
		res->status = -ENOMEM;
		return;
	}
	res->status = shard_set_local(s, op->val.p, op->val.len, buf_rptr(b), vlen, flags, exp);
	if (res->status != SS_OK)
		return;
	shard_del_local(s, op->key.p, op->key.len, now_ms);
	res->status = 1;
}

/* What an iteration kop gathers: the matching keys as RESP bulk strings. */
struct gather {
	const struct kop *op;
	struct buf *out;
	int64_t n;          /* keys gathered */
	int64_t visited;    /* live keys looked at, before any filter */
};

static void gather_key(const struct item *it, void *arg)
{
	struct gather *g = arg;
	const struct kop *op = g->op;

	g->visited++;
	if ((op->mode & KSCAN_MATCH) &&
	    !ss_glob_match(op->val.p, op->val.len, item_key(it), item_klen(it), false))
		return;
	/* Every value is a string: any other TYPE filter matches nothing. */
	if ((op->mode & KSCAN_TYPE) &&
	    !(op->key.len == 6 && strncasecmp(op->key.p, "string", 6) == 0))
		return;
	buf_append_u64(g->out, "$", item_klen(it));
	buf_append(g->out, "\r\n", 2);
	buf_append(g->out, item_key(it), item_klen(it));
	buf_append(g->out, "\r\n", 2);
	g->n++;
}

static void gathered(struct gather *g, struct kop_result *res)
{
	if (g->out->enomem) {
		res->status = -ENOMEM;
		return;
	}
	res->status = 1;
	res->num = g->n;
	res->val.p = buf_rptr(g->out);
	res->val.len = buf_len(g->out);
}

void kop_key_keys(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct gather g = { .op = op, .out = kop_scratch() };
	uint64_t cursor = 0;

	do
		cursor = shard_scan_local(s, cursor, 1024, gather_key, &g, now_ms);
	while (cursor != 0);
	gathered(&g, res);
}

void kop_key_scan(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct gather g = { .op = op, .out = kop_scratch() };
	uint64_t cursor = (uint64_t)op->num;
	int64_t budget = op->num2 * 10;

	/* Redis's loop: a bucket at a time until COUNT keys (counted before
	 * MATCH and TYPE filter them) or 10 * COUNT buckets, so a sparse table
	 * still gives keys per call. */
	do
		cursor = shard_scan_local(s, cursor, 1, gather_key, &g, now_ms);
	while (cursor != 0 && --budget > 0 && g.visited < op->num2);
	res->cas = cursor;
	gathered(&g, res);
}

void kop_key_random(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_random_local(s, now_ms);

	(void)op;
	if (it == NULL)
		return;
	res->status = 1;
	res->val.p = item_key(it);
	res->val.len = item_klen(it);
}
