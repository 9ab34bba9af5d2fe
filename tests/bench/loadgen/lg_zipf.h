/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zipf-distributed ranks in [0, n): P(rank k) = (1 / (k+1)^theta) / zeta(n, theta),
 * by the method of Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases" (SIGMOD 1994), as YCSB and memtier use it: O(n) set-up for
 * zeta(n, theta), then O(1) per draw. Ranks 0 and 1 are exact; the tail is
 * an approximation close enough for cache workloads. 0 < theta < 1.
 */
#ifndef SS_LOADGEN_ZIPF_H
#define SS_LOADGEN_ZIPF_H

#include <math.h>
#include <stdint.h>

#include "lg_rand.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lg_zipf {
	uint64_t n;
	double theta, alpha, zetan, eta, half_pow_theta;
};

/* 0, or -EINVAL for n == 0 or theta outside (0, 1). */
int lg_zipf_init(struct lg_zipf *z, uint64_t n, double theta);
/* zeta(n, theta) = sum over k = 1..n of 1 / k^theta. */
double lg_zeta(uint64_t n, double theta);

/* One rank; r is the caller's (one per connection). */
static inline uint64_t lg_zipf_next(const struct lg_zipf *z, struct lg_rand *r)
{
	double u = lg_rand_unit(r), uz = u * z->zetan;
	uint64_t k;

	if (uz < 1.0)
		return 0;
	if (uz < 1.0 + z->half_pow_theta)
		return 1;
	k = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
	return k < z->n ? k : z->n - 1;
}

#ifdef __cplusplus
}
#endif

#endif
