/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request peeks (dataplane/proto/req_peek.c) against the parsers: a peek
 * that answers must name the request's length and key exactly as the
 * parser reads them; a request not yet whole is never answered; and a
 * pipeline is walked request by request. Random mutations of the same
 * requests check the first rule on bytes the peeks were not written for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/proto/mc_parse.h"
#include "dataplane/proto/req_peek.h"
#include "dataplane/proto/resp_parse.h"
#include "platform/status.h"

typedef size_t (*peek_fn)(const char *, size_t, struct ss_arg *);

/* A request's bytes: sizeof, not strlen, as some hold NULs. */
struct req {
	const char *p;
	size_t n;
};
#define REQ(s) { s, sizeof(s) - 1 }
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct req resp_reqs[] = {
	REQ("*2\r\n$3\r\nGET\r\n$7\r\nkey:123\r\n"),
	REQ("*2\r\n$3\r\nget\r\n$0\r\n\r\n"),
	REQ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$32\r\n0123456789abcdef0123456789abcdef\r\n"),
	REQ("*5\r\n$3\r\nSET\r\n$2\r\nk2\r\n$1\r\nv\r\n$2\r\nEX\r\n$3\r\n100\r\n"),
	REQ("*3\r\n$6\r\nINCRBY\r\n$3\r\nctr\r\n$2\r\n10\r\n"),
	REQ("*2\r\n$4\r\nINCR\r\n$10\r\n\r\n\r\n\r\n\r\n\r\n\r\n"),   /* a key of CR LF */
	REQ("*7\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
	REQ("*2\r\n$3\r\nDEL\r\n$12\r\nkey\0with\0nul\r\n"),
};

static const struct req mc_reqs[] = {
	REQ("get key:123\r\n"),
	REQ("get a b c d e f\r\n"),
	REQ("gets  spaced   \r\n"),
	REQ("get lf_only\n"),
	REQ("set k 0 0 5\r\nhello\r\n"),
	REQ("set k 1 100 0 noreply\r\n\r\n"),
	REQ("add k2 7 0 3\r\nabc\r\n"),
	REQ("replace k 0 0 1\r\nx\r\n"),
	REQ("append k 0 0 2\r\n\r\n\r\n"),
	REQ("prepend k 0 0 1\r\ny\r\n"),
	REQ("cas k 0 0 5 99\r\nhello\r\n"),
	REQ("delete k\r\n"),
	REQ("incr ctr 5\r\n"),
	REQ("touch k 10\r\n"),
	REQ("mg key:1 v f t\r\n"),
	REQ("ms key:2 3 T0 F5\r\nabc\r\n"),
	REQ("md key:3 q\r\n"),
};

/* The requests of one protocol, *n of them. */
static const struct req *reqs_of(int resp, size_t *n)
{
	*n = resp ? NELEMS(resp_reqs) : NELEMS(mc_reqs);
	return resp ? resp_reqs : mc_reqs;
}

/* What the parser makes of the request at p: its length and key (argv[1],
 * or memcached's first key), or 0 when it does not parse whole and well. */
static size_t parse(int resp, const char *p, size_t n, struct ss_arg *key)
{
	size_t consumed = 0;
	const char *err = NULL;
	int rc;

	if (resp) {
		struct resp_req r;

		resp_req_init(&r);
		rc = resp_parse(&r, p, n, &consumed, &err);
		if (rc == SS_OK && r.argc >= 2 && !r.is_inline)
			*key = r.argv[1];
		else
			consumed = 0;
		resp_req_fini(&r);
	} else {
		struct mc_req r;

		mc_req_init(&r);
		rc = mc_parse(&r, p, n, &consumed, &err);
		if (rc == SS_OK && r.nkeys >= 1)
			*key = r.keys[0];
		else
			consumed = 0;
		/* a meta command's base64 key ('b') is decoded elsewhere: the
		 * peek loads the wrong bucket for it, which is harmless */
		if (key->p != NULL && (key->p < p || key->p >= p + n))
			key->p = NULL;
		mc_req_fini(&r);
	}
	return consumed;
}

static unsigned compared;   /* mutations both peek and parser read */

/* A peek that answers agrees with the parser. */
static void agree(int resp, const char *p, size_t n)
{
	peek_fn peek = resp ? resp_peek_key : mc_peek_key;
	struct ss_arg pk = { 0 }, key = { 0 };
	size_t len = peek(p, n, &pk), want;

	if (len == 0)
		return;
	assert_true(len <= n);
	if ((want = parse(resp, p, n, &key)) == 0)
		return;   /* a request the parser refuses: a hint costs nothing */
	assert_int_equal(len, want);
	compared++;
	if (key.p == NULL)
		return;
	assert_ptr_equal(pk.p, key.p);
	assert_int_equal(pk.len, key.len);
}

static void check_requests(int resp)
{
	peek_fn peek = resp ? resp_peek_key : mc_peek_key;
	size_t nreqs;
	const struct req *reqs = reqs_of(resp, &nreqs);

	for (size_t i = 0; i < nreqs; i++) {
		const char *r = reqs[i].p;
		size_t n = reqs[i].n;
		struct ss_arg pk = { 0 }, key = { 0 };
		/* exactly n bytes on the heap: a read past them is ASan's */
		char *copy = malloc(n);

		memcpy(copy, r, n);
		assert_int_equal(parse(resp, copy, n, &key), n);
		assert_int_equal(peek(copy, n, &pk), n);
		assert_ptr_equal(pk.p, key.p);
		assert_int_equal(pk.len, key.len);
		for (size_t cut = 0; cut < n; cut++) {
			char *part = malloc(cut ? cut : 1);

			memcpy(part, r, cut);
			assert_int_equal(peek(part, cut, &pk), 0);
			free(part);
		}
		free(copy);
	}
}

static void test_whole_requests(void **state)
{
	(void)state;
	check_requests(1);
	check_requests(0);
}

/* All the requests back to back: the peek walks them one by one. */
static void test_pipeline_walk(void **state)
{
	for (int resp = 0; resp <= 1; resp++) {
		size_t nreqs;
		const struct req *reqs = reqs_of(resp, &nreqs);
		peek_fn peek = resp ? resp_peek_key : mc_peek_key;
		char buf[4096];
		size_t n = 0, at = 0, i = 0, len;
		struct ss_arg pk;

		(void)state;
		for (size_t j = 0; j < nreqs; j++) {
			memcpy(buf + n, reqs[j].p, reqs[j].n);
			n += reqs[j].n;
		}
		while ((len = peek(buf + at, n - at, &pk)) > 0) {
			assert_int_equal(len, reqs[i].n);
			at += len;
			i++;
		}
		assert_int_equal(i, nreqs);
		assert_int_equal(at, n);
	}
}

/* Shapes a peek declines: it is a hint, so it stays within bounds. */
/* An empty connection input is (NULL, 0): declined without reading it
 * (memchr on NULL is undefined even for 0 bytes; UBSan stopped the io=dpdk
 * appliance there when a burst marked a flow with nothing left to read). */
static void test_empty_input(void **state)
{
	struct ss_arg k;

	(void)state;
	assert_int_equal(mc_peek_key(NULL, 0, &k), 0);
	assert_int_equal(resp_peek_key(NULL, 0, &k), 0);
}

static void test_declined(void **state)
{
	static const char *resp_no[] = {
		"*1\r\n$4\r\nPING\r\n",                 /* no key */
		"GET key\r\n",                          /* inline */
		"*2\r\n$3\r\nGET\r\n$-1\r\n",
		"*2\r\n$3\r\nGET\r\n$1234567890\r\nk\r\n",  /* over 9 digits */
		"*17\r\n",                               /* over 16 arguments */
		"*2\r\n$3\r\nGET\r\n$3\nkey\r\n",
		"*2\r\n+3\r\nGET\r\n$3\r\nkey\r\n",
	};
	static const char *mc_no[] = {
		"get\r\n",
		"   \r\n",
		"set k 0 0\r\n",            /* no <bytes> token */
		"set k 0 0 x5\r\nhello\r\n",
		"set k 0 0 5\r\nhell",      /* data block not whole */
		"ms k\r\n",
		"get k",                    /* no line end */
	};
	struct ss_arg pk;

	(void)state;
	for (size_t i = 0; i < sizeof(resp_no) / sizeof(resp_no[0]); i++)
		assert_int_equal(resp_peek_key(resp_no[i], strlen(resp_no[i]), &pk), 0);
	for (size_t i = 0; i < sizeof(mc_no) / sizeof(mc_no[0]); i++)
		assert_int_equal(mc_peek_key(mc_no[i], strlen(mc_no[i]), &pk), 0);
	/* A line longer than memcached's 2048 is not looked at. */
	char line[2100];
	memset(line, 'a', sizeof(line));
	memcpy(line, "get ", 4);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	assert_int_equal(mc_peek_key(line, sizeof(line), &pk), 0);
}

/* Random bytes changed, inserted or cut in every request, many times. */
static void test_mutations_agree(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	static const char alphabet[] = "*$\r\n0123456789 -+:abcGETSsetkv\0";

	(void)state;
	for (int round = 0; round < 40000; round++) {
		int resp = round & 1;
		size_t nreqs;
		const struct req *reqs = reqs_of(resp, &nreqs);
		char buf[256];
		size_t i, n;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		i = rng % nreqs;
		n = reqs[i].n;
		memcpy(buf, reqs[i].p, n);
		for (int m = 0; m < 1 + (int)(rng >> 60 & 3); m++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			size_t at = (rng >> 8) % (n + 1);
			char c = alphabet[(rng >> 24) % (sizeof(alphabet) - 1)];
			switch ((rng >> 40) % 3) {
			case 0:
				if (at < n)
					buf[at] = c;
				break;
			case 1:
				if (n < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:
				if (at < n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		char *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		agree(resp, copy, n);
		free(copy);
	}
	/* most mutations break a request; enough must still compare */
	assert_true(compared > 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_requests),
		cmocka_unit_test(test_pipeline_walk),
		cmocka_unit_test(test_declined),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_mutations_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
