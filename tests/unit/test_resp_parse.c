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

#include "dataplane/buf.h"
#include "dataplane/proto/resp_parse.h"
#include "platform/status.h"
#include "split_feed.h"

/* Past this, feeding at every read size is too slow (it is quadratic). */
#define FULL_SWEEP_MAX 8192

static void describe(struct buf *b, int rc, size_t used, const struct resp_req *r,
		     const char *err)
{
	uint32_t i;

	if (rc < 0) {
		buf_appendf(b, "ERR %d ", rc);
		sf_arg(b, err, strlen(err));
		buf_append(b, "\n", 1);
		return;
	}
	buf_appendf(b, "OK %zu %c%u", used, r->is_inline ? 'I' : 'M', r->argc);
	for (i = 0; i < r->argc; i++)
		sf_arg(b, r->argv[i].p, r->argv[i].len);
	buf_append(b, "\n", 1);
}

/* A protocol error closes the connection; nothing is ever swallowed. */
static void step(void *req, const char *p, size_t have, struct sf_step *st, struct buf *out)
{
	struct resp_req *r = req;
	const char *err = NULL;

	st->rc = resp_parse(r, p, have, &st->used, &err);
	st->need = r->need;
	if (st->rc == SS_NEED_MORE)
		return;
	describe(out, st->rc, st->used, r, err);
	st->close = st->rc < 0;
}

/* A fresh request for every feeding: the parser keeps state across calls. */
static char *run(const char *in, size_t len, size_t k, const void *max_bulk)
{
	struct resp_req r;
	char *out;

	resp_req_init(&r);
	r.max_bulk = *(const long long *)max_bulk;
	out = sf_feed(in, len, k, step, &r, 0);
	resp_req_fini(&r);
	return out;
}

static void check_bulk_max(const char *in, size_t len, long long max_bulk, const char *want)
{
	const struct sf_target t = { run, &max_bulk, FULL_SWEEP_MAX };

	sf_check(&t, in, len, want);
}

static const long long bulk_max_default = RESP_BULK_MAX_DEFAULT;
static const struct sf_target resp = { run, &bulk_max_default, FULL_SWEEP_MAX };

#define check_n(in, len, want) sf_check(&resp, in, len, want)
#define check(lit, want) check_n(lit, sizeof(lit) - 1, want)
#define check_max(lit, max, want) check_bulk_max(lit, sizeof(lit) - 1, max, want)
#define check_repeat(head, fill, n, tail, want) sf_check_repeat(&resp, head, fill, n, tail, want)

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
	(void)state;
	/* "*" and 65535 digits: not over the limit yet, so wait. */
	check_repeat("*", '1', RESP_INLINE_MAX - 1, "", "END rest=65536 need=0\n");
	/* One more byte without '\r': refused. */
	check_repeat("*", '1', RESP_INLINE_MAX, "",
		     "ERR -71 [Protocol error: too big mbulk count string]\nEND rest=65537 need=0 closed\n");
	/* Its '\r' comes too late: refused whatever the read sizes. */
	check_repeat("*", '1', RESP_INLINE_MAX, "\r\n",
		     "ERR -71 [Protocol error: too big mbulk count string]\nEND rest=65539 need=0 closed\n");
	/* '\r' as the 65537th byte: in time, the count itself is bad. */
	check_repeat("*", '1', RESP_INLINE_MAX - 1, "\r\n",
		     "ERR -71 [Protocol error: invalid multibulk length]\nEND rest=65538 need=0 closed\n");
	check_repeat("*1\r\n$", '1', RESP_INLINE_MAX, "",
		     "ERR -71 [Protocol error: too big bulk count string]\nEND rest=65541 need=0 closed\n");
	check_repeat("*1\r\n$", '1', RESP_INLINE_MAX - 1, "", "END rest=65540 need=0\n");
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
	struct buf want;
	char *a = sf_repeat("", 'a', RESP_INLINE_MAX, "");

	(void)state;
	check_repeat("", 'a', RESP_INLINE_MAX, "", "END rest=65536 need=0\n");
	check_repeat("", 'a', RESP_INLINE_MAX + 1, "",
		     "ERR -71 [Protocol error: too big inline request]\nEND rest=65537 need=0 closed\n");
	/* The '\n' is the 65538th byte: too late, whatever the read sizes. */
	check_repeat("", 'a', RESP_INLINE_MAX + 1, "\n",
		     "ERR -71 [Protocol error: too big inline request]\nEND rest=65538 need=0 closed\n");
	/* The '\n' is the 65537th byte: in time. */
	buf_init(&want);
	buf_appendf(&want, "OK %d I1[%s]\nEND rest=0 need=0\n", RESP_INLINE_MAX + 1, a);
	check_repeat("", 'a', RESP_INLINE_MAX, "\n", sf_str(&want));
	buf_fini(&want);
	free(a);
}

static void test_inline_nul(void **state)
{
	char *s;

	(void)state;
	/* Redis's strchr stops at a NUL: the line end is never seen ... */
	check("GET a\0b\r\nPING\r\n", "END rest=15 need=0\n");
	/* ... until the 64 KiB limit refuses it. */
	/* Built by hand: a string helper would stop at the NUL (it did once,
	 * and this case then never sent one). */
	s = malloc(RESP_INLINE_MAX + 8);
	assert_non_null(s);
	memcpy(s, "GET a\0", 6);
	memset(s + 6, 'b', RESP_INLINE_MAX);
	memcpy(s + 6 + RESP_INLINE_MAX, "\r\n", 2);
	assert_int_equal((const char *)memchr(s, '\0', RESP_INLINE_MAX + 8) - s, 5);
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
	struct buf in, want;
	int i;

	(void)state;
	buf_init(&in);
	buf_init(&want);
	/* More arguments than argv first holds, in both forms. */
	buf_appendf(&in, "*100\r\n");
	buf_appendf(&want, "OK %d M100", 6 + 100 * 7 + 90);
	for (i = 0; i < 100; i++) {
		buf_appendf(&in, "$%d\r\n%d\r\n", i < 10 ? 1 : 2, i);
		buf_appendf(&want, "[%d]", i);
	}
	buf_appendf(&want, "\nOK 391 I100");
	for (i = 0; i < 100; i++) {
		buf_appendf(&in, i < 50 ? "%d " : "'%d' ", i);
		buf_appendf(&want, "[%d]", i);
	}
	buf_appendf(&in, "\n");
	buf_appendf(&want, "\nEND rest=0 need=0\n");
	check_n(sf_str(&in), buf_len(&in), sf_str(&want));
	buf_fini(&in);
	buf_fini(&want);
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
