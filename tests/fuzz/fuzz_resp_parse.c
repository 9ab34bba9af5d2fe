/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for resp_parse(). The input is a client's byte stream.
 * It is parsed the way a server would (requests back to back, waiting for
 * `need`, stopping at a protocol error), once in a single read and then in
 * several read schedules; every schedule must see the same requests. Every
 * argument must lie inside the request it came from (or, for unescaped
 * inline arguments, inside the parser's scratch). The bytes received always
 * end where their heap block ends, so ASan sees any read past them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/proto/resp_parse.h"
#include "platform/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FNV_PRIME 0x100000001b3ULL

struct outcome {
	uint64_t hash;      /* over every result seen */
	size_t results;
	size_t off;         /* bytes consumed in the end */
	size_t need;
	int closed;
};

/* Read sizes: fixed k, or pseudo-random 1..8 when k == 0. */
struct schedule {
	size_t k;
	uint64_t rng;
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz_resp_parse: %s\n", what);
	abort();
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static size_t next_read(struct schedule *s)
{
	if (s->k != 0)
		return s->k;
	s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return 1 + (size_t)(s->rng >> 61);
}

static int inside(const char *p, size_t n, const char *lo, size_t span)
{
	return p >= lo && n <= span && (size_t)(p - lo) <= span - n;
}

static void check_args(const struct resp_req *r, const char *req, size_t used)
{
	uint32_t i;

	for (i = 0; i < r->argc; i++) {
		const struct ss_arg *a = &r->argv[i];

		if (inside(a->p, a->len, req, used))
			continue;
		if (r->is_inline && r->scratch != NULL &&
		    inside(a->p, a->len, r->scratch, r->scratch_cap))
			continue;
		die("argument outside its request");
	}
}

static uint64_t record(uint64_t h, int rc, size_t used, const struct resp_req *r,
		       const char *err)
{
	uint32_t i;

	h = mix(h, &rc, sizeof(rc));
	if (rc < 0)
		return rc == -EPROTO ? mix(h, err, strlen(err)) : h;
	h = mix(h, &used, sizeof(used));
	h = mix(h, &r->is_inline, sizeof(r->is_inline));
	h = mix(h, &r->argc, sizeof(r->argc));
	for (i = 0; i < r->argc; i++) {
		h = mix(h, &r->argv[i].len, sizeof(r->argv[i].len));
		h = mix(h, r->argv[i].p, r->argv[i].len);
	}
	return h;
}

/* Parse what has arrived, as a server would. */
static void drain(struct resp_req *r, const char *buf, size_t avail, struct outcome *o)
{
	while (o->off < avail && !o->closed) {
		size_t have = avail - o->off, used = 0;
		const char *err = NULL;
		int rc = resp_parse(r, buf + o->off, have, &used, &err);

		if (rc == SS_NEED_MORE) {
			if (used != 0 || (r->need != 0 && r->need <= have))
				die("bad NEED_MORE");
			if (have < o->need && r->need != o->need)
				die("need changed before it was met");
			o->need = r->need;
			return;
		}
		if (have < o->need)
			die("complete before need was met");
		o->need = 0;
		if (rc == SS_OK && (used == 0 || used > have))
			die("bad consumed");
		if (rc == SS_OK)
			check_args(r, buf + o->off, used);
		if (rc < 0 && rc != -EPROTO && rc != -ENOMEM)
			die("unexpected status");
		if (rc == -EPROTO && (err == NULL || strncmp(err, "Protocol error: ", 16) != 0))
			die("bad error string");
		o->hash = record(o->hash, rc, used, r, err);
		o->results++;
		if (rc < 0)
			o->closed = 1;
		else
			o->off += used;
	}
}

static void run(const uint8_t *in, size_t len, struct schedule s, long long max_bulk,
		struct outcome *o)
{
	struct resp_req r;
	char *base = malloc(len ? len : 1);
	size_t avail = 0;

	if (base == NULL)
		die("out of memory");
	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ULL;
	resp_req_init(&r);
	r.max_bulk = max_bulk;
	while (avail < len && !o->closed) {
		size_t n = next_read(&s);

		avail += len - avail < n ? len - avail : n;
		memcpy(base + len - avail, in, avail);
		drain(&r, base + len - avail, avail, o);
	}
	resp_req_fini(&r);
	free(base);
}

static void compare(const struct outcome *a, const struct outcome *b)
{
	if (a->hash != b->hash || a->results != b->results || a->off != b->off ||
	    a->closed != b->closed || (!a->closed && a->need != b->need))
		die("split input parsed differently from the whole");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long max_bulk[] = { RESP_BULK_MAX_DEFAULT, 8 };
	size_t m;

	for (m = 0; m < sizeof(max_bulk) / sizeof(max_bulk[0]); m++) {
		struct schedule whole = { size ? size : 1, 0 };
		struct schedule split[] = {
			{ 1, 0 }, { 3, 0 }, { 7, 0 }, { size / 2 + 1, 0 },
			{ 0, mix(0, data, size) },
		};
		struct outcome one, other;
		size_t i;

		run(data, size, whole, max_bulk[m], &one);
		for (i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
			if (split[i].k == 1 && size > 1024)
				continue;   /* quadratic: keep the fuzzer fast */
			run(data, size, split[i], max_bulk[m], &other);
			compare(&one, &other);
		}
	}
	return 0;
}
