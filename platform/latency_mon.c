/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/latency_mon.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "platform/opt.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct latency_event events[LATENCY_EVENTS_MAX];
static unsigned n_events;

void latency_mon_add(const char *event, uint64_t ms)
{
	long long thr = opt_int(OPT_latency_monitor_threshold);
	struct latency_event *e = NULL;
	int64_t now = (int64_t)time(NULL);
	uint32_t v = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;

	if (thr <= 0 || ms < (uint64_t)thr)
		return;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_events; i++)
		if (strcmp(events[i].name, event) == 0)
			e = &events[i];
	if (e == NULL && n_events < LATENCY_EVENTS_MAX) {
		e = &events[n_events++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", event);
	}
	if (e != NULL) {
		if (v > e->max_ms)
			e->max_ms = v;
		if (e->n > 0 && e->s[e->n - 1].time_s == now) {
			if (v > e->s[e->n - 1].ms)
				e->s[e->n - 1].ms = v;
		} else {
			if (e->n == LATENCY_HISTORY_LEN) {
				memmove(e->s, e->s + 1, sizeof(e->s[0]) * (LATENCY_HISTORY_LEN - 1));
				e->n--;
			}
			e->s[e->n++] = (struct latency_sample){ now, v };
		}
	}
	pthread_mutex_unlock(&lock);
}

unsigned latency_mon_snapshot(struct latency_event *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_events && n < max; i++)
		if (events[i].n > 0)
			out[n++] = events[i];
	pthread_mutex_unlock(&lock);
	return n;
}

unsigned latency_mon_reset(const char *const *names, unsigned n)
{
	unsigned reset = 0, keep = 0;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_events; i++) {
		int match = n == 0;
		for (unsigned j = 0; j < n && !match; j++)
			match = strcasecmp(events[i].name, names[j]) == 0;
		if (match)
			reset++;
		else
			events[keep++] = events[i];
	}
	n_events = keep;
	pthread_mutex_unlock(&lock);
	return reset;
}
