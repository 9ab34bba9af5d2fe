/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port of Redis 7.0's stringmatchlen_impl. The one change: Redis reads the
 * NUL after its sds pattern where the length has run out (pattern[1] after a
 * last '*', the '*' skip at the end); here every such read checks the length
 * first, which gives the same answers on buffers without a terminator.
 */
#include "dataplane/glob.h"

#include <ctype.h>

#define GLOB_MAX_NESTING 1000   /* Redis's guard against abusive patterns */

static int lower(int ch) { return tolower(ch); }

static bool match_impl(const char *p, size_t plen, const char *s, size_t slen, bool nocase,
		       bool *skip_longer, int nesting)
{
	if (nesting > GLOB_MAX_NESTING)
		return false;
	while (plen > 0 && slen > 0) {
		switch (p[0]) {
		case '*':
			while (plen > 1 && p[1] == '*') {
				p++;
				plen--;
			}
			if (plen == 1)
				return true;
			while (slen > 0) {
				if (match_impl(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1))
					return true;
				if (*skip_longer)
					return false;
				s++;
				slen--;
			}
			/* The rest of the pattern matches nowhere in the rest of the
			 * string, so an earlier '*' taking more cannot help either. */
			*skip_longer = true;
			return false;
		case '?':
			s++;
			slen--;
			break;
		case '[': {
			bool neg, match = false;

			p++;
			plen--;
			neg = plen > 0 && p[0] == '^';
			if (neg) {
				p++;
				plen--;
			}
			for (;;) {
				if (plen == 0) {
					/* Unclosed set: step back so the common advance
					 * below leaves the pattern empty. */
					p--;
					plen++;
					break;
				} else if (p[0] == '\\' && plen >= 2) {
					p++;
					plen--;
					if (p[0] == s[0])
						match = true;
				} else if (p[0] == ']') {
					break;
				} else if (plen >= 3 && p[1] == '-') {
					/* Signed chars, as in Redis: bytes >= 0x80 sort first. */
					int start = (signed char)p[0], end = (signed char)p[2];
					int ch = (signed char)s[0];
					if (start > end) {
						int t = start;
						start = end;
						end = t;
					}
					if (nocase) {
						start = lower((unsigned char)start);
						end = lower((unsigned char)end);
						ch = lower((unsigned char)ch);
					}
					p += 2;
					plen -= 2;
					if (ch >= start && ch <= end)
						match = true;
				} else if (!nocase ? p[0] == s[0]
						   : lower((unsigned char)p[0]) == lower((unsigned char)s[0])) {
					match = true;
				}
				p++;
				plen--;
			}
			if (neg)
				match = !match;
			if (!match)
				return false;
			s++;
			slen--;
			break;
		}
		case '\\':
			if (plen >= 2) {
				p++;
				plen--;
			}
			/* fall through */
		default:
			if (!nocase ? p[0] != s[0]
				    : lower((unsigned char)p[0]) != lower((unsigned char)s[0]))
				return false;
			s++;
			slen--;
			break;
		}
		p++;
		plen--;
		if (slen == 0) {
			while (plen > 0 && p[0] == '*') {
				p++;
				plen--;
			}
			break;
		}
	}
	return plen == 0 && slen == 0;
}

bool ss_glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase)
{
	bool skip_longer = false;

	return match_impl(pat, plen, str, slen, nocase, &skip_longer, 0);
}
