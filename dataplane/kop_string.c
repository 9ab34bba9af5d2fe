/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/kop_string.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/kop_scratch.h"
#include "dataplane/strnum.h"
#include "platform/status.h"
#include "storage/shard.h"

/* A copy of the item's value that outlives the item (about to be replaced
 * or deleted). NULL when out of memory. */
static const char *copy_value(const struct item *it)
{
	struct buf *b = kop_scratch();

	if (buf_append(b, item_value(it), item_vlen(it)) < 0)
		return NULL;
	return buf_rptr(b);
}

void kop_str_set(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	/* A plain SET does not need the old item (shard_put_local replaces
	 * it, and expires it first if it is past due): one lookup, not two. */
	struct item *it = op->mode & (KSET_NX | KSET_XX | KSET_GET | KSET_KEEPTTL) ?
			  shard_peek_local(s, op->key.p, op->key.len, now_ms) : NULL;
	int64_t expire = op->expire_ms;
	const char *old = NULL;

	res->num = it != NULL;
	if (((op->mode & KSET_NX) && it != NULL) || ((op->mode & KSET_XX) && it == NULL)) {
		if ((op->mode & KSET_GET) && it != NULL) {
			res->val.p = item_value(it);
			res->val.len = item_vlen(it);
		}
		res->status = 0;
		return;
	}
	if (it != NULL) {
		if (op->mode & KSET_KEEPTTL)
			expire = item_expire_ms(it);
		if (op->mode & KSET_GET) {
			if ((old = copy_value(it)) == NULL) {
				res->status = -ENOMEM;
				return;
			}
			res->val.p = old;
			res->val.len = item_vlen(it);
		}
	}
	/* An expiry already past (EXAT/PXAT, KEEPTTL of a key about to
	 * expire): the key reads as missing from now on, so it goes now
	 * rather than holding memory until something looks at it. */
	if (expire != SHARD_NO_EXPIRY && expire <= now_ms) {
		shard_del_local(s, op->key.p, op->key.len, now_ms);
		res->status = 1;
		return;
	}
	res->status = shard_put_local(s, op->key.p, op->key.len, op->val.p, op->val.len,
				      op->flags, expire, &it);
	if (res->status == SS_OK) {
		res->status = 1;
		if (op->mode & KSET_RETCAS)
			res->cas = item_cas(it);
	}
}

void kop_str_getdel(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_get_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL)
		return;
	if ((res->val.p = copy_value(it)) == NULL) {
		res->status = -ENOMEM;
		return;
	}
	res->val.len = item_vlen(it);
	shard_del_local(s, op->key.p, op->key.len, now_ms);
	res->status = 1;
}

void kop_str_getex(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_get_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL)
		return;
	/* Redis validates the expiry only once it knows the key exists. */
	if (op->num2 != 0) {
		res->status = -EINVAL;
		res->num = op->num2;
		return;
	}
	res->status = 1;
	res->val.p = item_value(it);
	res->val.len = item_vlen(it);
	if ((op->mode & KGETEX_ABS) && op->expire_ms <= now_ms) {
		if ((res->val.p = copy_value(it)) == NULL) {
			res->status = -ENOMEM;
			return;
		}
		shard_del_local(s, op->key.p, op->key.len, now_ms);
	} else if (op->mode & KGETEX_EXPIRE) {
		shard_touch_local(s, op->key.p, op->key.len, op->expire_ms, now_ms);
	} else if ((op->mode & KGETEX_PERSIST) && item_expire_ms(it) != SHARD_NO_EXPIRY) {
		shard_touch_local(s, op->key.p, op->key.len, SHARD_NO_EXPIRY, now_ms);
	}
}

/* Store the bytes of b as key's new value, keeping the memcached flags and
 * expiry of the item it replaces (it may be NULL: a new key). */
static int replace_value(struct shard *s, const struct kop *op, const struct item *it,
			 const void *p, size_t len)
{
	return shard_set_local(s, op->key.p, op->key.len, p, len,
			       it != NULL ? item_flags(it) : 0,
			       it != NULL ? item_expire_ms(it) : SHARD_NO_EXPIRY);
}

/* Would a value of offset + add bytes pass the limit (overflow included)? */
static bool too_long(int64_t offset, size_t add, int64_t max)
{
	return offset > max || (int64_t)add > max - offset;
}

void kop_str_append(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	struct buf *b;
	size_t len;

	if (it == NULL) {
		/* Redis checks the length only when appending to a value. */
		res->status = replace_value(s, op, NULL, op->val.p, op->val.len);
		res->num = (int64_t)op->val.len;
		res->status = res->status == SS_OK ? 1 : res->status;
		return;
	}
	len = item_vlen(it);
	if (too_long((int64_t)len, op->val.len, op->num2)) {
		res->status = -E2BIG;
		return;
	}
	b = kop_scratch();
	buf_append(b, item_value(it), len);
	buf_append(b, op->val.p, op->val.len);
	if (b->enomem) {
		res->status = -ENOMEM;
		return;
	}
	res->status = replace_value(s, op, it, buf_rptr(b), buf_len(b));
	res->num = (int64_t)(len + op->val.len);
	res->status = res->status == SS_OK ? 1 : res->status;
}

void kop_str_setrange(struct shard *s, const struct kop *op, struct kop_result *res,
		      int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	size_t olen = it != NULL ? item_vlen(it) : 0, nlen;
	struct buf *b;

	res->status = 1;
	if (op->val.len == 0) {
		/* Nothing to write: the length as it is, and no key created. */
		res->num = (int64_t)olen;
		return;
	}
	if (too_long(op->num, op->val.len, op->num2)) {
		res->status = -E2BIG;
		return;
	}
	nlen = (size_t)op->num + op->val.len;
	if (nlen < olen)
		nlen = olen;
	b = kop_scratch();
	if (buf_reserve(b, nlen) < 0) {
		res->status = -ENOMEM;
		return;
	}
	memset(buf_wptr(b), 0, nlen);
	if (olen > 0)
		memcpy(buf_wptr(b), item_value(it), olen);
	memcpy(buf_wptr(b) + op->num, op->val.p, op->val.len);
	res->status = replace_value(s, op, it, buf_wptr(b), nlen);
	res->num = (int64_t)nlen;
	res->status = res->status == SS_OK ? 1 : res->status;
}

void kop_str_getrange(struct shard *s, const struct kop *op, struct kop_result *res,
		      int64_t now_ms)
{
	struct item *it = shard_get_local(s, op->key.p, op->key.len, now_ms);
	long long start = op->num, end = op->num2, len;

	res->status = 1;
	res->val.p = "";
	if (it == NULL)
		return;
	len = (long long)item_vlen(it);
	/* Redis 7.0 getrangeCommand, step for step. */
	if (start < 0 && end < 0 && start > end)
		return;
	if (start < 0)
		start = len + start;
	if (end < 0)
		end = len + end;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if ((unsigned long long)end >= (unsigned long long)len)
		end = len - 1;
	if (start > end || len == 0)
		return;
	res->val.p = (const char *)item_value(it) + start;
	res->val.len = (size_t)(end - start + 1);
}

void kop_str_strlen(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_get_local(s, op->key.p, op->key.len, now_ms);

	res->status = 1;
	res->num = it != NULL ? (int64_t)item_vlen(it) : 0;
}

void kop_str_incrby(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	long long v = 0, incr = op->num;
	char tmp[SS_LONG_STR_SIZE + 1];
	int n;

	if (it != NULL && !ss_string2ll(item_value(it), item_vlen(it), &v)) {
		res->status = -EINVAL;
		return;
	}
	if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
	    (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
		res->status = -ERANGE;
		return;
	}
	v += incr;
	n = snprintf(tmp, sizeof(tmp), "%lld", v);
	res->status = replace_value(s, op, it, tmp, (size_t)n);
	res->status = res->status == SS_OK ? 1 : res->status;
	res->num = v;
}

void kop_str_incrbyfloat(struct shard *s, const struct kop *op, struct kop_result *res,
			 int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	long double v = 0, incr;
	struct buf *b;
	size_t n;

	if ((it != NULL && !ss_string2ld(item_value(it), item_vlen(it), &v)) ||
	    !ss_string2ld(op->val.p, op->val.len, &incr)) {
		res->status = -EINVAL;
		return;
	}
	v += incr;
	if (isnan(v) || isinf(v)) {
		res->status = -EDOM;
		return;
	}
	b = kop_scratch();
	if (buf_reserve(b, SS_LONG_DOUBLE_CHARS) < 0 ||
	    (n = ss_ld2string_human(buf_wptr(b), SS_LONG_DOUBLE_CHARS, v)) == 0) {
		res->status = -ENOMEM;
		return;
	}
	res->status = replace_value(s, op, it, buf_wptr(b), n);
	res->status = res->status == SS_OK ? 1 : res->status;
	res->val.p = buf_wptr(b);
	res->val.len = n;
}

int kop_pairs_put(struct buf *b, const struct ss_arg *k, const struct ss_arg *v)
{
	uint32_t kl = (uint32_t)k->len, vl = (uint32_t)v->len;

	buf_append(b, &kl, sizeof(kl));
	buf_append(b, k->p, k->len);
	buf_append(b, &vl, sizeof(vl));
	buf_append(b, v->p, v->len);
	return b->enomem ? -ENOMEM : SS_OK;
}

static bool take(const char *p, size_t len, size_t *off, struct ss_arg *a)
{
	uint32_t n;

	if (len - *off < sizeof(n))
		return false;
	memcpy(&n, p + *off, sizeof(n));
	*off += sizeof(n);
	if (len - *off < n)
		return false;
	a->p = p + *off;
	a->len = n;
	*off += n;
	return true;
}

bool kop_pairs_next(const char *p, size_t len, size_t *off, struct ss_arg *k, struct ss_arg *v)
{
	return *off < len && take(p, len, off, k) && take(p, len, off, v);
}

void kop_str_msetnx(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct ss_arg k, v;
	size_t off = 0;

	while (kop_pairs_next(op->val.p, op->val.len, &off, &k, &v)) {
		if (shard_peek_local(s, k.p, k.len, now_ms) != NULL) {
			res->status = 0;
			return;
		}
	}
	off = 0;
	while (kop_pairs_next(op->val.p, op->val.len, &off, &k, &v)) {
		if (shard_set_local(s, k.p, k.len, v.p, v.len, 0, SHARD_NO_EXPIRY) != SS_OK) {
			/* None existed before: deleting what was stored undoes it. */
			size_t end = off;
			off = 0;
			while (off < end && kop_pairs_next(op->val.p, op->val.len, &off, &k, &v))
				shard_del_local(s, k.p, k.len, now_ms);
			res->status = -ENOMEM;
			return;
		}
	}
	res->status = 1;
}

void kop_str_mset(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct ss_arg k, v;
	size_t off = 0;

	(void)now_ms;
	res->status = 1;
	while (kop_pairs_next(op->val.p, op->val.len, &off, &k, &v)) {
		if (shard_set_local(s, k.p, k.len, v.p, v.len, 0, SHARD_NO_EXPIRY) != SS_OK) {
			res->status = -ENOMEM;
			return;
		}
	}
}

void kop_str_mget(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct buf *b = kop_scratch();
	struct ss_arg k, v, ak, av;
	size_t off = 0, ahead = 0, mid = 0;

	/* Two cursors run ahead: the bucket of the key PREFETCH_AHEAD on is
	 * loaded, then (half way) the item its tag points to, so on a keyspace
	 * bigger than the caches the lookups' DRAM misses overlap instead of
	 * following one another. */
	bool pf = shard_is_large(s);

	for (int j = 0; pf && j < KOP_PREFETCH_AHEAD; j++)
		if (kop_pairs_next(op->val.p, op->val.len, &ahead, &ak, &av))
			shard_prefetch(s, ak.p, ak.len);
	for (int j = 0; pf && j < KOP_PREFETCH_AHEAD / 2; j++)
		if (kop_pairs_next(op->val.p, op->val.len, &mid, &ak, &av))
			shard_prefetch_item(s, ak.p, ak.len);
	while (kop_pairs_next(op->val.p, op->val.len, &off, &k, &v)) {
		if (pf && kop_pairs_next(op->val.p, op->val.len, &ahead, &ak, &av))
			shard_prefetch(s, ak.p, ak.len);
		if (pf && kop_pairs_next(op->val.p, op->val.len, &mid, &ak, &av))
			shard_prefetch_item(s, ak.p, ak.len);
		struct item *it = shard_get_local(s, k.p, k.len, now_ms);
		uint8_t found = it != NULL;
		uint32_t len = it != NULL ? (uint32_t)item_vlen(it) : 0;

		buf_append(b, &found, sizeof(found));
		buf_append(b, &len, sizeof(len));
		if (it != NULL)
			buf_append(b, item_value(it), len);
		res->num++;
	}
	if (b->enomem) {
		res->status = -ENOMEM;
		return;
	}
	res->status = 1;
	res->val.p = buf_rptr(b);
	res->val.len = buf_len(b);
}
