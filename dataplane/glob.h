/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Glob matching as Redis 7.0 does it for KEYS and SCAN MATCH (util.c
 * stringmatchlen): '*', '?', '[...]' with '^' negation and 'a-z' ranges
 * (reversed ranges allowed), '\' escapes, an unclosed '[' matching what is
 * left of the set. A pattern nesting '*' more than 1000 deep matches nothing.
 * Works on byte ranges: neither argument needs a NUL terminator.
 */
#ifndef SS_DATAPLANE_GLOB_H
#define SS_DATAPLANE_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

bool ss_glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase);

#ifdef __cplusplus
}
#endif

#endif
