/* SPDX-License-Identifier: BSD-3-Clause */
/* What a replica reads from its primary (mgmt/repl_proto.c): reply lines,
 * +FULLRESYNC, the RDB payload in both forms and the command stream, each
 * fed split at every fragment size as the link would receive it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mgmt/repl_proto.h"
#include "platform/status.h"

#define MARK "0123456789abcdef0123456789abcdef01234567"

struct bytes {
	char *p;
	size_t len, cap;
};

static void put(struct bytes *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 16;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void eat(struct bytes *b, size_t n)
{
	assert_true(n <= b->len);
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static int sink(void *arg, const char *p, size_t n)
{
	put(arg, p, n);
	return SS_OK;
}

static int sink_fail(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return -ENOSPC;
}

/*
 * Feed `in` to a payload reader k bytes at a time, as the link does: what
 * the reader did not consume stays buffered and is fed again with more.
 * Returns the reader's final status; *body gets the body, *rest the bytes
 * after the payload (buffered remainder plus the input not yet fed).
 */
static int feed_payload(const char *in, size_t n, size_t k, struct bytes *body,
			struct bytes *rest, struct repl_payload *pl)
{
	struct bytes acc = { 0 };
	size_t off = 0;
	int rc = SS_NEED_MORE;

	repl_payload_init(pl);
	while (off < n) {
		size_t c = n - off < k ? n - off : k, used = 0;

		put(&acc, in + off, c);
		off += c;
		rc = repl_payload_feed(pl, acc.p, acc.len, &used, sink, body);
		if (rc < 0)
			break;
		assert_true(used <= acc.len);
		if (rc == SS_NEED_MORE)
			assert_true(used <= acc.len);
		eat(&acc, used);
		if (rc == SS_OK)
			break;
	}
	put(rest, acc.p, acc.len);
	put(rest, in + off, n - off);
	free(acc.p);
	return rc;
}

static void check_payload(const char *in, size_t n, const char *want_body, size_t blen,
			  const char *want_rest, size_t rlen, bool eof_form)
{
	for (size_t k = 1; k <= n; k++) {
		struct bytes body = { 0 }, rest = { 0 };
		struct repl_payload pl;
		int rc = feed_payload(in, n, k, &body, &rest, &pl);

		assert_int_equal(rc, SS_OK);
		assert_int_equal(body.len, blen);
		assert_true(blen == 0 || memcmp(body.p, want_body, blen) == 0);
		assert_int_equal(rest.len, rlen);
		assert_true(rlen == 0 || memcmp(rest.p, want_rest, rlen) == 0);
		assert_int_equal(pl.total, blen);
		assert_int_equal(pl.eof_form, eof_form);
		free(body.p);
		free(rest.p);
	}
}

static void test_read_line(void **state)
{
	const char *line;
	size_t len, used;
	char big[REPL_LINE_MAX + 8];

	(void)state;
	assert_int_equal(repl_read_line("+PONG\r\n", 7, &line, &len, &used), SS_OK);
	assert_int_equal(len, 5);
	assert_int_equal(used, 7);
	assert_memory_equal(line, "+PONG", 5);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(repl_read_line("+PONG\r\n", i, &line, &len, &used), SS_NEED_MORE);
	/* a keepalive newline */
	assert_int_equal(repl_read_line("\n+OK\r\n", 6, &line, &len, &used), SS_OK);
	assert_int_equal(len, 0);
	assert_int_equal(used, 1);
	/* a line that never ends */
	memset(big, 'x', sizeof(big));
	assert_int_equal(repl_read_line(big, sizeof(big), &line, &len, &used), -EPROTO);
	assert_int_equal(repl_read_line(big, 100, &line, &len, &used), SS_NEED_MORE);
}

static void test_fullresync(void **state)
{
	char id[REPL_ID_LEN + 1];
	int64_t off = 0;
	const char *ok = "+FULLRESYNC " MARK " 1234";

	(void)state;
	assert_int_equal(repl_parse_fullresync(ok, strlen(ok), id, &off), SS_OK);
	assert_string_equal(id, MARK);
	assert_int_equal(off, 1234);
	ok = "+FULLRESYNC " MARK " 0";
	assert_int_equal(repl_parse_fullresync(ok, strlen(ok), id, &off), SS_OK);
	assert_int_equal(off, 0);
	static const char *const bad[] = {
		"+CONTINUE",
		"+CONTINUE " MARK,
		"+FULLRESYNC " MARK,
		"+FULLRESYNC " MARK " ",
		"+FULLRESYNC " MARK " x1",
		"+FULLRESYNC " MARK " 99999999999999999999999",
		"+FULLRESYNC " MARK "  1",
		"+FULLRESYNC 0123456789abcdef0123456789abcdef0123456 1",
		"+FULLRESYNC 0123456789abcdef0123456789abcdef0123456g 1",
		"-ERR no",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(repl_parse_fullresync(bad[i], strlen(bad[i]), id, &off), -EINVAL);
	/* every prefix of a good line is refused, never read past its end */
	ok = "+FULLRESYNC " MARK " 77";
	for (size_t i = 0; i < strlen(ok) - 2; i++)
		assert_int_equal(repl_parse_fullresync(ok, i, id, &off), -EINVAL);
}

static void test_continue(void **state)
{
	char id[REPL_ID_LEN + 1] = "x";
	static const char *const bad[] = {
		"+CONTINU", "+CONTINUEX", "+CONTINUE ", "+CONTINUE " MARK "0",
		"+CONTINUE 0123456789abcdef0123456789abcdef0123456z", "+FULLRESYNC " MARK " 1",
		"-ERR", "",
	};

	(void)state;
	assert_int_equal(repl_parse_continue("+CONTINUE", 9, id), SS_OK);
	assert_string_equal(id, "");
	assert_int_equal(repl_parse_continue("+CONTINUE " MARK, 50, id), SS_OK);
	assert_string_equal(id, MARK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(repl_parse_continue(bad[i], strlen(bad[i]), id), -EINVAL);
}

#define STREAM "*1\r\n$4\r\nPING\r\n"

/* $<len>: keepalive newlines first, binary body (CR, LF, NUL, '$'), no
 * trailing CRLF, the stream right after. */
static void test_payload_len(void **state)
{
	char body[300], in[512];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 7 + (i % 3 == 0 ? '\r' : i % 5 == 0 ? '\n' : 0));
	n += (size_t)sprintf(in, "\n\n$%zu\r\n", sizeof(body));
	memcpy(in + n, body, sizeof(body));
	n += sizeof(body);
	memcpy(in + n, STREAM, strlen(STREAM));
	n += strlen(STREAM);
	check_payload(in, n, body, sizeof(body), STREAM, strlen(STREAM), false);
	/* nothing after it */
	check_payload(in, n - strlen(STREAM), body, sizeof(body), "", 0, false);
	/* an empty payload */
	check_payload("$0\r\n" STREAM, 4 + strlen(STREAM), "", 0, STREAM, strlen(STREAM), false);
}

/* $EOF:<mark>: the body ends at the mark, wherever reads split it; a body
 * holding most of the mark (39 of its bytes, its tail, near misses) is
 * body. */
static void test_payload_eof(void **state)
{
	char body[400], in[1024];
	size_t n = 0, b = 0;

	(void)state;
	memcpy(body + b, "REDIS0009", 9);
	b += 9;
	memcpy(body + b, MARK, REPL_MARK_LEN - 1);   /* the mark but its last byte */
	b += REPL_MARK_LEN - 1;
	body[b++] = 'X';
	memcpy(body + b, &MARK[1], REPL_MARK_LEN - 1);   /* the mark but its first byte */
	b += REPL_MARK_LEN - 1;
	memcpy(body + b, "0123456789abcdef", 16);
	b += 16;
	for (; b < 300; b++)
		body[b] = (char)b;
	n += (size_t)sprintf(in, "\n$EOF:" MARK "\r\n");
	memcpy(in + n, body, b);
	n += b;
	memcpy(in + n, MARK, REPL_MARK_LEN);
	n += REPL_MARK_LEN;
	memcpy(in + n, STREAM, strlen(STREAM));
	n += strlen(STREAM);
	check_payload(in, n, body, b, STREAM, strlen(STREAM), true);
	check_payload(in, n - strlen(STREAM), body, b, "", 0, true);
	/* an empty body: the mark right after the header */
	check_payload("$EOF:" MARK "\r\n" MARK, 47 + REPL_MARK_LEN, "", 0, "", 0, true);
	/* a short body, shorter than the mark */
	check_payload("$EOF:" MARK "\r\nab" MARK "*", 49 + REPL_MARK_LEN + 1, "ab", 2, "*", 1,
		      true);
}

static void test_payload_bad(void **state)
{
	static const char *const bad[] = {
		"-ERR no sync for you\r\n",
		"$abc\r\n",
		"$-5\r\n",
		"$\r\n",
		"+OK\r\n",
		"$EOF:short\r\n",
		"$99999999999999999999999999\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t k = 1; k <= strlen(bad[i]); k++) {
			struct bytes body = { 0 }, rest = { 0 };
			struct repl_payload pl;
			assert_true(feed_payload(bad[i], strlen(bad[i]), k, &body, &rest, &pl) < 0);
			assert_true(pl.err[0] != '\0');
			assert_int_equal(body.len, 0);
			free(body.p);
			free(rest.p);
		}
	/* a header line that never ends */
	{
		char *big = malloc(REPL_LINE_MAX + 10);
		struct repl_payload pl;
		size_t used;
		memset(big, '$', REPL_LINE_MAX + 10);
		repl_payload_init(&pl);
		assert_true(repl_payload_feed(&pl, big, REPL_LINE_MAX + 10, &used, sink, NULL) < 0);
		free(big);
	}
	/* the file cannot take the bytes */
	{
		struct repl_payload pl;
		size_t used;
		repl_payload_init(&pl);
		assert_int_equal(repl_payload_feed(&pl, "$3\r\nabc", 7, &used, sink_fail, NULL),
				 -ENOSPC);
		repl_payload_init(&pl);
		assert_int_equal(repl_payload_feed(&pl, "$EOF:" MARK "\r\n" "abc" MARK,
						   50 + REPL_MARK_LEN, &used, sink_fail, NULL),
				 -ENOSPC);
	}
}

/* What Redis 7.0 sends after a sync, with a GETACK and a bare newline. */
static const char stream_in[] =
	"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
	"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n$4\r\nPXAT\r\n$13\r\n1700000000000\r\n"
	"*1\r\n$4\r\nPING\r\n"
	"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
	"*1\r\n$5\r\nMULTI\r\n"
	"*2\r\n$4\r\nincr\r\n$1\r\nn\r\n"
	"*1\r\n$4\r\nEXEC\r\n"
	"\n"
	"*3\r\n$8\r\nreplconf\r\n$3\r\nack\r\n$1\r\n0\r\n"
	"*2\r\n$3\r\nDEL\r\n$0\r\n\r\n";

static const struct { size_t len; enum repl_cmd_kind kind; } stream_want[] = {
	{ 23, REPL_CMD_SKIP }, { 60, REPL_CMD_APPLY }, { 14, REPL_CMD_SKIP },
	{ 37, REPL_CMD_GETACK }, { 15, REPL_CMD_SKIP }, { 21, REPL_CMD_APPLY },
	{ 14, REPL_CMD_SKIP }, { 1, REPL_CMD_SKIP }, { 34, REPL_CMD_SKIP },
	{ 19, REPL_CMD_APPLY },
};

static void test_stream(void **state)
{
	size_t n = sizeof(stream_in) - 1, total = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(stream_want) / sizeof(stream_want[0]); i++)
		total += stream_want[i].len;
	assert_int_equal(total, n);
	for (size_t k = 1; k <= n; k++) {
		struct bytes acc = { 0 };
		size_t off = 0, got = 0;

		while (off < n || acc.len > 0) {
			size_t c = n - off < k ? n - off : k, len;
			enum repl_cmd_kind kind;
			int rc;

			put(&acc, stream_in + off, c);
			off += c;
			while ((rc = repl_stream_next(acc.p, acc.len, &len, &kind)) == SS_OK) {
				assert_true(got < sizeof(stream_want) / sizeof(stream_want[0]));
				assert_int_equal(len, stream_want[got].len);
				assert_int_equal(kind, stream_want[got].kind);
				got++;
				eat(&acc, len);
			}
			assert_int_equal(rc, SS_NEED_MORE);
			if (off == n)
				break;
		}
		assert_int_equal(acc.len, 0);
		assert_int_equal(got, sizeof(stream_want) / sizeof(stream_want[0]));
		free(acc.p);
	}
}

static void test_stream_bad(void **state)
{
	static const char *const bad[] = {
		"+OK\r\n",
		"*0\r\n",
		"*-1\r\n",
		"*1\r\n+PING\r\n",
		"*1\r\n$4\r\nPINGxx",
		"*1\r\n$4\r\nPING\rx",
		"*1\n$4\r\nPING\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\n$99999999999\r\n",
		"*99999999\r\n",
		"*1\r\n$4x\r\nPING\r\n",
		"\rx",
		"*11111111111111111111111111111111111111\r\n",
	};
	size_t len;
	enum repl_cmd_kind kind;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* refused once enough is there; never accepted at any prefix */
		int rc = repl_stream_next(bad[i], strlen(bad[i]), &len, &kind);
		assert_int_equal(rc, -EPROTO);
		for (size_t k = 0; k < strlen(bad[i]); k++)
			assert_int_not_equal(repl_stream_next(bad[i], k, &len, &kind), SS_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_line),
		cmocka_unit_test(test_fullresync),
		cmocka_unit_test(test_continue),
		cmocka_unit_test(test_payload_len),
		cmocka_unit_test(test_payload_eof),
		cmocka_unit_test(test_payload_bad),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
