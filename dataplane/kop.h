/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A key operation: the unit of work that runs on the core owning the key,
 * whether the request arrived there or on another core. Commands are
 * planned as a sequence of kops; each kop's result is emitted into the
 * reply in order.
 *
 * What a kop does is a function (fn) that runs on the owner with the shard.
 * Command files define their own owner-side functions next to the command,
 * so adding a command never touches a central switch. A kop's fn must only
 * use the fields below: steering copies the kop (key and val bytes
 * included) to the owner and the result (val bytes included) back.
 */
#ifndef SS_DATAPLANE_KOP_H
#define SS_DATAPLANE_KOP_H

#include <stdint.h>
#include "dataplane/proto/arg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct shard;
struct kop;
struct kop_result;

/* How many keys ahead a multi-key read starts loading a key's bucket (its
 * item at half that distance): about the DRAM misses a core keeps in
 * flight at once. */
#define KOP_PREFETCH_AHEAD 8

/* Runs on the key's owner core, with its shard; now_ms is Unix ms. */
typedef void (*kop_fn)(struct shard *s, const struct kop *op, struct kop_result *res,
		       int64_t now_ms);

struct kop {
	kop_fn fn;
	int target;               /* -1: the key's owner; else this worker (fan-out to
	                             every shard, e.g. flush, plans one kop per worker) */
	struct ss_arg key;
	struct ss_arg val;        /* a value argument (SET, APPEND ...) */
	uint32_t flags;           /* memcached client flags */
	uint32_t mode;            /* command-specific option bits (NX, XX, GET ...) */
	int64_t expire_ms;        /* absolute Unix ms, 0 = never, < 0 = already expired */
	uint64_t cas;             /* compare-and-swap unique to match, 0 = none */
	int64_t num, num2;        /* numeric arguments (a delta, a range ...) */
	uint64_t tag;             /* the sender's, returned in the result untouched */
};

struct kop_result {
	int status;               /* the fn's verdict; GET: 1 hit, 0 miss; SET: SS_OK or -errno */
	uint32_t flags;
	uint64_t cas;
	int64_t expire_ms;
	int64_t num;              /* a numeric result (INCR, TTL, a count ...) */
	struct ss_arg val;        /* bytes to return, or NULL: on the owner valid until
	                             its next write; steering hands the origin a copy */
	uint64_t tag;             /* the kop's tag (steering sets it) */
};

/* Run op on s (op->fn). Only on s's owner core. */
void kop_exec_local(struct shard *s, const struct kop *op, struct kop_result *res);

/* The basic operations. GET fills flags, cas, expire_ms and val on a hit. */
void kop_get(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* Store val with flags and expire_ms (memcached: < 0 stores an expired item,
 * i.e. deletes). */
void kop_set(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* GET as a reader on any core: the owner's table read under QSBR RCU
 * (CREW), no message. Counts no access on the item (LRU/LFU clocks and
 * lazy expiry stay the owner's). The caller must be a QSBR reader, online;
 * res->val is valid until its next quiescent state. */
void kop_get_rcu(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);
/* The RCU read equivalent of fn, or NULL when fn must run on the owner. */
kop_fn kop_rcu_variant(kop_fn fn);

/* status 1 if the key existed, else 0. */
void kop_del(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
