/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 64-bit key hash that indexes a shard's table. Eight bytes a step,
 * multiply-xorshift mixing (the murmur/wyhash family); not for security.
 */
#ifndef SS_STORAGE_HASH_H
#define SS_STORAGE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t hash64(const void *key, size_t len)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xc2b2ae3d27d4eb4fULL);
	uint64_t w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ hash_mix64(w)) * 0x9fb21c651e98df25ULL;
	}
	w = 0;
	memcpy(&w, p, len);
	return hash_mix64(h ^ w ^ (uint64_t)len << 56);
}

#ifdef __cplusplus
}
#endif

#endif
