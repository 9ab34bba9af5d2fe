/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Owner-side functions of the RESP string commands. Each read-modify-write
 * is one kop, so it is atomic on the key's owner core. Values written keep
 * the item's memcached flags and expiry unless the command replaces them
 * (SET stores op->flags, memcached users of the key see those).
 *
 * Status conventions below; res->val, when set, points into the shard or
 * into this thread's kop_scratch() buffer (see kop.h for how long it lives).
 */
#ifndef SS_DATAPLANE_KOP_STRING_H
#define SS_DATAPLANE_KOP_STRING_H

#include <stdbool.h>
#include "dataplane/buf.h"
#include "dataplane/kop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* op->mode bits of kop_str_set. */
#define KSET_NX      0x01u   /* only if the key does not exist */
#define KSET_XX      0x02u   /* only if it exists */
#define KSET_GET     0x04u   /* return the old value */
#define KSET_KEEPTTL 0x08u   /* keep an existing key's expiry (else op->expire_ms) */
#define KSET_RETCAS  0x10u   /* return the stored item's CAS in res->cas */

/* Store op->val with op->flags. status 1 stored, 0 NX/XX said no, -ENOMEM.
 * res->num 1 if the key existed (looked up only for NX, XX, GET or KEEPTTL;
 * 0 without them); res->val its old value (KSET_GET). */
void kop_str_set(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* status 1 and the value (then deleted), or 0 for a missing key. */
void kop_str_getdel(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* op->mode bits of kop_str_getex; op->num2 is an argument error found by
 * the origin (KARG_*), reported only if the key exists, as Redis does. */
#define KGETEX_EXPIRE  0x01u   /* set the expiry to op->expire_ms */
#define KGETEX_ABS     0x02u   /* EXAT/PXAT: a time already past deletes the key */
#define KGETEX_PERSIST 0x04u   /* remove the expiry */
#define KARG_NOT_INT   1       /* "value is not an integer or out of range" */
#define KARG_BAD_TIME  2       /* "invalid expire time in '...' command" */
/* status 1 and the value, 0 missing, -EINVAL with res->num = KARG_*. */
void kop_str_getex(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Append op->val; op->num2 is the longest value allowed. status 1 with
 * res->num the new length, -E2BIG over the limit, -ENOMEM. */
void kop_str_append(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Write op->val at offset op->num (>= 0), zero-padding; op->num2 as for
 * append. status 1 with res->num the length, -E2BIG, -ENOMEM. */
void kop_str_setrange(struct shard *s, const struct kop *op, struct kop_result *res,
		      int64_t now_ms);

/* The bytes from op->num to op->num2 (Redis's index rules, negatives from
 * the end) in res->val; empty for a missing key. status 1. */
void kop_str_getrange(struct shard *s, const struct kop *op, struct kop_result *res,
		      int64_t now_ms);

/* res->num = the value's length, 0 for a missing key. */
void kop_str_strlen(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Add op->num to the integer value (missing = 0). status 1 with res->num
 * the result, -EINVAL not an integer, -ERANGE overflow, -ENOMEM. */
void kop_str_incrby(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Add the float in op->val. status 1 with res->val the new value as
 * stored, -EINVAL not a valid float, -EDOM NaN or infinity, -ENOMEM. */
void kop_str_incrbyfloat(struct shard *s, const struct kop *op, struct kop_result *res,
			 int64_t now_ms);

/* MSETNX when every key has this owner: op->val holds the pairs as
 * kop_pairs_put() wrote them. status 1 all stored, 0 one existed (none
 * stored), -ENOMEM (none stored). */
void kop_str_msetnx(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* MGET's part on this owner: for each key of op->val (kop_pairs_put()
 * pairs, values empty), in order, res->val holds [u8 found][u32 len][len
 * bytes]; res->num the number of keys. status 1 or -ENOMEM. */
void kop_str_mget(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* MSET's part on this owner: op->val holds the pairs as kop_pairs_put()
 * wrote them, stored in order (flags 0, no expiry). status 1, or -ENOMEM
 * (the pairs before the one that failed stay stored). */
void kop_str_mset(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* Serialized key/value pairs: [u32 len][bytes] for key, then value. */
int kop_pairs_put(struct buf *b, const struct ss_arg *k, const struct ss_arg *v);
/* The pair at *off of (p, len), advancing *off; false at the end. */
bool kop_pairs_next(const char *p, size_t len, size_t *off, struct ss_arg *k, struct ss_arg *v);

#ifdef __cplusplus
}
#endif

#endif
