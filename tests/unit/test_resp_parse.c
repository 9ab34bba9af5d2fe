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

/*
 * A reference for the multibulk path: Redis's processMultibulkBuffer as
 * resp_parse.c had it before its one-pass header reader (quick_len), but
 * written another way, so the two cannot share a mistake: the line end is
 * found byte by byte, and a number is taken iff it is the canonical "%lld"
 * spelling of its value, which is what string2ll accepts. Only for inputs
 * that start with '*'.
 */
static long ref_eol(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i <= RESP_INLINE_MAX; i++) {
		if (p[i] == '\0')
			return -1;
		if (p[i] == '\r')
			return (long)i;
	}
	return -1;
}

static int ref_ll(const char *s, size_t n, long long *out)
{
	char txt[32], back[32];
	char *end;

	if (n == 0 || n >= sizeof(txt))
		return 0;
	memcpy(txt, s, n);
	txt[n] = '\0';
	errno = 0;
	*out = strtoll(txt, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	snprintf(back, sizeof(back), "%lld", *out);
	return strcmp(back, txt) == 0;
}

static int ref_fail(const char **err, const char *msg)
{
	*err = msg;
	return -EPROTO;
}

static int ref_bulk(struct resp_req *r, const char *buf, size_t len, size_t *pos,
		    const char **err)
{
	size_t at = *pos, rest = len - at;
	long eol = ref_eol(buf + at, rest);
	long long ll;

	if (eol < 0)
		return rest > RESP_INLINE_MAX ?
			ref_fail(err, "Protocol error: too big bulk count string") : SS_NEED_MORE;
	if ((size_t)eol + 2 > rest)
		return SS_NEED_MORE;
	if (buf[at] != '$') {
		snprintf(r->errbuf, sizeof(r->errbuf), "Protocol error: expected '$', got '%c'",
			 buf[at] == '\r' || buf[at] == '\n' ? ' ' : buf[at]);
		return ref_fail(err, r->errbuf);
	}
	if (!ref_ll(buf + at + 1, (size_t)eol - 1, &ll) || ll < 0 || ll > r->max_bulk)
		return ref_fail(err, "Protocol error: invalid bulk length");
	at += (size_t)eol + 2;
	if (at + (size_t)ll + 2 > len) {
		r->need = at + (size_t)ll + 2;
		return SS_NEED_MORE;
	}
	if (ss_args_push(&r->argv, &r->argc, &r->cap, buf + at, (size_t)ll) < 0)
		return -ENOMEM;
	*pos = at + (size_t)ll + 2;
	return SS_OK;
}

static int ref_multibulk(struct resp_req *r, const char *buf, size_t len, size_t *consumed,
			 const char **err)
{
	long eol = ref_eol(buf, len);
	long long n;
	size_t pos;
	int rc;

	if (eol < 0)
		return len > RESP_INLINE_MAX ?
			ref_fail(err, "Protocol error: too big mbulk count string") : SS_NEED_MORE;
	if ((size_t)eol + 2 > len)
		return SS_NEED_MORE;
	if (!ref_ll(buf + 1, (size_t)eol - 1, &n) || n > RESP_MULTIBULK_MAX)
		return ref_fail(err, "Protocol error: invalid multibulk length");
	pos = (size_t)eol + 2;
	for (; n > 0; n--)
		if ((rc = ref_bulk(r, buf, len, &pos, err)) != SS_OK)
			return rc;
	*consumed = pos;
	return SS_OK;
}

static int ref_parse(struct resp_req *r, const char *buf, size_t len, size_t *consumed,
		     const char **err)
{
	int rc;

	r->argc = 0;
	r->need = 0;
	*consumed = 0;
	if (len == 0)
		return SS_NEED_MORE;
	assert_true(buf[0] == '*');
	r->is_inline = 0;
	rc = ref_multibulk(r, buf, len, consumed, err);
	if (rc != SS_OK) {
		r->argc = 0;
		*consumed = 0;
	}
	if (rc != SS_NEED_MORE)
		r->need = 0;
	return rc;
}

static void fail_diff(const char *in, size_t len, size_t have, long long max_bulk,
		      const char *what)
{
	struct buf b;

	buf_init(&b);
	sf_arg(&b, in, len < 200 ? len : 200);
	fail_msg("%s differs from the reference on the first %zu of %zu bytes "
		 "(max_bulk %lld) of %s", what, have, len, max_bulk, sf_str(&b));
	buf_fini(&b);
}

/* resp_parse() and the reference on in[0..have), in a heap block of
 * exactly that size (so ASan sees a look past it): the same result in full,
 * argv down to where each argument points. */
static void same_as_ref(const char *in, size_t len, size_t have, long long max_bulk)
{
	struct resp_req got, ref;
	const char *gerr = NULL, *rerr = NULL;
	size_t gused = 99, rused = 98;
	char *p = malloc(have ? have : 1);
	int grc, rrc;
	uint32_t i;

	assert_non_null(p);
	memcpy(p, in, have);
	resp_req_init(&got);
	resp_req_init(&ref);
	got.max_bulk = ref.max_bulk = max_bulk;
	grc = resp_parse(&got, p, have, &gused, &gerr);
	rrc = ref_parse(&ref, p, have, &rused, &rerr);
	if (grc != rrc)
		fail_diff(in, len, have, max_bulk, "rc");
	if (gused != rused)
		fail_diff(in, len, have, max_bulk, "consumed");
	if (got.need != ref.need)
		fail_diff(in, len, have, max_bulk, "need");
	if (got.is_inline != ref.is_inline)
		fail_diff(in, len, have, max_bulk, "is_inline");
	if (grc == -EPROTO && strcmp(gerr, rerr) != 0)
		fail_diff(in, len, have, max_bulk, "the error");
	if (got.argc != ref.argc)
		fail_diff(in, len, have, max_bulk, "argc");
	for (i = 0; i < got.argc; i++)
		if (got.argv[i].p != ref.argv[i].p || got.argv[i].len != ref.argv[i].len)
			fail_diff(in, len, have, max_bulk, "argv");
	resp_req_fini(&got);
	resp_req_fini(&ref);
	free(p);
}

/* Every prefix: the parser is stateless, so that is every split point. A
 * long input gets its short prefixes, its last ones and a sample between. */
static void diff_prefixes(const char *in, size_t len, long long max_bulk)
{
	size_t have;

	for (have = 0; have <= len; have++) {
		if (len > 512 && have > 256 && have + 256 < len) {
			have += 4093;
			if (have + 256 >= len)
				have = len - 256;
		}
		same_as_ref(in, len, have, max_bulk);
	}
}

static const long long diff_max_bulk[] = { RESP_BULK_MAX_DEFAULT, 0, 3, 100 };

static void diff_all(const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(diff_max_bulk) / sizeof(diff_max_bulk[0]); i++)
		diff_prefixes(in, len, diff_max_bulk[i]);
}

struct bytes {
	const char *p;
	size_t n;
};

#define BYTES(lit) { lit, sizeof(lit) - 1 }

/* Lengths and counts around every edge the fast path or string2ll has. */
static const struct bytes diff_nums[] = {
	BYTES("0"), BYTES("1"), BYTES("2"), BYTES("3"), BYTES("9"), BYTES("10"),
	BYTES("99"), BYTES("100"), BYTES("1048576"), BYTES("1048577"),
	BYTES("536870912"), BYTES("536870913"), BYTES("2147483647"), BYTES("2147483648"),
	BYTES("4294967296"), BYTES("99999999999999999"), BYTES("999999999999999999"),
	BYTES("1000000000000000000"), BYTES("9223372036854775807"),
	BYTES("9223372036854775808"), BYTES("9999999999999999999"),
	BYTES("18446744073709551615"), BYTES("18446744073709551616"),
	BYTES("99999999999999999999"), BYTES("100000000000000000000"),
	BYTES("999999999999999999999"), BYTES("-9223372036854775808"),
	BYTES("-9223372036854775809"), BYTES("01"), BYTES("00"), BYTES("000"),
	BYTES("007"), BYTES("-0"), BYTES("-00"), BYTES("-01"), BYTES("-1"), BYTES("-10"),
	BYTES("-"), BYTES("+1"), BYTES("+0"), BYTES(" 1"), BYTES("1 "), BYTES("1\t"),
	BYTES("\t1"), BYTES("1x"), BYTES("x1"), BYTES("0x1"), BYTES("1e3"), BYTES("1.0"),
	BYTES(""), BYTES("--1"), BYTES("1-"), BYTES("1\0"), BYTES("\0" "1"), BYTES("0\0"),
	BYTES("12\0" "3"), BYTES("1\n"), BYTES("\r"), BYTES(":"), BYTES("/"), BYTES("1:"),
	BYTES("1/"),
};

/* How a header line may end: properly, short, without its '\n', or not. */
static const char *const diff_ends[] = { "\r\n", "\r", "\rX", "\n", "", "\r\r\n" };

#define DATA100 "0123456789012345678901234567890123456789012345678901234567890123456789" \
		"012345678901234567890123456789"

static void test_header_diff_edges(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(diff_nums) / sizeof(diff_nums[0]); i++) {
		const struct bytes *num = &diff_nums[i];
		long long v = strtoll(num->p, NULL, 10);

		for (j = 0; j < sizeof(diff_ends) / sizeof(diff_ends[0]); j++) {
			struct buf b;

			/* As a count, as a command's only length (with enough data
			 * for the small ones) and as its second; a request after. */
			buf_init(&b);
			buf_append(&b, "*", 1);
			buf_append(&b, num->p, num->n);
			buf_appendf(&b, "%s$3\r\nfoo\r\n$3\r\nbar\r\n$0\r\n\r\n*1\r\n$1\r\nx\r\n",
				    diff_ends[j]);
			diff_all(sf_str(&b), buf_len(&b));
			buf_fini(&b);
			buf_init(&b);
			buf_append(&b, "*1\r\n$", 5);
			buf_append(&b, num->p, num->n);
			buf_appendf(&b, "%s%.*s\r\n*1\r\n$1\r\ny\r\n", diff_ends[j],
				    v >= 0 && v <= 100 ? (int)v : 0, DATA100);
			diff_all(sf_str(&b), buf_len(&b));
			buf_fini(&b);
			buf_init(&b);
			buf_append(&b, "*2\r\n$3\r\nGET\r\n$", 14);
			buf_append(&b, num->p, num->n);
			buf_appendf(&b, "%s0123456789\r\n", diff_ends[j]);
			diff_all(sf_str(&b), buf_len(&b));
			buf_fini(&b);
		}
	}
}

/* Header lines around the 64 KiB limit, of digits and of zeros. */
static void test_header_diff_long(void **state)
{
	static const char *const heads[] = { "*", "*1\r\n$", "*2\r\n$1\r\na\r\n$" };
	static const size_t ns[] = { RESP_INLINE_MAX - 1, RESP_INLINE_MAX, RESP_INLINE_MAX + 1 };
	size_t h, i;

	(void)state;
	for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			char *s = sf_repeat(heads[h], '1', ns[i], "\r\n");

			diff_prefixes(s, strlen(s), RESP_BULK_MAX_DEFAULT);
			free(s);
			s = sf_repeat(heads[h], '0', ns[i], "\r\n");
			diff_prefixes(s, strlen(s), RESP_BULK_MAX_DEFAULT);
			free(s);
		}
	}
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)   /* xorshift64*, in [0, n) */
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

/* A number as a header may carry it: mostly digits, sometimes not. */
static void rnd_num(struct buf *b)
{
	static const char odd[] = "0123456789-+ \t\r\n\0x$*";
	size_t i, n;

	if (rnd(4) == 0) {
		const struct bytes *num = &diff_nums[rnd(sizeof(diff_nums) / sizeof(diff_nums[0]))];

		buf_append(b, num->p, num->n);
		return;
	}
	n = rnd(3) == 0 ? rnd(23) : 1 + rnd(3);
	for (i = 0; i < n; i++) {
		char c = rnd(8) == 0 ? odd[rnd(sizeof(odd) - 1)] : (char)('0' + rnd(10));

		buf_append(b, &c, 1);
	}
}

/* A header line: the number, then mostly "\r\n". */
static void rnd_line(struct buf *b, char marker)
{
	if (rnd(16) != 0)
		buf_append(b, &marker, 1);
	rnd_num(b);
	buf_appendf(b, "%s", rnd(6) != 0 ? "\r\n" : diff_ends[rnd(6)]);
}

/* Requests made of random header lines and data, so that most are taken
 * by the fast path and the rest by the slow one, some for each reason. */
static void test_header_diff_random(void **state)
{
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		struct buf b;
		int req, nreq = 1 + (int)rnd(2);

		buf_init(&b);
		for (req = 0; req < nreq; req++) {
			uint32_t k, args = rnd(4);

			buf_append(&b, "*", 1);
			if (rnd(4) == 0)
				rnd_num(&b);
			else
				buf_appendf(&b, "%u", args);
			buf_appendf(&b, "%s", rnd(8) != 0 ? "\r\n" : diff_ends[rnd(6)]);
			for (k = 0; k < args; k++) {
				size_t n = rnd(12);

				if (rnd(3) == 0)
					rnd_line(&b, '$');
				else
					buf_appendf(&b, "$%zu\r\n", n);
				buf_appendf(&b, "%.*s\r\n", (int)n, DATA100);
			}
		}
		/* Now and then, one byte anywhere but the first made anything. */
		if (rnd(4) == 0 && buf_len(&b) > 1) {
			char c = (char)rnd(256);

			sf_str(&b);
			b.data[b.rpos + 1 + rnd((uint32_t)buf_len(&b) - 1)] = c;
		}
		diff_prefixes(sf_str(&b), buf_len(&b), diff_max_bulk[rnd(4)]);
		buf_fini(&b);
	}
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
		cmocka_unit_test(test_header_diff_edges),
		cmocka_unit_test(test_header_diff_long),
		cmocka_unit_test(test_header_diff_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
