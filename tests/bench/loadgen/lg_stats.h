/* SPDX-License-Identifier: BSD-3-Clause */
/* What a run measured: one block per thread (its only writer), summed at the
 * end. Latency in nanoseconds, in platform/hist.h's log-linear histogram. */
#ifndef SS_LOADGEN_STATS_H
#define SS_LOADGEN_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "platform/hist.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lg_stats {
	uint64_t gets, sets, hits, misses;
	uint64_t errors;          /* error replies and replies that do not fit the request */
	uint64_t verify_errors;   /* --verify: GET replies that are not what this run SET */
	uint64_t foreign;         /* --verify: values of another run, for keys not yet SET */
	uint64_t conn_errors;     /* connections refused, reset, closed or dropped as unframeable */
	uint64_t bytes_out, bytes_in;
	struct hist lat;
};

void lg_stats_add(struct lg_stats *dst, const struct lg_stats *src);

/* The run's description, for the report. */
struct lg_report {
	const char *server, *protocol, *transport, *mode, *key_pattern;
	unsigned port, connections, threads, pipeline, set_w, get_w;
	uint64_t key_count;
	unsigned long size_min, size_max;
	unsigned expiry_min, expiry_max;   /* SET TTLs, seconds; 0..0: none */
	double rate, seconds;    /* offered rate (0: closed loop), measured seconds */
	int verify;
	const char *first_error; /* a sample error, or NULL */
};

void lg_report_text(FILE *f, const struct lg_report *r, const struct lg_stats *s);
void lg_report_json(FILE *f, const struct lg_report *r, const struct lg_stats *s);

#ifdef __cplusplus
}
#endif

#endif
