/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/kop.h"

#include <string.h>

#include "platform/clock.h"
#include "platform/metric.h"
#include "platform/status.h"
#include "storage/shard.h"

void kop_exec_local(struct shard *s, const struct kop *op, struct kop_result *res)
{
	memset(res, 0, sizeof(*res));
	op->fn(s, op, res, clock_unix_ms());
}

/* A lookup's result, counted in the calling core's own metric block (the
 * owner's for kop_get, the reader's for kop_get_rcu). */
static void get_result(const struct item *it, struct kop_result *res)
{
	metric_add_local(it != NULL ? METRIC_keyspace_hits : METRIC_keyspace_misses, 1);
	if (it == NULL)
		return;
	res->status = 1;
	res->flags = item_flags(it);
	res->cas = item_cas(it);
	res->expire_ms = item_expire_ms(it);
	res->val.p = item_value(it);
	res->val.len = item_vlen(it);
}

void kop_get(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	get_result(shard_get_local(s, op->key.p, op->key.len, now_ms), res);
}

void kop_get_rcu(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	get_result(shard_get_rcu(s, op->key.p, op->key.len, now_ms), res);
}

kop_fn kop_rcu_variant(kop_fn fn)
{
	return fn == kop_get ? kop_get_rcu : NULL;
}

void kop_set(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	/* memcached: a negative exptime stores an item that is already
	 * expired, i.e. the key reads as missing from now on. */
	if (op->expire_ms < 0) {
		shard_del_local(s, op->key.p, op->key.len, now_ms);
		res->status = SS_OK;
		return;
	}
	res->status = shard_set_local(s, op->key.p, op->key.len, op->val.p, op->val.len,
				      op->flags, op->expire_ms);
}

void kop_del(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	res->status = shard_del_local(s, op->key.p, op->key.len, now_ms);
}
