/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The latency monitor (Redis LATENCY LATEST/HISTORY/RESET): named events
 * ("command", "fast-command") that took at least latency-monitor-threshold
 * ms. Each event keeps its all-time max and the last 160 per-second
 * samples (two events in the same second keep the larger), as Redis's
 * latency.c does. Only events over the threshold take its lock.
 */
#ifndef SS_PLATFORM_LATENCY_MON_H
#define SS_PLATFORM_LATENCY_MON_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATENCY_HISTORY_LEN 160
#define LATENCY_EVENTS_MAX  16

struct latency_sample {
	int64_t time_s;
	uint32_t ms;
};

struct latency_event {
	char name[32];
	uint32_t max_ms;
	unsigned n;               /* samples, oldest first */
	struct latency_sample s[LATENCY_HISTORY_LEN];
};

/* Record `ms` for `event` when the monitor is on and ms >= its threshold. */
void latency_mon_add(const char *event, uint64_t ms);
/* Copies of every event with samples; returns the count. */
unsigned latency_mon_snapshot(struct latency_event *out, unsigned max);
/* Forget the named events (all when n == 0); returns how many were reset. */
unsigned latency_mon_reset(const char *const *names, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
