/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached's owner-side key operations (see kop_mc.h), after memcached 1.6
 * do_store_item(), do_add_delta() and the meta commands in proto_text.c.
 * All run on the key's owner core with its shard (_local calls only).
 */
#include "dataplane/kop_mc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/status.h"
#include "storage/shard.h"

#define MC_REALTIME_MAXDELTA (60 * 60 * 24 * 30)   /* 30 days */

int64_t mc_exptime_to_ms(int64_t exptime, int64_t now_ms)
{
	if (exptime == 0)
		return 0;
	if (exptime < 0)
		return -1;
	if (exptime <= MC_REALTIME_MAXDELTA)
		return now_ms + exptime * 1000;
	return exptime * 1000 <= now_ms ? -1 : exptime * 1000;
}

/* Store key = val and report the new item's CAS; meta bits carried over
 * when not 0. An already expired exptime stores nothing and removes the
 * key (memcached links an item that no read will ever see). */
static void put(struct shard *s, const struct kop *op, const void *val, size_t vlen,
		uint32_t flags, int64_t expire_ms, unsigned meta, struct kop_result *res,
		int64_t now_ms)
{
	struct item *it;
	int rc;

	if (expire_ms < 0) {
		shard_del_local(s, op->key.p, op->key.len, now_ms);
		res->status = MC_R_OK;
		return;
	}
	rc = shard_put_local(s, op->key.p, op->key.len, val, vlen, flags, expire_ms, &it);
	if (rc < 0) {
		res->status = rc;
		return;
	}
	res->status = MC_R_OK;
	if (meta != 0)
		item_meta_set_local(it, meta);
	res->cas = item_cas(it);
}

/* append/prepend: the old value with op->val on one side; the item keeps
 * its flags and expiry. */
static void concat(struct shard *s, const struct kop *op, struct item *old, bool append,
		   unsigned meta, struct kop_result *res, int64_t now_ms)
{
	size_t olen = item_vlen(old), n = olen + op->val.len;
	char *v = malloc(n ? n : 1);

	if (v == NULL) {
		res->status = -ENOMEM;
		return;
	}
	if (append) {
		memcpy(v, item_value(old), olen);
		memcpy(v + olen, op->val.p, op->val.len);
	} else {
		memcpy(v, op->val.p, op->val.len);
		memcpy(v + op->val.len, item_value(old), olen);
	}
	put(s, op, v, n, item_flags(old), item_expire_ms(old), meta, res, now_ms);
	free(v);
}

void kop_mc_store(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	unsigned mode = op->mode & MC_ST_MODE_MASK;
	/* A plain set does not need the old item: one lookup, not two
	 * (shard_put_local expires an old item past due as a lookup would). */
	struct item *old = mode == MC_ST_SET ? NULL :
			   shard_peek_local(s, op->key.p, op->key.len, now_ms);
	unsigned kb = (op->mode & MC_ST_KEY_BINARY) ? MC_ITEM_KEY_BINARY : 0;

	switch (mode) {
	case MC_ST_ADD:
		if (old != NULL) {
			/* memcached bumps the existing item on a failed add. */
			shard_access_local(s, old, now_ms);
			res->status = MC_R_NOT_STORED;
			return;
		}
		break;
	case MC_ST_REPLACE:
		if (old == NULL) {
			res->status = MC_R_NOT_STORED;
			return;
		}
		break;
	case MC_ST_APPEND:
	case MC_ST_PREPEND:
		if (old == NULL) {
			res->status = MC_R_NOT_STORED;
			return;
		}
		if ((op->mode & MC_ST_HAS_CAS) && op->cas != item_cas(old)) {
			res->status = MC_R_EXISTS;
			return;
		}
		concat(s, op, old, mode == MC_ST_APPEND, kb, res, now_ms);
		return;
	case MC_ST_CAS:
		if (old == NULL) {
			res->status = MC_R_MISS;
			return;
		}
		if (op->cas == item_cas(old))
			break;
		if ((op->mode & MC_ST_STALE) && op->cas < item_cas(old)) {
			/* A late write from a client that lost the race: kept, but
			 * marked stale, with the old TTL and win token. */
			put(s, op, op->val.p, op->val.len, op->flags, item_expire_ms(old),
			    ITEM_STALE | (item_meta(old) & ITEM_WIN) | kb, res, now_ms);
			return;
		}
		res->status = MC_R_EXISTS;
		return;
	default:
		break;
	}
	put(s, op, op->val.p, op->val.len, op->flags, op->expire_ms, kb, res, now_ms);
}

/* A read as memcached counts it: fetched bit and access time. */
static void bump(struct shard *s, struct item *it, int64_t now_ms)
{
	item_meta_set_local(it, item_meta(it) | ITEM_FETCHED);
	shard_access_local(s, it, now_ms);
}

void kop_mc_get(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL)
		return;
	bump(s, it, now_ms);
	res->status = 1;
	res->flags = item_flags(it);
	res->cas = item_cas(it);
	res->val.p = item_value(it);
	res->val.len = item_vlen(it);
	/* gat: the new TTL last. One in the past still returns the value this
	 * time (memcached touches the item it returns); the next read misses. */
	if (op->mode & MC_GET_TOUCH)
		shard_touch_local(s, op->key.p, op->key.len, op->expire_ms, now_ms);
	res->expire_ms = item_expire_ms(it);
}

void kop_mc_touch(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL)
		return;
	bump(s, it, now_ms);
	res->status = shard_touch_local(s, op->key.p, op->key.len, op->expire_ms, now_ms);
}

/* memcached's safe_strtoull() on an item's value (which memcached reads as
 * a C string ending at its "\r\n"). */
static bool value_to_u64(const struct item *it, uint64_t *out)
{
	size_t n = item_vlen(it);
	char small[64], *tmp = n < sizeof(small) ? small : malloc(n + 1), *end;
	unsigned long long v;
	bool ok;

	if (tmp == NULL)
		return false;
	memcpy(tmp, item_value(it), n);
	tmp[n] = '\0';
	errno = 0;
	v = strtoull(tmp, &end, 10);
	ok = errno != ERANGE && end != tmp && (*end == '\0' || isspace((unsigned char)*end));
	if (ok && (long long)v < 0 && memchr(tmp, '-', (size_t)(end - tmp)) != NULL)
		ok = false;
	if (tmp != small)
		free(tmp);
	*out = v;
	return ok;
}

void kop_mc_arith(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	char num[24], *v;
	uint64_t value, delta = (uint64_t)op->num;
	size_t len, vlen;

	if (it == NULL) {
		if (!(op->mode & MC_AR_VIVIFY)) {
			res->status = MC_R_MISS;
			return;
		}
		/* ma N: create the key with J (no delta applied). */
		len = (size_t)snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)op->num2);
		if ((res->status = shard_set_local(s, op->key.p, op->key.len, num, len, 0, 0)) < 0)
			return;
		it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
		res->num = 1;
		res->expire_ms = 0;
		/* T and N both set the TTL of a created item: the later one wins. */
		shard_touch_local(s, op->key.p, op->key.len,
				  (op->mode & MC_AR_TTL_AFTER_VIVIFY) ? op->expire_ms :
				  mc_exptime_to_ms((int32_t)op->flags, now_ms), now_ms);
		goto done;
	}
	/* memcached: an empty value cannot be a number; CAS before parsing. */
	if (item_vlen(it) == 0) {
		res->status = MC_R_NON_NUMERIC;
		return;
	}
	if ((op->mode & MC_AR_HAS_CAS) && op->cas != item_cas(it)) {
		res->status = MC_R_EXISTS;
		return;
	}
	if (!value_to_u64(it, &value)) {
		res->status = MC_R_NON_NUMERIC;
		return;
	}
	if (op->mode & MC_AR_DECR)
		value = delta > value ? 0 : value - delta;
	else
		value += delta;   /* 64-bit wrap, as memcached */
	len = (size_t)snprintf(num, sizeof(num), "%" PRIu64, value);
	res->expire_ms = item_expire_ms(it);
	/* A shorter number is written over the old one padded with spaces (the
	 * item keeps its size and state); a longer one makes a new item. */
	vlen = item_vlen(it);
	if (len <= vlen) {
		unsigned meta = item_meta(it);
		if ((v = malloc(vlen)) == NULL) {
			res->status = -ENOMEM;
			return;
		}
		memcpy(v, num, len);
		memset(v + len, ' ', vlen - len);
		res->status = shard_set_local(s, op->key.p, op->key.len, v, vlen, item_flags(it),
					      item_expire_ms(it));
		free(v);
		if (res->status < 0)
			return;
		it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
		if (it != NULL)
			item_meta_set_local(it, meta);
	} else {
		res->status = shard_set_local(s, op->key.p, op->key.len, num, len, item_flags(it),
					      item_expire_ms(it));
		if (res->status < 0)
			return;
		it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	}
	if (op->mode & MC_AR_TTL)
		shard_touch_local(s, op->key.p, op->key.len, op->expire_ms, now_ms);
done:
	res->status = MC_R_OK;
	if (it == NULL)
		return;
	res->cas = item_cas(it);
	res->val.p = item_value(it);
	res->val.len = len;
}

void kop_mc_mget(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	unsigned meta, st = MC_MGR_HIT;
	int64_t exp_at_r;
	bool win = false;

	if (it == NULL) {
		if (!(op->mode & MC_MG_VIVIFY))
			return;
		/* N: an empty item holds the place; this client fills it. */
		if (shard_set_local(s, op->key.p, op->key.len, "", 0, 0, 0) < 0 ||
		    (it = shard_peek_local(s, op->key.p, op->key.len, now_ms)) == NULL)
			return;
		st |= MC_MGR_CREATED;
		win = true;
	}
	meta = item_meta(it);
	res->expire_ms = (st & MC_MGR_CREATED) ? 0 : item_expire_ms(it);
	res->num = item_idle_s(it, now_ms);
	exp_at_r = (op->mode & MC_MG_TTL_BEFORE_RECACHE) ? op->expire_ms : item_expire_ms(it);
	if ((op->mode & MC_MG_RECACHE) && !(meta & ITEM_WIN) && !(st & MC_MGR_CREATED) &&
	    exp_at_r != 0 && exp_at_r < op->num2)
		win = true;
	if (meta & ITEM_FETCHED)
		st |= MC_MGR_FETCHED;
	if (meta & MC_ITEM_KEY_BINARY)
		st |= MC_MGR_KEY_BINARY;
	if (meta & ITEM_WIN)
		st |= MC_MGR_Z;
	if (meta & ITEM_STALE) {
		st |= MC_MGR_X;
		if (!(meta & ITEM_WIN))
			win = true;
	}
	if (win) {
		st |= MC_MGR_W;
		meta |= ITEM_WIN;
	}
	if (op->mode & MC_MG_NOBUMP) {
		item_meta_set_local(it, meta);
	} else {
		item_meta_set_local(it, meta | ITEM_FETCHED);
		shard_access_local(s, it, now_ms);
	}
	res->status = (int)st;
	res->flags = item_flags(it);
	res->cas = item_cas(it);
	if (op->mode & MC_MG_VALUE) {
		res->val.p = item_value(it);
		res->val.len = item_vlen(it);
	}
	/* The TTL last: a T or N into the past removes the item, and the
	 * reply above is still about the item as it was found. */
	if (st & MC_MGR_CREATED)
		shard_touch_local(s, op->key.p, op->key.len, op->num, now_ms);
	else if (op->mode & MC_MG_TTL)
		shard_touch_local(s, op->key.p, op->key.len, op->expire_ms, now_ms);
}

void kop_mc_mdel(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);
	unsigned meta;
	char *v;
	size_t n;

	if (it == NULL) {
		res->status = MC_R_MISS;
		return;
	}
	if ((op->mode & MC_MD_HAS_CAS) && op->cas != item_cas(it)) {
		res->status = MC_R_EXISTS;
		return;
	}
	if (!(op->mode & MC_MD_STALE)) {
		shard_del_local(s, op->key.p, op->key.len, now_ms);
		res->status = MC_R_OK;
		return;
	}
	/* md I: keep the value, mark it stale, hand out a new CAS and let the
	 * next reader win the recache token. The value is copied: the store
	 * may free the item it comes from. */
	meta = (item_meta(it) | ITEM_STALE) & ~ITEM_WIN;
	n = item_vlen(it);
	if ((v = malloc(n ? n : 1)) == NULL) {
		res->status = -ENOMEM;
		return;
	}
	memcpy(v, item_value(it), n);
	put(s, op, v, n, item_flags(it),
	    (op->mode & MC_MD_TTL) ? op->expire_ms : item_expire_ms(it), meta, res, now_ms);
	free(v);
}

void kop_mc_debug(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	struct item *it = shard_peek_local(s, op->key.p, op->key.len, now_ms);

	if (it == NULL)
		return;
	res->status = MC_MGR_HIT | ((item_meta(it) & ITEM_FETCHED) ? MC_MGR_FETCHED : 0) |
		      ((item_meta(it) & MC_ITEM_KEY_BINARY) ? MC_MGR_KEY_BINARY : 0);
	res->cas = item_cas(it);
	res->expire_ms = item_expire_ms(it);
	res->num = item_idle_s(it, now_ms);
	res->flags = (uint32_t)item_vlen(it);
}

void kop_mc_flush(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	shard_flush_local(s, op->expire_ms, now_ms);
	res->status = MC_R_OK;
}
