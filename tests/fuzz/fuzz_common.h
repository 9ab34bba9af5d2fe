/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parser fuzz targets (fuzz_resp_parse.c, fuzz_mc_parse.c) share:
 * feeding the input as a server would receive it, once whole and then in
 * several read schedules, and the checks that must hold whatever the
 * parser. Static inline, because tests/fuzz/meson.build builds each target
 * from its own file and its parser only. Define FUZZ_TARGET (the target's
 * name, for messages) before including this.
 */
#ifndef SS_TESTS_FUZZ_COMMON_H
#define SS_TESTS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct outcome {
	uint64_t hash;      /* over every result seen */
	size_t results;
	size_t off;         /* bytes consumed (or swallowed) in the end */
	size_t need;
	size_t swallow;     /* still to discard; stays 0 where nothing is swallowed */
	int closed;
};

/* Read sizes: fixed k, or pseudo-random 1..8 when k == 0. */
struct schedule {
	size_t k;
	uint64_t rng;
};

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", FUZZ_TARGET, what);
	abort();
}

static inline uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static inline size_t next_read(struct schedule *s)
{
	if (s->k != 0)
		return s->k;
	s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return 1 + (size_t)(s->rng >> 61);
}

/* Whether p[0..n) lies within lo[0..span), without overflowing. */
static inline int inside(const char *p, size_t n, const char *lo, size_t span)
{
	return p >= lo && n <= span && (size_t)(p - lo) <= span - n;
}

/*
 * The `need` contract, for a call that found `have` bytes and left the
 * request's need at `need`: SS_NEED_MORE consumes nothing, asks for more
 * than there is and, until that is there, for the same again; nothing
 * completes before it is there. Returns whether the server now waits.
 */
static inline int waits(int rc, size_t used, size_t need, size_t have, struct outcome *o)
{
	if (rc == SS_NEED_MORE) {
		if (used != 0 || (need != 0 && need <= have))
			die("bad NEED_MORE");
		if (have < o->need && need != o->need)
			die("need changed before it was met");
		o->need = need;
		return 1;
	}
	if (have < o->need)
		die("complete before need was met");
	o->need = 0;
	return 0;
}

/* Parses what has arrived, buf[0..avail), into req, as a server would. */
typedef void drain_fn(void *req, const char *buf, size_t avail, struct outcome *o);

/* Delivers in[0..len) to drain per schedule s, until all is there or the
 * connection is closed. The bytes received end where their heap block
 * ends, so ASan sees any read past them. */
static inline void feed(const uint8_t *in, size_t len, struct schedule s, drain_fn *drain,
			void *req, struct outcome *o)
{
	char *base = malloc(len ? len : 1);
	size_t avail = 0;

	if (base == NULL)
		die("out of memory");
	memset(o, 0, sizeof(*o));
	o->hash = FNV_BASIS;
	while (avail < len && !o->closed) {
		size_t n = next_read(&s);

		avail += len - avail < n ? len - avail : n;
		memcpy(base + len - avail, in, avail);
		drain(req, base + len - avail, avail, o);
	}
	free(base);
}

/* One feed() into a fresh request with the target's limit number m. */
typedef void run_fn(const uint8_t *in, size_t len, struct schedule s, size_t m,
		    struct outcome *o);

/* For each of the nlimits limits: every read schedule must see what one
 * read sees. */
static inline void run_schedules(const uint8_t *data, size_t size, run_fn *run, size_t nlimits)
{
	size_t m;

	for (m = 0; m < nlimits; m++) {
		struct schedule whole = { size ? size : 1, 0 };
		struct schedule split[] = {
			{ 1, 0 }, { 3, 0 }, { 7, 0 }, { size / 2 + 1, 0 },
			{ 0, mix(0, data, size) },
		};
		struct outcome one, other;
		size_t i;

		run(data, size, whole, m, &one);
		for (i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
			if (split[i].k == 1 && size > 1024)
				continue;   /* quadratic: keep the fuzzer fast */
			run(data, size, split[i], m, &other);
			if (one.hash != other.hash || one.results != other.results ||
			    one.off != other.off || one.closed != other.closed ||
			    one.swallow != other.swallow ||
			    (!one.closed && one.need != other.need))
				die("split input parsed differently from the whole");
		}
	}
}

#endif
