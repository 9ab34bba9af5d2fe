/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-linear latency histogram (HdrHistogram's shape): values below 16
 * get a bucket each; above, every power of two is cut into 16 linear
 * sub-buckets, so a bucket is at most 1/16 (6.25%) wide relative to its
 * value. Recording is a count of leading zeros and an increment: cheap
 * enough for every request on the owning core.
 *
 *   value:   0..15 | 16..31 (16 x 1) | 32..63 (16 x 2) | 64..127 (16 x 4) | ...
 *   bucket:  0..15 | 16..31          | 32..47          | 48..63           | ...
 *
 * One writer per histogram (relaxed stores); readers on other cores merge
 * with relaxed loads, so a merged view may lag by the requests in flight.
 */
#ifndef SS_PLATFORM_HIST_H
#define SS_PLATFORM_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HIST_SUB_BITS 4
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Values up to 2^44 ns (about 4.9 hours); larger ones land in the last bucket. */
#define HIST_MAX_BITS 44
#define HIST_BUCKETS  ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

static inline unsigned hist_bucket(uint64_t v)
{
	unsigned msb, idx;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	idx = (msb - HIST_SUB_BITS + 1) * HIST_SUB +
	      (unsigned)((v >> (msb - HIST_SUB_BITS)) & (HIST_SUB - 1));
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* _local: only the histogram's single writer. */
static inline void hist_record_local(struct hist *h, uint64_t v)
{
	unsigned i = hist_bucket(v);

	__atomic_store_n(&h->b[i], h->b[i] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
	if (v > h->max)
		__atomic_store_n(&h->max, v, __ATOMIC_RELAXED);
}

/* The largest value bucket i holds (its inclusive upper bound). */
uint64_t hist_bucket_upper(unsigned i);
/* Any thread: dst += src, with relaxed loads of src. */
void hist_merge(struct hist *dst, const struct hist *src);
/* The value at quantile q (0..1) as a bucket's upper bound, capped at max;
 * 0 for an empty histogram. */
uint64_t hist_quantile(const struct hist *h, double q);

#ifdef __cplusplus
}
#endif

#endif
