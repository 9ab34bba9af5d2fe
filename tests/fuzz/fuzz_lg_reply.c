/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the load generator's reply parsers
 * (tests/bench/loadgen/lg_proto*.c). Input: byte 0 picks the protocol,
 * bytes 1-2 the GET/SET sequence the replies answer (16 requests, then
 * repeated), the rest is the server's byte stream. It is parsed as the
 * load generator does (replies back to back, stopping at a fatal one), once
 * whole and then in several read schedules; every schedule must see the
 * same results. A value must lie inside its reply, every reply must take
 * bytes, and the bytes received end where their heap block ends, so ASan
 * sees any read past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lg_proto.h"
#include "platform/status.h"

#define FUZZ_TARGET "fuzz_lg_reply"
#include "fuzz_common.h"

static const struct lg_proto *const protos[] = {
	&lg_proto_resp, &lg_proto_mc_text, &lg_proto_mc_meta,
};

/* Results of feeding in[0..len) `sched` bytes per read. */
static struct outcome run(const struct lg_proto *p, unsigned ops, const char *in, size_t len,
			  struct schedule sched)
{
	struct outcome o = { .hash = FNV_BASIS };
	size_t avail = 0, nreq = 0;

	while (avail < len && !o.closed) {
		size_t k = next_read(&sched);

		avail += len - avail < k ? len - avail : k;
		while (o.off < avail) {
			size_t have = avail - o.off;
			char *blk = malloc(have);
			enum lg_op op = (ops >> (nreq % 16)) & 1 ? LG_SET : LG_GET;
			struct lg_reply r;
			int rc;

			if (blk == NULL)
				die("out of memory");
			memcpy(blk, in + o.off, have);
			memset(&r, 0x5a, sizeof(r));
			rc = p->parse(op, "key:1", 5, blk, have, &r);
			if (rc == SS_NEED_MORE) {
				free(blk);
				break;
			}
			if (rc != SS_OK)
				die("parse returned neither SS_OK nor SS_NEED_MORE");
			if (r.kind == LG_R_HIT && !inside(r.val, r.vlen, blk, have))
				die("value outside its reply");
			if (r.kind == LG_R_HIT)
				o.hash = mix(o.hash, r.val, r.vlen);
			free(blk);
			o.hash = mix(o.hash, &r.kind, sizeof(r.kind));
			o.results++;
			if (r.kind == LG_R_ERROR && r.fatal) {
				o.closed = 1;
				break;
			}
			if (r.used == 0 || r.used > have)
				die("reply used no bytes or more than there were");
			o.hash = mix(o.hash, &r.used, sizeof(r.used));
			o.off += r.used;
			nreq++;
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t ks[] = { 1, 2, 3, 7, 0 };
	const struct lg_proto *p;
	struct outcome whole;
	unsigned ops;

	if (size < 3)
		return 0;
	p = protos[data[0] % 3];
	ops = (unsigned)data[1] | (unsigned)data[2] << 8;
	whole = run(p, ops, (const char *)data + 3, size - 3, (struct schedule){ .k = size });
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		struct outcome o = run(p, ops, (const char *)data + 3, size - 3,
				       (struct schedule){ .k = ks[i], .rng = size });

		if (o.hash != whole.hash || o.results != whole.results || o.off != whole.off ||
		    o.closed != whole.closed)
			die("a read schedule changed the results");
	}
	return 0;
}
