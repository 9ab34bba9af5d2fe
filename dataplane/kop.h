/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A key operation: the unit of work that runs on the core owning the key,
 * whether the request arrived there or on another core. Commands are
 * planned as a sequence of kops; each kop's result is emitted into the
 * reply in order.
 */
#ifndef SS_DATAPLANE_KOP_H
#define SS_DATAPLANE_KOP_H

#include <stdint.h>
#include "dataplane/proto/arg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct shard;

enum kop_kind { KOP_GET, KOP_SET, KOP_DEL };

struct kop {
	enum kop_kind kind;
	int target;               /* -1: the key's owner; else this worker (fan-out to
	                             every shard, e.g. flush, plans one kop per worker) */
	struct ss_arg key;
	struct ss_arg val;        /* SET */
	uint32_t flags;           /* SET: memcached client flags */
	int64_t expire_ms;        /* SET: absolute Unix ms, 0 = never, < 0 = already expired */
};

struct kop_result {
	int status;               /* GET: 1 hit, 0 miss; SET: SS_OK or -errno; DEL: 1 or 0 */
	uint32_t flags;
	uint64_t cas;
	struct ss_arg val;        /* GET hit: valid until the next write to the shard */
};

/* Runs op on s. Only on s's owner core. */
void kop_exec_local(struct shard *s, const struct kop *op, struct kop_result *res);

#ifdef __cplusplus
}
#endif

#endif
