/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fragment-split harness of the parser tests (test_resp_parse.c,
 * test_mc_parse.c). A case is the sequence of results a server sees when it
 * gets the whole input in one read; sf_check() then asks for the same
 * sequence when the input arrives k bytes per read, for every k, so a parser
 * that only works on whole requests fails. Results are text, so that a
 * failure shows what differs. Only cmocka tests use this: it asserts.
 */
#ifndef SS_TESTS_SPLIT_FEED_H
#define SS_TESTS_SPLIT_FEED_H

#include <stddef.h>

#include "dataplane/buf.h"

/* Appends p[0..n) as [bytes], with non-printables and ][\ as \xHH, so that
 * binary arguments and where they end show in an expected string. */
void sf_arg(struct buf *b, const char *p, size_t n);

/* b's bytes as a C string, owned by b (buf_fini frees it). */
const char *sf_str(struct buf *b);

/* head, n times fill, then tail, malloc'd; for inputs around the limits. */
char *sf_repeat(const char *head, char fill, size_t n, const char *tail);

/* What one parser call means to the simulated server. */
struct sf_step {
	int rc;         /* as the parser returned it */
	size_t used;    /* as the parser set it; sf_feed() presets a bad value */
	size_t need;    /* the request's `need` after the call */
	size_t swallow; /* bytes the server discards unparsed after this result */
	int close;      /* the server drops the connection on this result */
};

/* Parses one request at p[0..have) into req, fills st and, unless the
 * parser asked for more, appends the result's line to out. */
typedef void sf_step_fn(void *req, const char *p, size_t have, struct sf_step *st,
			struct buf *out);

/*
 * A server that receives in[0..len) k bytes per read into a request that
 * the caller has made fresh: parses while there is input, never before
 * `need` bytes are there (but checks that parsing earlier would indeed only
 * ask for more), discards what a result says to swallow, stops where one
 * closes. The bytes received end where their heap block ends, so ASan
 * catches any look past them. Returns the result lines and an END line
 * (with sw= when show_swallow), malloc'd.
 */
char *sf_feed(const char *in, size_t len, size_t k, sf_step_fn *step, void *req,
	      int show_swallow);

/* One sf_feed() with a fresh request set up from cfg (the parser's limit). */
typedef char *sf_run_fn(const char *in, size_t len, size_t k, const void *cfg);

/* A parser under test, with one setting of its limit. */
struct sf_target {
	sf_run_fn *run;
	const void *cfg;
	/* Longer inputs are fed at a sample of read sizes: the small ones, the
	 * ones around the 64 KiB limits and a few in between. */
	size_t full_sweep_max;
};

/* Fails unless in[0..len) read at once gives want, and every read size
 * gives the same. */
void sf_check(const struct sf_target *t, const char *in, size_t len, const char *want);

/* sf_check() of sf_repeat(head, fill, n, tail). */
void sf_check_repeat(const struct sf_target *t, const char *head, char fill, size_t n,
		     const char *tail, const char *want);

#endif
