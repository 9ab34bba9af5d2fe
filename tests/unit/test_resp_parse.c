/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * resp_parse(): every case is described as the sequence of results a server
 * sees when it gets the whole input in one read, then checked to be the same
 * when the input arrives k bytes per read, for every k (a sample of k for
 * inputs over 8 KiB). The bytes received always end where their heap block
 * ends, so ASan catches any look past them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/proto/resp_parse.h"
#include "platform/status.h"

#define FULL_SWEEP_MAX 8192

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	sb_put(b, tmp, (size_t)n);
}

/* An argument as [bytes], non-printables and ][\ escaped as \xHH. */
static void sb_arg(struct sbuf *b, const char *p, size_t n)
{
	size_t i;

	sb_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '\\')
			sb_printf(b, "\\x%02x", c);
		else
			sb_put(b, p + i, 1);
	}
	sb_put(b, "]", 1);
}

static void describe(struct sbuf *b, int rc, size_t used, const struct resp_req *r,
		     const char *err)
{
	uint32_t i;

	if (rc < 0) {
		sb_printf(b, "ERR %d ", rc);
		sb_arg(b, err, strlen(err));
		sb_put(b, "\n", 1);
		return;
	}
	sb_printf(b, "OK %zu %c%u", used, r->is_inline ? 'I' : 'M', r->argc);
	for (i = 0; i < r->argc; i++)
		sb_arg(b, r->argv[i].p, r->argv[i].len);
	sb_put(b, "\n", 1);
}

/*
 * A server that receives k bytes per read: parse while there is input,
 * never before `need` bytes are there (but check that parsing earlier
 * would indeed only ask for more), stop at a protocol error.
 */
static char *run(const char *in, size_t len, size_t k, long long max_bulk)
{
	struct resp_req r;
	struct sbuf out = { 0 };
	size_t avail = 0, off = 0, need = 0;
	char *base = malloc(len ? len : 1), *copy;
	int closed = 0;

	assert_non_null(base);
	resp_req_init(&r);
	r.max_bulk = max_bulk;
	while (!closed) {
		/* The bytes received end where the allocation ends. */
		avail += len - avail < k ? len - avail : k;
		copy = base + len - avail;
		memcpy(copy, in, avail);
		while (off < avail && !closed) {
			size_t have = avail - off, used = 99;
			const char *err = NULL;
			int rc = resp_parse(&r, copy + off, have, &used, &err);

			if (rc == SS_NEED_MORE) {
				assert_int_equal(used, 0);
				assert_true(r.need == 0 || r.need > have);
				if (have < need)
					assert_int_equal(r.need, need);
				need = r.need;
				break;
			}
			assert_true(have >= need);
			need = 0;
			describe(&out, rc, used, &r, err);
			if (rc < 0) {
				closed = 1;
				break;
			}
			assert_true(used > 0 && used <= have);
			off += used;
		}
		if (avail == len)
			break;
	}
	sb_printf(&out, "END rest=%zu need=%zu%s\n", len - off, need, closed ? " closed" : "");
	free(base);
	resp_req_fini(&r);
	return out.p;
}

/* Fragment sizes: all of them, or for big inputs the small ones, the
 * ones around the 64 KiB limits and a few in between. */
static size_t next_k(size_t k, size_t len)
{
	static const size_t big[] = { 1000, 4093, 65535, 65536, 65537, 65538 };
	size_t i;

	if (len <= FULL_SWEEP_MAX || k < 8)
		return k + 1;
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (big[i] > k && big[i] < len - 1)
			return big[i];
	return k < len - 1 ? len - 1 : len + 1;
}

static void check_bulk_max(const char *in, size_t len, long long max_bulk, const char *want)
{
	char *one = run(in, len, len, max_bulk);
	size_t k;

	if (strcmp(one, want) != 0)
		fail_msg("one read:\n got: %s\nwant: %s", one, want);
	for (k = 1; k <= len; k = next_k(k, len)) {
		char *got = run(in, len, k, max_bulk);

		if (strcmp(got, one) != 0)
			fail_msg("%zu bytes per read:\n got: %s\nwant: %s", k, got, one);
		free(got);
	}
	free(one);
}

static void check_n(const char *in, size_t len, const char *want)
{
	check_bulk_max(in, len, RESP_BULK_MAX_DEFAULT, want);
}

#define check(lit, want) check_n(lit, sizeof(lit) - 1, want)
#define check_max(lit, max, want) check_bulk_max(lit, sizeof(lit) - 1, max, want)

static char *repeat(const char *head, char fill, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, fill, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

static void test_multibulk(void **state)
{
	(void)state;
	check("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
	      "OK 22 M2[GET][key]\nEND rest=0 need=0\n");
	check("*1\r\n$0\r\n\r\n", "OK 10 M1[]\nEND rest=0 need=0\n");
	check("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n",
	      "OK 37 M3[SET][k][0123456789]\nEND rest=0 need=0\n");
	/* Incomplete: need names the end of the bulk being read. */
	check("*2\r\n$3\r\nGET\r\n$10\r\nabc",
	      "END rest=21 need=30\n");
	check("*2\r\n$3\r\nGET\r\n$1", "END rest=15 need=0\n");
	check("*2\r\n$3\r\nGE", "END rest=10 need=13\n");
	check("*2\r", "END rest=3 need=0\n");
}

static void test_multibulk_binary(void **state)
{
	(void)state;
	check("*2\r\n$5\r\na\0\r\nb\r\n$4\r\n\r\n\r\n\r\n",
	      "OK 25 M2[a\\x00\\x0d\\x0ab][\\x0d\\x0a\\x0d\\x0a]\nEND rest=0 need=0\n");
	check("*1\r\n$3\r\n\xff\x80*\r\n", "OK 13 M1[\\xff\\x80*]\nEND rest=0 need=0\n");
}

static void test_multibulk_empty(void **state)
{
	(void)state;
	check("*0\r\n", "OK 4 M0\nEND rest=0 need=0\n");
	check("*-1\r\n", "OK 5 M0\nEND rest=0 need=0\n");
	check("*-10\r\n*1\r\n$4\r\nPING\r\n", "OK 6 M0\nOK 14 M1[PING]\nEND rest=0 need=0\n");
}

static void test_multibulk_lenient(void **state)
{
	(void)state;
	/* Redis takes the byte after '\r' for '\n' unchecked ... */
	check("*1\rX$1\rYa\r\n", "OK 11 M1[a]\nEND rest=0 need=0\n");
	/* ... and skips the two bytes after the data unchecked. */
	check("*1\r\n$3\r\nfooXY*1\r\n$1\r\na\r\n",
	      "OK 13 M1[foo]\nOK 11 M1[a]\nEND rest=0 need=0\n");
	/* The limits themselves are fine. */
	check("*1048576\r\n", "END rest=10 need=0\n");
}

static void test_multibulk_count_errors(void **state)
{
	static const char *bad[] = {
		"*abc\r\n", "*\r\n", "*-0\r\n", "*+1\r\n", "*01\r\n", "* 1\r\n",
		"*1 \r\n", "*1048577\r\n", "*99999999999999999999\r\n",
		"*9223372036854775808\r\n",
	};
	char buf[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);

		snprintf(buf, sizeof(buf), "ERR -71 [Protocol error: invalid multibulk length]\n"
			 "END rest=%zu need=0 closed\n", len);
		check_n(bad[i], len, buf);
	}
	/* A NUL before the '\r' hides it (strchr): wait, like Redis. */
	check("*1\0\r\n\r\n", "END rest=7 need=0\n");
}

static void test_bulk_errors(void **state)
{
	(void)state;
	check("*1\r\n:3\r\n",
	      "ERR -71 [Protocol error: expected '$', got ':']\nEND rest=8 need=0 closed\n");
	check("*2\r\n$1\r\na\r\nfoo\r\n",
	      "ERR -71 [Protocol error: expected '$', got 'f']\nEND rest=16 need=0 closed\n");
	/* CR and LF are shown as spaces, as Redis's addReplyErrorFormat does. */
	check("*1\r\n\r\n", "ERR -71 [Protocol error: expected '$', got ' ']\nEND rest=6 need=0 closed\n");
	check("*1\r\n\n\r\n", "ERR -71 [Protocol error: expected '$', got ' ']\nEND rest=7 need=0 closed\n");
	check("*1\r\n$-1\r\n", "ERR -71 [Protocol error: invalid bulk length]\nEND rest=9 need=0 closed\n");
	check("*1\r\n$x\r\n", "ERR -71 [Protocol error: invalid bulk length]\nEND rest=8 need=0 closed\n");
	check("*1\r\n$\r\n", "ERR -71 [Protocol error: invalid bulk length]\nEND rest=7 need=0 closed\n");
	check("*1\r\n$01\r\n", "ERR -71 [Protocol error: invalid bulk length]\nEND rest=9 need=0 closed\n");
	check("*1\r\n$536870913\r\n",
	      "ERR -71 [Protocol error: invalid bulk length]\nEND rest=16 need=0 closed\n");
	/* 512 MiB itself is allowed: wait for it. */
	check("*1\r\n$536870912\r\n", "END rest=16 need=536870930\n");
	/* proto-max-bulk-len is the request's max_bulk. */
	check_max("*2\r\n$4\r\nabcd\r\n$5\r\nabcde\r\n", 4,
		       "ERR -71 [Protocol error: invalid bulk length]\nEND rest=25 need=0 closed\n");
	/* An error after a complete request: that one is served first. */
	check("*1\r\n$4\r\nPING\r\n*1\r\n$x\r\nPING\r\n",
	      "OK 14 M1[PING]\nERR -71 [Protocol error: invalid bulk length]\nEND rest=14 need=0 closed\n");
}

static void test_header_too_big(void **state)
{
	char *s;

	(void)state;
	/* "*" and 65535 digits: not over the limit yet, so wait. */
	s = repeat("*", '1', RESP_INLINE_MAX - 1, "");
	check_n(s, strlen(s), "END rest=65536 need=0\n");
	free(s);
	/* One more byte without '\r': refused. */
	s = repeat("*", '1', RESP_INLINE_MAX, "");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: too big mbulk count string]\nEND rest=65537 need=0 closed\n");
	free(s);
	/* Its '\r' comes too late: refused whatever the read sizes. */
	s = repeat("*", '1', RESP_INLINE_MAX, "\r\n");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: too big mbulk count string]\nEND rest=65539 need=0 closed\n");
	free(s);
	/* '\r' as the 65537th byte: in time, the count itself is bad. */
	s = repeat("*", '1', RESP_INLINE_MAX - 1, "\r\n");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: invalid multibulk length]\nEND rest=65538 need=0 closed\n");
	free(s);
	s = repeat("*1\r\n$", '1', RESP_INLINE_MAX, "");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: too big bulk count string]\nEND rest=65541 need=0 closed\n");
	free(s);
	s = repeat("*1\r\n$", '1', RESP_INLINE_MAX - 1, "");
	check_n(s, strlen(s), "END rest=65540 need=0\n");
	free(s);
}

static void test_inline(void **state)
{
	(void)state;
	check("PING\r\n", "OK 6 I1[PING]\nEND rest=0 need=0\n");
	check("set a b\n", "OK 8 I3[set][a][b]\nEND rest=0 need=0\n");
	check("  get \t key  \r\n", "OK 15 I2[get][key]\nEND rest=0 need=0\n");
	/* \v and \f are blanks between tokens but not token ends. */
	check("a\vb\f c\r\n", "OK 8 I2[a\\x0bb\\x0c][c]\nEND rest=0 need=0\n");
	/* Only one '\r' before the '\n' is part of the line end. */
	check("a\r\r\n", "OK 4 I1[a]\nEND rest=0 need=0\n");
	check("a\rb\n", "OK 4 I2[a][b]\nEND rest=0 need=0\n");
	check("PING", "END rest=4 need=0\n");
	check("PING\r", "END rest=5 need=0\n");
}

static void test_inline_empty(void **state)
{
	(void)state;
	check("\r\n", "OK 2 I0\nEND rest=0 need=0\n");
	check("\n", "OK 1 I0\nEND rest=0 need=0\n");
	check(" \t \r\n\nPING\n", "OK 5 I0\nOK 1 I0\nOK 5 I1[PING]\nEND rest=0 need=0\n");
}

static void test_inline_quotes(void **state)
{
	(void)state;
	check("set k \"two words\"\r\n", "OK 19 I3[set][k][two words]\nEND rest=0 need=0\n");
	check("\"a\\nb\\r\\t\\b\\a\\\\\\\"\\x41\\x4a\\q\"\n",
	      "OK 29 I1[a\\x0ab\\x0d\\x09\\x08\\x07\\x5c\"AJq]\nEND rest=0 need=0\n");
	/* \x needs two hex digits, else it is a plain escaped 'x'. */
	check("\"\\x4\" \"\\xZZ\"\n", "OK 13 I2[x4][xZZ]\nEND rest=0 need=0\n");
	check("'it\\'s' 'a\\nb' '\"'\n", "OK 19 I3[it's][a\\x5cnb][\"]\n"
	      "END rest=0 need=0\n");
	check("\"\" ''\n", "OK 6 I2[][]\nEND rest=0 need=0\n");
	/* Quoting may start inside a token; the token ends with the quote. */
	check("foo\"bar\"baz\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=12 need=0 closed\n");
	check("foo\"bar\" baz\n", "OK 13 I2[foobar][baz]\nEND rest=0 need=0\n");
	check("a'b c'\td\n", "OK 9 I2[ab c][d]\nEND rest=0 need=0\n");
	/* A closing quote may be followed by any isspace() byte. */
	check("\"a\"\vb\n", "OK 6 I2[a][b]\nEND rest=0 need=0\n");
	/* Pipelined: scratch is reused per request. */
	check("echo \"x\\ty\"\r\necho 'p q'\r\n",
	      "OK 13 I2[echo][x\\x09y]\nOK 12 I2[echo][p q]\nEND rest=0 need=0\n");
}

static void test_inline_quote_errors(void **state)
{
	(void)state;
	check("set \"a\"b\r\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=10 need=0 closed\n");
	check("set 'a'b\r\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=10 need=0 closed\n");
	check("set \"abc\r\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=10 need=0 closed\n");
	check("set 'abc\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=9 need=0 closed\n");
	/* A trailing backslash escapes nothing. */
	check("\"abc\\\n",
	      "ERR -71 [Protocol error: unbalanced quotes in request]\nEND rest=6 need=0 closed\n");
	check("PING\r\n\"x\r\nPING\r\n",
	      "OK 6 I1[PING]\nERR -71 [Protocol error: unbalanced quotes in request]\n"
	      "END rest=10 need=0 closed\n");
}

static void test_inline_too_big(void **state)
{
	char *s;

	(void)state;
	s = repeat("", 'a', RESP_INLINE_MAX, "");
	check_n(s, strlen(s), "END rest=65536 need=0\n");
	free(s);
	s = repeat("", 'a', RESP_INLINE_MAX + 1, "");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: too big inline request]\nEND rest=65537 need=0 closed\n");
	free(s);
	/* The '\n' is the 65538th byte: too late, whatever the read sizes. */
	s = repeat("", 'a', RESP_INLINE_MAX + 1, "\n");
	check_n(s, strlen(s),
		"ERR -71 [Protocol error: too big inline request]\nEND rest=65538 need=0 closed\n");
	free(s);
	/* The '\n' is the 65537th byte: in time. */
	s = repeat("", 'a', RESP_INLINE_MAX, "\n");
	{
		struct sbuf want = { 0 };

		sb_printf(&want, "OK %d I1", RESP_INLINE_MAX + 1);
		sb_put(&want, "[", 1);
		{
			char *a = repeat("", 'a', RESP_INLINE_MAX, "]\nEND rest=0 need=0\n");

			sb_put(&want, a, strlen(a));
			free(a);
		}
		check_n(s, strlen(s), want.p);
		free(want.p);
	}
	free(s);
}

static void test_inline_nul(void **state)
{
	char *s;

	(void)state;
	/* Redis's strchr stops at a NUL: the line end is never seen ... */
	check("GET a\0b\r\nPING\r\n", "END rest=15 need=0\n");
	/* ... until the 64 KiB limit refuses it. */
	s = repeat("GET a\0", 'b', RESP_INLINE_MAX, "\r\n");
	check_n(s, RESP_INLINE_MAX + 8,
		"ERR -71 [Protocol error: too big inline request]\nEND rest=65544 need=0 closed\n");
	free(s);
}

static void test_pipelined(void **state)
{
	(void)state;
	check("*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*0\r\nset k \"v v\"\n"
	      "*1\r\n$4\r\nQUIT\r\n*1\r\n$3",
	      "OK 14 M1[PING]\nOK 6 I1[PING]\nOK 22 M2[ECHO][hi]\nOK 4 M0\n"
	      "OK 12 I3[set][k][v v]\nOK 14 M1[QUIT]\nEND rest=6 need=0\n");
}

static void test_need_is_exact(void **state)
{
	struct resp_req r;
	const char *in = "*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n", *err = NULL;
	size_t used, len = strlen(in);

	(void)state;
	resp_req_init(&r);
	assert_int_equal(resp_parse(&r, in, 20, &used, &err), SS_NEED_MORE);
	assert_int_equal(r.need, len);
	assert_int_equal(resp_parse(&r, in, len - 1, &used, &err), SS_NEED_MORE);
	assert_int_equal(r.need, len);
	assert_int_equal(resp_parse(&r, in, len, &used, &err), SS_OK);
	assert_int_equal(used, len);
	assert_int_equal(r.need, 0);
	assert_int_equal(resp_parse(&r, in, 0, &used, &err), SS_NEED_MORE);
	resp_req_fini(&r);
	resp_req_fini(&r);   /* idempotent */
}

static void test_many_args(void **state)
{
	struct sbuf in = { 0 }, want = { 0 };
	int i;

	(void)state;
	/* More arguments than argv first holds, in both forms. */
	sb_printf(&in, "*100\r\n");
	sb_printf(&want, "OK %d M100", 6 + 100 * 7 + 90);
	for (i = 0; i < 100; i++) {
		sb_printf(&in, "$%d\r\n%d\r\n", i < 10 ? 1 : 2, i);
		sb_printf(&want, "[%d]", i);
	}
	sb_printf(&want, "\nOK 391 I100");
	for (i = 0; i < 100; i++) {
		sb_printf(&in, i < 50 ? "%d " : "'%d' ", i);
		sb_printf(&want, "[%d]", i);
	}
	sb_printf(&in, "\n");
	sb_printf(&want, "\nEND rest=0 need=0\n");
	check_n(in.p, in.len, want.p);
	free(in.p);
	free(want.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multibulk),
		cmocka_unit_test(test_multibulk_binary),
		cmocka_unit_test(test_multibulk_empty),
		cmocka_unit_test(test_multibulk_lenient),
		cmocka_unit_test(test_multibulk_count_errors),
		cmocka_unit_test(test_bulk_errors),
		cmocka_unit_test(test_header_too_big),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_inline_empty),
		cmocka_unit_test(test_inline_quotes),
		cmocka_unit_test(test_inline_quote_errors),
		cmocka_unit_test(test_inline_too_big),
		cmocka_unit_test(test_inline_nul),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_need_is_exact),
		cmocka_unit_test(test_many_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
