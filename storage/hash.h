/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 64-bit key hash that indexes a shard's table. Eight bytes a step,
 * multiply-xorshift mixing (the murmur/wyhash family); not for security.
 * Its top 16 bits are the bucket tag, its low bits the bucket index.
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

static inline uint64_t hash_load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint64_t hash_load32(const unsigned char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* wyhash's mum: the 128-bit product folded to 64 bits, one multiply. */
static inline uint64_t hash_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Fixed-size loads only (a variable-length memcpy for the tail cost more
 * than the mixing): the tail is the last 8 bytes, overlapping the words
 * before; short keys take two overlapping 4-byte loads or three bytes.
 * One 64x64->128 multiply per 8 bytes plus one to finish (wyhash-style). */
static inline uint64_t hash64(const void *key, size_t len)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	uint64_t a, b;

	if (len > 8) {
		const unsigned char *end = p + len - 8;
		for (; p < end; p += 8)
			h = hash_mum(hash_load64(p) ^ 0xa0761d6478bd642fULL, h ^ 0xe7037ed1a0b428dbULL);
		a = hash_load64(end);
		b = len;
	} else if (len >= 4) {
		a = hash_load32(p);
		b = hash_load32(p + len - 4);
	} else if (len > 0) {
		a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
		b = 0;
	} else {
		a = b = 0;
	}
	h = hash_mum(a ^ 0x8ebc6af09c88c6e3ULL ^ h, b ^ 0x589965cc75374cc3ULL);
	return hash_mum(h ^ 0xa0761d6478bd642fULL, len ^ 0xe7037ed1a0b428dbULL);
}

#ifdef __cplusplus
}
#endif

#endif
