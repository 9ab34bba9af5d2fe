/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Owner-side functions of the RESP key commands (expiry, existence,
 * rename, iteration). Expiry changes go through shard_touch_local, so they
 * keep the value, its memcached flags and its CAS (like memcached touch).
 * The iteration kops (KEYS, SCAN, RANDOMKEY) run on the worker named by
 * op->target, over that worker's whole shard.
 */
#ifndef SS_DATAPLANE_KOP_KEYS_H
#define SS_DATAPLANE_KOP_KEYS_H

#include "dataplane/kop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* status 1 if the key exists, without counting an access (EXISTS, TYPE). */
void kop_key_exists(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* status 1 if the key exists, counting an access (TOUCH). */
void kop_key_touch(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* What kop_key_count does to each key (op->mode). */
#define KCOUNT_EXISTS 0   /* count the keys that exist (EXISTS) */
#define KCOUNT_TOUCH  1   /* the same, counting an access (TOUCH) */
#define KCOUNT_DEL    2   /* delete, count the keys that existed (DEL, UNLINK) */
/* The keys in op->val (kop_pairs_put() pairs, values empty), in order;
 * res->num the count. A key given twice counts twice for EXISTS and
 * TOUCH, once for DEL, as in Redis. */
void kop_key_count(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* op->mode bits of kop_key_ttl. */
#define KTTL_MS  0x01u   /* milliseconds, else seconds rounded as Redis does */
#define KTTL_ABS 0x02u   /* the Unix time of expiry, else the time left */
/* res->num: -2 missing, -1 no expiry, else the TTL or expiry time. */
void kop_key_ttl(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* op->mode bits of kop_key_expire (EXPIRE's options). */
#define KEXP_NX 0x01u
#define KEXP_XX 0x02u
#define KEXP_GT 0x04u
#define KEXP_LT 0x08u
/* Expire the key at op->expire_ms (any value: a time not in the future
 * deletes the key). status 1 done, 0 missing or an option said no. */
void kop_key_expire(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* status 1 if the key had an expiry and now has none. */
void kop_key_persist(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Delete the key only if its CAS is still op->cas (undoing our own write
 * and nobody else's). status 1 if deleted. */
void kop_key_del_cas(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* RENAME when both keys have this owner: op->key to op->val, KSET_NX in
 * op->mode for RENAMENX. status 1 done, 0 the target exists (NX),
 * -ENOENT no source, -ENOMEM. Value, flags and expiry move together. */
void kop_key_rename(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* op->mode bits of the iteration kops. */
#define KSCAN_MATCH 0x01u   /* only keys matching the glob in op->val */
#define KSCAN_TYPE  0x02u   /* only values of the type named in op->key */
/* Every matching key of the shard as RESP bulk strings in res->val, their
 * number in res->num (KEYS). */
void kop_key_keys(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* One SCAN step from shard cursor op->num: buckets until op->num2 (COUNT)
 * keys were seen or 10 * COUNT buckets were visited; keys as for
 * kop_key_keys, res->cas the shard cursor to go on from (0 when the shard
 * is done). */
void kop_key_scan(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* status 1 and a random key in res->val, 0 when the shard is empty. */
void kop_key_random(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
