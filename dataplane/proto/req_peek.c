/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request peeks for prefetching (req_peek.h). They read hostile bytes like
 * the parsers, so they are fuzzed, but their answer is only a hint: a key
 * loaded for nothing costs a little memory traffic and no behaviour.
 * Lengths stay under 10^9, argument counts under PEEK_ARGS_MAX and lines
 * under PEEK_LINE_MAX, so a peek's cost is bounded whatever comes in.
 */
#include "dataplane/proto/req_peek.h"

#include <stdbool.h>
#include <string.h>

#define PEEK_ARGS_MAX  16     /* MSET of 7 pairs; longer ones are not peeked */
#define PEEK_DIGITS    9
#define PEEK_LINE_MAX  2048   /* memcached's longest command line */
#define PEEK_TOKENS    5      /* a storage command's <bytes> is the fifth */

/* "<c><digits>\r\n" at p[*at]: the number, with *at moved past it; or -1. */
static long resp_header(const char *p, size_t n, size_t *at, char c)
{
	size_t i = *at, start;
	long v = 0;

	if (i >= n || p[i] != c)
		return -1;
	/* One digit, as in "*2\r\n" and "$3\r\n": most headers of a request. */
	if (n - i >= 4 && (unsigned)(p[i + 1] - '0') <= 9 && p[i + 2] == '\r' && p[i + 3] == '\n') {
		*at = i + 4;
		return p[i + 1] - '0';
	}
	start = ++i;
	while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < PEEK_DIGITS)
		v = v * 10 + (p[i++] - '0');
	if (i == start || i + 1 >= n || p[i] != '\r' || p[i + 1] != '\n')
		return -1;
	*at = i + 2;
	return v;
}

size_t resp_peek_key(const char *p, size_t n, struct ss_arg *key)
{
	size_t at = 0;
	long argc = resp_header(p, n, &at, '*');

	if (argc < 2 || argc > PEEK_ARGS_MAX)
		return 0;
	for (long i = 0; i < argc; i++) {
		long len = resp_header(p, n, &at, '$');

		if (len < 0 || (size_t)len + 2 > n - at)
			return 0;
		if (i == 1) {
			key->p = p + at;
			key->len = (size_t)len;
		}
		at += (size_t)len + 2;
	}
	return at;
}

/* A token of digits only: its value, or -1. */
static long mc_number(const struct ss_arg *t)
{
	long v = 0;

	if (t->len == 0 || t->len > PEEK_DIGITS)
		return -1;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (t->p[i] - '0');
	}
	return v;
}

static bool mc_is(const struct ss_arg *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(t->p, s, n) == 0;
}

/* The token that gives the data block's length: the fifth of a storage
 * command ("set <key> <flags> <exptime> <bytes>"), the third of a meta set
 * ("ms <key> <datalen>"); -1 when the command has no data block. */
static int mc_bytes_token(const struct ss_arg *cmd)
{
	if (mc_is(cmd, "set") || mc_is(cmd, "add") || mc_is(cmd, "replace") ||
	    mc_is(cmd, "append") || mc_is(cmd, "prepend") || mc_is(cmd, "cas"))
		return 4;
	return mc_is(cmd, "ms") ? 2 : -1;
}

size_t mc_peek_key(const char *p, size_t n, struct ss_arg *key)
{
	/* An empty input may be NULL, which memchr must not be given. */
	const char *nl = n == 0 ? NULL : memchr(p, '\n', n < PEEK_LINE_MAX ? n : PEEK_LINE_MAX);
	struct ss_arg t[PEEK_TOKENS];
	size_t end, line, i = 0;
	unsigned nt = 0;
	int bt;
	long bytes;

	if (nl == NULL)
		return 0;
	line = (size_t)(nl - p) + 1;
	end = line - 1;
	if (end > 0 && p[end - 1] == '\r')
		end--;
	/* memcached splits on spaces only, and its line ends at a NUL */
	while (nt < PEEK_TOKENS) {
		size_t start;

		while (i < end && p[i] == ' ')
			i++;
		if (i == end || p[i] == '\0')
			break;
		start = i;
		while (i < end && p[i] != ' ' && p[i] != '\0')
			i++;
		t[nt].p = p + start;
		t[nt].len = i - start;
		nt++;
		if (i < end && p[i] == '\0')
			end = i;
	}
	if (nt < 2)
		return 0;
	*key = t[1];
	if ((bt = mc_bytes_token(&t[0])) < 0)
		return line;
	if ((unsigned)bt >= nt || (bytes = mc_number(&t[bt])) < 0 ||
	    (size_t)bytes + 2 > n - line)
		return 0;
	return line + (size_t)bytes + 2;
}
