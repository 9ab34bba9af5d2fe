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

#ifdef __cplusplus
extern "C" {
#endif

#define FMT_U64_MAX 20   /* digits of UINT64_MAX */

/* Writes v's digits at dst (no NUL); returns how many. */
static inline size_t fmt_u64(char *dst, uint64_t v)
{
	char tmp[FMT_U64_MAX];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
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
