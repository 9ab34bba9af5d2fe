/* SPDX-License-Identifier: BSD-3-Clause */
/* A run: the threads, each one transport loop over its share of the
 * connections, started together and summed at the end. */
#ifndef SS_LOADGEN_RUN_H
#define SS_LOADGEN_RUN_H

#include <stdint.h>

#include "lg_conn.h"
#include "lg_opts.h"
#include "lg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lg_result {
	struct lg_stats stats;
	double seconds;          /* measured time */
	char first_error[192];
	unsigned connected;      /* connections that opened */
};

/* Runs o against its server through t. 0, or a negative errno when the run
 * could not start (no memory, no connection at all); r is filled either way. */
int lg_run(const struct lg_opts *o, const struct lg_transport *t, struct lg_result *r);

/* Asks a running lg_run() to stop early (async-signal-safe). */
void lg_run_interrupt(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t lg_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif
