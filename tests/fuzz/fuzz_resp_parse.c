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
#include <string.h>

#include "dataplane/proto/resp_parse.h"
#include "platform/status.h"

#define FUZZ_TARGET "fuzz_resp_parse"
#include "fuzz_common.h"

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
static void drain(void *req, const char *buf, size_t avail, struct outcome *o)
{
	struct resp_req *r = req;

	while (o->off < avail && !o->closed) {
		size_t have = avail - o->off, used = 0;
		const char *err = NULL;
		int rc = resp_parse(r, buf + o->off, have, &used, &err);

		if (waits(rc, used, r->need, have, o))
			return;
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

static const long long max_bulk[] = { RESP_BULK_MAX_DEFAULT, 8 };

static void run(const uint8_t *in, size_t len, struct schedule s, size_t m, struct outcome *o)
{
	struct resp_req r;

	resp_req_init(&r);
	r.max_bulk = max_bulk[m];
	feed(in, len, s, drain, &r, o);
	resp_req_fini(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_schedules(data, size, run, sizeof(max_bulk) / sizeof(max_bulk[0]));
	return 0;
}
