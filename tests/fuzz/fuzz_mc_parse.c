/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for mc_parse(). The input is a client's byte stream.
 * It is parsed the way a server would (requests back to back, waiting for
 * `need`, discarding `swallow` bytes after -E2BIG, closing at -EPROTO),
 * once in a single read and then in several read schedules; every schedule
 * must see the same requests. Every key, data block and stats argument must
 * lie inside the request it came from. The bytes received always end where
 * their heap block ends, so ASan sees any read past them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/proto/mc_parse.h"
#include "platform/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FNV_PRIME 0x100000001b3ULL

struct outcome {
	uint64_t hash;      /* over every result seen */
	size_t results;
	size_t off;         /* bytes consumed (or swallowed) in the end */
	size_t need;
	size_t swallow;
	int closed;
};

/* Read sizes: fixed k, or pseudo-random 1..8 when k == 0. */
struct schedule {
	size_t k;
	uint64_t rng;
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz_mc_parse: %s\n", what);
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

static int inside(const struct ss_arg *a, const char *lo, size_t span)
{
	return a->p >= lo && a->len <= span && (size_t)(a->p - lo) <= span - a->len;
}

static void check_ranges(const struct mc_req *r, const char *req, size_t used)
{
	uint32_t i;

	for (i = 0; i < r->nkeys; i++) {
		if (!inside(&r->keys[i], req, used))
			die("key outside its request");
		if (r->keys[i].len == 0 || memchr(r->keys[i].p, ' ', r->keys[i].len) != NULL ||
		    (r->cmd != MC_STATS && r->keys[i].len > MC_KEY_MAX))
			die("bad key");
	}
	if (r->data.p != NULL && !inside(&r->data, req, used))
		die("data outside its request");
	if (r->stats_arg.p != NULL && !inside(&r->stats_arg, req, used))
		die("stats argument outside its request");
}

static uint64_t record(uint64_t h, int rc, size_t used, const struct mc_req *r,
		       const char *err)
{
	uint32_t i;

	h = mix(h, &rc, sizeof(rc));
	h = mix(h, &used, sizeof(used));
	h = mix(h, &r->noreply, sizeof(r->noreply));
	if (rc == -EINVAL || rc == -E2BIG || rc == -EPROTO)
		h = mix(h, err, strlen(err));
	if (rc != SS_OK && rc != -E2BIG)
		return h;
	h = mix(h, &r->cmd, sizeof(r->cmd));
	for (i = 0; i < r->nkeys; i++) {
		h = mix(h, &r->keys[i].len, sizeof(r->keys[i].len));
		h = mix(h, r->keys[i].p, r->keys[i].len);
	}
	h = mix(h, &r->flags, sizeof(r->flags));
	h = mix(h, &r->exptime, sizeof(r->exptime));
	h = mix(h, &r->cas, sizeof(r->cas));
	h = mix(h, &r->delta, sizeof(r->delta));
	h = mix(h, &r->delay, sizeof(r->delay));
	h = mix(h, &r->swallow, sizeof(r->swallow));
	if (r->data.p != NULL)
		h = mix(h, r->data.p, r->data.len);
	return h;
}

static void check_status(int rc, size_t used, size_t have, const char *err)
{
	switch (rc) {
	case SS_OK:
	case -ENOENT:
		break;
	case -EINVAL:
	case -E2BIG:
	case -EPROTO:
		if (err == NULL || (strncmp(err, "CLIENT_ERROR ", 13) != 0 &&
				    strncmp(err, "SERVER_ERROR ", 13) != 0))
			die("bad error string");
		break;
	default:
		die("unexpected status");
	}
	if (rc != -EPROTO && (used == 0 || used > have))
		die("bad consumed");
}

/* Parse what has arrived, as a server would. */
static void drain(struct mc_req *r, const char *buf, size_t avail, struct outcome *o)
{
	while (o->off < avail && !o->closed) {
		size_t have = avail - o->off, used = 0;
		const char *err = NULL;
		int rc;

		if (o->swallow > 0) {
			size_t n = have < o->swallow ? have : o->swallow;

			o->off += n;
			o->swallow -= n;
			continue;
		}
		rc = mc_parse(r, buf + o->off, have, &used, &err);
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
		check_status(rc, used, have, err);
		if (rc == SS_OK || rc == -E2BIG)
			check_ranges(r, buf + o->off, used);
		o->hash = record(o->hash, rc, used, r, err);
		o->results++;
		if (rc == -EPROTO || rc == -ENOMEM) {
			o->closed = 1;
			return;
		}
		o->off += used;
		if (rc == -E2BIG)
			o->swallow = r->swallow;
	}
}

static void run(const uint8_t *in, size_t len, struct schedule s, size_t item_max,
		struct outcome *o)
{
	struct mc_req r;
	char *base = malloc(len ? len : 1);
	size_t avail = 0;

	if (base == NULL)
		die("out of memory");
	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ULL;
	mc_req_init(&r);
	r.item_max = item_max;
	while (avail < len && !o->closed) {
		size_t n = next_read(&s);

		avail += len - avail < n ? len - avail : n;
		memcpy(base + len - avail, in, avail);
		drain(&r, base + len - avail, avail, o);
	}
	mc_req_fini(&r);
	free(base);
}

static void compare(const struct outcome *a, const struct outcome *b)
{
	if (a->hash != b->hash || a->results != b->results || a->off != b->off ||
	    a->closed != b->closed || a->swallow != b->swallow ||
	    (!a->closed && a->need != b->need))
		die("split input parsed differently from the whole");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t item_max[] = { MC_ITEM_MAX_DEFAULT, 8 };
	size_t m;

	for (m = 0; m < sizeof(item_max) / sizeof(item_max[0]); m++) {
		struct schedule whole = { size ? size : 1, 0 };
		struct schedule split[] = {
			{ 1, 0 }, { 3, 0 }, { 7, 0 }, { size / 2 + 1, 0 },
			{ 0, mix(0, data, size) },
		};
		struct outcome one, other;
		size_t i;

		run(data, size, whole, item_max[m], &one);
		for (i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
			if (split[i].k == 1 && size > 1024)
				continue;   /* quadratic: keep the fuzzer fast */
			run(data, size, split[i], item_max[m], &other);
			compare(&one, &other);
		}
	}
	return 0;
}
