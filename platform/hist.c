/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/hist.h"

uint64_t hist_bucket_upper(unsigned i)
{
	unsigned exp, sub;

	if (i < HIST_SUB)
		return i;
	exp = i / HIST_SUB - 1 + HIST_SUB_BITS;   /* the power of two of the range */
	sub = i % HIST_SUB;
	/* range [2^exp, 2^(exp+1)) cut into HIST_SUB steps of 2^(exp-SUB_BITS) */
	return ((uint64_t)(HIST_SUB + sub + 1) << (exp - HIST_SUB_BITS)) - 1;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	uint64_t m = __atomic_load_n(&src->max, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t n = __atomic_load_n(&src->b[i], __ATOMIC_RELAXED);
		dst->b[i] += n;
		dst->count += n;   /* from the buckets: consistent with them */
	}
	if (m > dst->max)
		dst->max = m;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The smallest value with at least ceil(q * count) values at or below it. */
	rank = (uint64_t)(q * (double)h->count + 0.999999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t up = hist_bucket_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}
