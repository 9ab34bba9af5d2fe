/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One connection's request pipeline, without I/O: it writes requests into
 * its out buffer, keeps what is in flight (in order: both protocols answer
 * in request order), and turns the bytes in its in buffer into replies,
 * latencies, counts and --verify checks. The thread loop (lg_run.c) moves
 * the bytes through a transport, so the same engine serves any transport.
 *
 *   out: | sent .. | unsent requests |  free            in: | unparsed replies | free |
 *          out_off ^        out_len ^                              in_len ^
 *   inflight ring: qhead .. qhead + qn - 1 (mod pipeline), oldest first
 */
#ifndef SS_LOADGEN_CONN_H
#define SS_LOADGEN_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "lg_proto.h"
#include "lg_stats.h"
#include "lg_value.h"
#include "lg_workload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What all connections share; read-only during the run but for the shadow table. */
struct lg_shared {
	const struct lg_proto *proto;
	const struct lg_workload *wl;
	struct lg_values *values;
	int verify;
	unsigned pipeline;
	unsigned ttl_min, ttl_max;  /* --expiry-range: each SET's TTL, seconds; 0: none */
	uint64_t nconns;        /* connections in all threads */
	uint64_t requests;      /* per connection after warm-up; 0: until t_end */
	uint64_t interval_ns;   /* open loop: one connection's spacing; 0: closed loop */
	uint64_t t_measure;     /* ns: warm-up ends; requests meant from here on count */
	uint64_t t_end;         /* ns: no request is meant at or after this */
};

/* One thread's results. */
struct lg_sink {
	struct lg_stats stats;
	uint64_t last_done;     /* ns: the last counted reply */
	char first_error[192];
};

struct lg_inflight {
	uint64_t key;
	uint64_t t_meant;       /* closed loop: when it was written; open loop: its slot */
	uint32_t ver;           /* SET: its version; GET: the acknowledged floor at send */
	uint8_t op;
	uint8_t counted;        /* meant after warm-up */
};

struct lg_conn {
	struct lg_draw draw;
	struct lg_inflight *q;
	unsigned qhead, qn;
	char *out;
	size_t out_off, out_len, out_cap;
	char *in;
	size_t in_len, in_cap;
	char *val;              /* one value, to encode SETs from */
	uint64_t gidx;          /* this connection's index among all */
	uint64_t counted_sent;
	uint64_t next_at;       /* open loop: the next request's intended time */
	int dead;
};

/* Connection gidx of nconns (all threads): 0 or -ENOMEM. t0 is when load
 * starts; open-loop connections are phased evenly over one interval. */
int lg_conn_init(struct lg_conn *c, const struct lg_shared *sh, uint64_t gidx, uint64_t nconns,
		 uint64_t seed, uint64_t t0);
void lg_conn_fini(struct lg_conn *c);

/* Writes the requests due at now into out, while the pipeline has room. */
void lg_conn_fill(struct lg_conn *c, const struct lg_shared *sh, uint64_t now);
/* Consumes the replies in in[0..in_len) received at now. 0, or -EPROTO when
 * the stream cannot be framed (or a reply came with nothing in flight): the
 * caller drops the connection. */
int lg_conn_input(struct lg_conn *c, const struct lg_shared *sh, uint64_t now,
		  struct lg_sink *sink);
/* Room at in + in_len for at least `want` bytes (grows in); NULL on ENOMEM. */
char *lg_conn_in_room(struct lg_conn *c, size_t want, size_t *room);

/* Nothing more to send or wait for: --requests done, or the end passed. */
int lg_conn_done(const struct lg_conn *c, const struct lg_shared *sh, uint64_t now);

/* Records msg as the thread's first error if it has none. */
void lg_sink_error(struct lg_sink *s, const char *what, const char *detail);

#ifdef __cplusplus
}
#endif

#endif
