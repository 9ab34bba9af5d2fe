/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-connection random numbers (xoshiro256**, seeded by splitmix64): fast,
 * and the same seed gives the same workload, so runs can be repeated. */
#ifndef SS_LOADGEN_RAND_H
#define SS_LOADGEN_RAND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lg_rand {
	uint64_t s[4];
};

static inline uint64_t lg_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void lg_rand_seed(struct lg_rand *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = lg_splitmix64(&seed);
}

static inline uint64_t lg_rand_next(struct lg_rand *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, res = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return res;
}

/* Uniform in [0, 1). */
static inline double lg_rand_unit(struct lg_rand *r)
{
	return (double)(lg_rand_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply; the bias is below 2^-40 for
 * the key counts we use). */
static inline uint64_t lg_rand_below(struct lg_rand *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)lg_rand_next(r) * n) >> 64);
}

#ifdef __cplusplus
}
#endif

#endif
