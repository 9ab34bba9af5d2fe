/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KEYS/SCAN glob matcher against Redis 7.0's stringmatchlen answers.
 * Every pattern and string is copied into an allocation of its exact size,
 * so a read past either end (Redis relies on the sds NUL there) shows up
 * under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/glob.h"

static bool m(const char *pat, size_t plen, const char *str, size_t slen, bool nocase)
{
	char *p = malloc(plen ? plen : 1), *s = malloc(slen ? slen : 1);
	bool r;

	memcpy(p, pat, plen);
	memcpy(s, str, slen);
	r = ss_glob_match(p, plen, s, slen, nocase);
	free(p);
	free(s);
	return r;
}

#define MATCH(p, s) m(p, strlen(p), s, strlen(s), false)

static const struct { const char *pat, *str; bool want; } cases[] = {
	{ "*", "", false },   /* Redis: KEYS/SCAN special-case "*" instead */ { "*", "anything", true }, { "", "", true }, { "", "a", false },
	{ "a", "", false }, { "?", "", false }, { "?", "x", true }, { "??", "x", false },
	{ "h?llo", "hello", true }, { "h?llo", "hllo", false },
	{ "h*llo", "hllo", true }, { "h*llo", "heeeello", true }, { "h*llo", "hello!", false },
	{ "h[ae]llo", "hallo", true }, { "h[ae]llo", "hillo", false },
	{ "h[^e]llo", "hallo", true }, { "h[^e]llo", "hello", false },
	{ "h[a-b]llo", "hbllo", true }, { "h[a-b]llo", "hcllo", false },
	{ "h[b-a]llo", "hallo", true },            /* a reversed range still counts */
	{ "a\\*b", "a*b", true }, { "a\\*b", "axb", false },
	{ "a[*]b", "a*b", true }, { "a\\\\b", "a\\b", true },
	{ "a[\\]]b", "a]b", true }, { "a[\\]]b", "a\\b", false },
	{ "\\", "\\", true },                      /* a lone backslash is literal */
	{ "a[", "a", false },                      /* unclosed set: empty set at the end */
	{ "a[b", "ab", true },                     /* unclosed set matches its members */
	{ "a[b", "ac", false }, { "[", "", false }, { "[^", "x", true },
	{ "[]]", "]", false }, { "[]]", "]]", false }, { "[]", "", false },
	{ "x[--z]y", "x-y", true },                /* '-' starting a range */
	{ "h[a-", "ha", true }, { "h[a-", "h-", true }, { "h[a-", "hb", false },
	{ "*b", "ab", true }, { "**a**", "bab", true }, { "*a*b*", "xaxbx", true },
	{ "a*b*c", "abc", true }, { "a*b*c", "acb", false },
	{ "k[1-2]*", "k10", true }, { "k[1-2]*", "k3", false },
	{ "*[0-9]", "k10", true }, { "[A-Z]*", "abc", false },
	{ "a*", "a", true }, { "a**", "a", true }, { "a*?", "a", false },
	{ "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (MATCH(cases[i].pat, cases[i].str) != cases[i].want)
			fail_msg("'%s' ~ '%s': want %d", cases[i].pat, cases[i].str, cases[i].want);
}

static void test_binary_and_high_bytes(void **state)
{
	(void)state;
	/* NUL bytes are ordinary bytes in both. */
	assert_true(m("a\0*", 3, "a\0zz", 4, false));
	assert_false(m("a\0*", 3, "a\1zz", 4, false));
	assert_true(m("?", 1, "\0", 1, false));
	/* Ranges compare signed chars, as Redis does: 0xe9 sorts before 'a'. */
	assert_true(MATCH("h[\xe0-\xef]llo", "h\xe9llo"));
	assert_true(MATCH("[\xff-a]", "b") == false);
	assert_true(MATCH("[\xff-a]", "\xff"));
	assert_true(MATCH("[\xff-a]", "0"));
}

static void test_nocase(void **state)
{
	(void)state;
	assert_true(m("HeLLo", 5, "hello", 5, true));
	assert_false(m("HeLLo", 5, "hello", 5, false));
	assert_true(m("[A-C]x", 6, "bX", 2, true));
	assert_true(m("[^A-C]x", 7, "dX", 2, true));
	assert_false(m("[^A-C]x", 7, "BX", 2, true));
}

static void test_nesting_limit(void **state)
{
	char pat[2 * 1100 + 2], str[1200];
	size_t n = 0;

	(void)state;
	/* 1100 '*'s separated by 'a': deeper than Redis's 1000, so no match
	 * even though the string would match. */
	for (int i = 0; i < 1100; i++) {
		pat[n++] = '*';
		pat[n++] = 'a';
	}
	memset(str, 'a', sizeof(str));
	assert_false(m(pat, n, str, sizeof(str), false));
	/* 500 levels match. */
	assert_true(m(pat, 1000, str, sizeof(str), false));
}

static void test_pathological_is_fast(void **state)
{
	/* Without the skip-longer-matches cut this is exponential. */
	const char *pat = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	char str[4096];

	(void)state;
	memset(str, 'a', sizeof(str));
	assert_false(m(pat, strlen(pat), str, sizeof(str), false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_binary_and_high_bytes),
		cmocka_unit_test(test_nocase),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_pathological_is_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
