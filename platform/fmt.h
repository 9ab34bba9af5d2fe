/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integer to decimal without printf: reply headers ("$5\r\n", ":42\r\n",
 * "VALUE k 0 5\r\n") are written for every request, and vfprintf was a
 * third of the instructions of a GET (callgrind).
 */
#ifndef SS_PLATFORM_FMT_H
#define SS_PLATFORM_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FMT_U64_MAX 20   /* digits of UINT64_MAX */

/* Writes v's digits at dst (no NUL); returns how many. Two digits a
 * division, written in place from the right once the length is known: the
 * load generator writes several numbers per request too. */
static inline size_t fmt_u64(char *dst, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	size_t n = 1, i;

	for (uint64_t p = 10; n < FMT_U64_MAX && v >= p; p *= 10)
		n++;
	i = n;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		i -= 2;
		memcpy(dst + i, pairs + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(dst + i - 2, pairs + 2 * v, 2);
	else
		dst[i - 1] = (char)('0' + v);
	return n;
}

/* As fmt_u64, with a '-' for negatives (INT64_MIN included). */
static inline size_t fmt_i64(char *dst, int64_t v)
{
	if (v >= 0)
		return fmt_u64(dst, (uint64_t)v);
	dst[0] = '-';
	return 1 + fmt_u64(dst + 1, (uint64_t)0 - (uint64_t)v);
}

#ifdef __cplusplus
}
#endif

#endif
