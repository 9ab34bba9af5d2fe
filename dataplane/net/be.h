/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network byte order loads and stores at any alignment, for header fields.
 * One load or store and a byte swap each: written byte by byte, GCC did
 * not merge a run of 32-bit fields and built them with shifts and ors (a
 * segment's headers cost about twice the instructions).
 */
#ifndef SS_DATAPLANE_NET_BE_H
#define SS_DATAPLANE_NET_BE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return __builtin_bswap16(v);
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

#endif
