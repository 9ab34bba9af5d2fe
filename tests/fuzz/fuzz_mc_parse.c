/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for mc_parse(). The input is a client's byte stream.
 * It is parsed the way a server would (requests back to back, waiting for
 * `need`, discarding `swallow` bytes after -E2BIG, closing at -EPROTO),
 * once in a single read and then in several read schedules; every schedule
 * must see the same requests. Every key, data block, stats argument and
 * meta flag must lie inside the request it came from (a base64 key decoded
 * by the parser lies in the request's own key buffer). A meta set's bad
 * flags swallow its data block like -E2BIG. The bytes received always end where
 * their heap block ends, so ASan sees any read past them. Every call is
 * made to mc_parse_ref() (the parser before its fast paths) as well, on a
 * request of its own, and must come out the same.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/proto/mc_parse.h"
#include "platform/status.h"
#include "tests/unit/mc_parse_ref.h"

#define FUZZ_TARGET "fuzz_mc_parse"
#include "fuzz_common.h"

static int arg_inside(const struct ss_arg *a, const char *lo, size_t span)
{
	return inside(a->p, a->len, lo, span);
}

static void check_ranges(const struct mc_req *r, const char *req, size_t used)
{
	uint32_t i;

	for (i = 0; i < r->nkeys; i++) {
		if (i == 0 && r->cmd >= MC_MG && (r->meta.seen & MC_MF('b'))) {
			if (!inside(r->keys[0].p, r->keys[0].len, r->meta.key, sizeof(r->meta.key)) ||
			    r->keys[0].len == 0)
				die("decoded key outside its buffer");
			continue;
		}
		if (!arg_inside(&r->keys[i], req, used))
			die("key outside its request");
		if (r->keys[i].len == 0 || memchr(r->keys[i].p, ' ', r->keys[i].len) != NULL ||
		    (r->cmd != MC_STATS && r->keys[i].len > MC_KEY_MAX))
			die("bad key");
	}
	if (r->data.p != NULL && !arg_inside(&r->data, req, used))
		die("data outside its request");
	if (r->stats_arg.p != NULL && !arg_inside(&r->stats_arg, req, used))
		die("stats argument outside its request");
	if (r->cmd >= MC_MG) {
		if (r->meta.ntok > MC_META_TOKENS)
			die("too many meta flags");
		for (i = 0; i < r->meta.ntok; i++)
			if (r->meta.tok[i].len == 0 || !arg_inside(&r->meta.tok[i], req, used))
				die("meta flag outside its request");
	}
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
	if (r->cmd >= MC_MG) {
		const struct mc_meta *m = &r->meta;
		h = mix(h, &m->seen, sizeof(m->seen));
		h = mix(h, &m->mode, sizeof(m->mode));
		h = mix(h, &m->ttl, sizeof(m->ttl));
		h = mix(h, &m->vivify_ttl, sizeof(m->vivify_ttl));
		h = mix(h, &m->recache_ttl, sizeof(m->recache_ttl));
		h = mix(h, &m->client_flags, sizeof(m->client_flags));
		h = mix(h, &m->cas, sizeof(m->cas));
		h = mix(h, &m->delta, sizeof(m->delta));
		h = mix(h, &m->initial, sizeof(m->initial));
		h = mix(h, &m->opaque_too_long, sizeof(m->opaque_too_long));
		for (i = 0; i < m->ntok; i++)
			h = mix(h, m->tok[i].p, m->tok[i].len);
	}
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

/* The parser under test and the reference, each with its request. */
struct pair {
	struct mc_req now, ref;
};

/* The reference's outcome of the same call, as record() sees it. */
static void check_ref(struct mc_req *ref, const char *buf, size_t have, int rc, size_t used,
		      const struct mc_req *r, const char *err)
{
	const char *ref_err = NULL;
	size_t ref_used = 0;
	int ref_rc = mc_parse_ref(ref, buf, have, &ref_used, &ref_err);

	if (ref_rc != rc || ref_used != used || ref->need != r->need ||
	    record(FNV_BASIS, ref_rc, ref_used, ref, ref_err) != record(FNV_BASIS, rc, used, r, err))
		die("differs from mc_parse_ref");
}

/* Parse what has arrived, as a server would. */
static void drain(void *req, const char *buf, size_t avail, struct outcome *o)
{
	struct pair *pr = req;
	struct mc_req *r = &pr->now;

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
		check_ref(&pr->ref, buf + o->off, have, rc, used, r, err);
		if (waits(rc, used, r->need, have, o))
			return;
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
		if (rc == -E2BIG || rc == -EINVAL)
			o->swallow = r->swallow;
	}
}

/* memcached's limit, a tiny one on the value alone, a small one counting
 * memcached's item overhead. */
static const struct { size_t max, overhead; } limits[] = {
	{ MC_ITEM_MAX_DEFAULT, MC_ITEM_OVERHEAD }, { 8, 0 }, { 100, MC_ITEM_OVERHEAD },
};

static void run(const uint8_t *in, size_t len, struct schedule s, size_t m, struct outcome *o)
{
	struct pair pr;

	mc_req_init(&pr.now);
	mc_req_init(&pr.ref);
	pr.now.item_max = pr.ref.item_max = limits[m].max;
	pr.now.item_overhead = pr.ref.item_overhead = limits[m].overhead;
	feed(in, len, s, drain, &pr, o);
	mc_req_fini(&pr.now);
	mc_req_fini(&pr.ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_schedules(data, size, run, sizeof(limits) / sizeof(limits[0]));
	return 0;
}
