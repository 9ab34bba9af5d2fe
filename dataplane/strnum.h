/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Numbers in strings exactly as Redis 7.0 reads and writes them (util.c):
 * which strings are integers (string2ll) or floats (string2ld), and how
 * INCRBYFLOAT prints its result (ld2string, human mode). Clients depend on
 * the exact rules: "+1", " 1" and "01" are not integers to Redis.
 */
#ifndef SS_DATAPLANE_STRNUM_H
#define SS_DATAPLANE_STRNUM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest integer string plus one (Redis LONG_STR_SIZE). */
#define SS_LONG_STR_SIZE 21
/* Longest long double string INCRBYFLOAT reads or writes (MAX_LONG_DOUBLE_CHARS). */
#define SS_LONG_DOUBLE_CHARS (5 * 1024)

/* The whole of s[0..len) is a decimal long long: no sign but '-', no
 * leading zeros, no spaces. */
bool ss_string2ll(const char *s, size_t len, long long *v);
/* The whole of s[0..len) is a finite-or-infinite long double strtold
 * reads (not NaN, no leading space, no underflow/overflow). */
bool ss_string2ld(const char *s, size_t len, long double *v);
/* v as "%.17Lf" with the trailing zeros (and a bare '.') cut, "-0" as
 * "0". Returns the length written (NUL included in cap), 0 if no room. */
size_t ss_ld2string_human(char *buf, size_t cap, long double v);

#ifdef __cplusplus
}
#endif

#endif
