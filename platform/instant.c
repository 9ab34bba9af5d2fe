/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/instant.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/cmdstat.h"
#include "platform/metric.h"

struct track {
	uint64_t last_value, last_ms;
	double rate[INSTANT_SAMPLES];
	unsigned idx;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct track tracks[INSTANT__COUNT];

void instant_track(enum instant_metric m, uint64_t value, uint64_t now_ms)
{
	struct track *t = &tracks[m];

	pthread_mutex_lock(&lock);
	if (t->last_ms == 0) {
		t->last_ms = now_ms;
		t->last_value = value;
	} else if (now_ms - t->last_ms >= INSTANT_PERIOD_MS) {
		t->rate[t->idx] = (double)(value - t->last_value) * 1000.0 /
				  (double)(now_ms - t->last_ms);
		t->idx = (t->idx + 1) % INSTANT_SAMPLES;
		t->last_ms = now_ms;
		t->last_value = value;
	}
	pthread_mutex_unlock(&lock);
}

double instant_rate(enum instant_metric m)
{
	double sum = 0;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < INSTANT_SAMPLES; i++)
		sum += tracks[m].rate[i];
	pthread_mutex_unlock(&lock);
	return sum / INSTANT_SAMPLES;
}

/* Latency windows: the previous cumulative histogram per core (mgmt only)
 * and the last window's results (read by any thread). */
#define LAT_CORES 256
static struct hist *prev[LAT_CORES];
static uint64_t p99[LAT_CORES], calls[LAT_CORES];
static uint64_t lat_last_ms;

void instant_latency_tick(uint64_t now_ms)
{
	unsigned cores = metric_cores(), n = cmdstat_count();
	struct hist *cur, *one;

	if (now_ms - lat_last_ms < INSTANT_LATENCY_PERIOD_MS)
		return;
	lat_last_ms = now_ms;
	cur = calloc(1, sizeof(*cur));
	one = malloc(sizeof(*one));
	if (cur == NULL || one == NULL)
		goto out;
	for (unsigned c = 0; c < cores && c < LAT_CORES; c++) {
		memset(cur, 0, sizeof(*cur));
		for (unsigned id = 0; id < n; id++) {
			cmdstat_hist_core((int)id, c, one);
			hist_merge(cur, one);
		}
		if (prev[c] == NULL && (prev[c] = calloc(1, sizeof(*prev[c]))) == NULL)
			continue;
		/* the window = now - previous, bucket by bucket */
		struct hist *w = one;
		memset(w, 0, sizeof(*w));
		for (unsigned b = 0; b < HIST_BUCKETS; b++) {
			w->b[b] = cur->b[b] - prev[c]->b[b];
			w->count += w->b[b];
			if (w->b[b] != 0)
				w->max = hist_bucket_upper(b);
		}
		__atomic_store_n(&p99[c], hist_quantile(w, 0.99), __ATOMIC_RELAXED);
		__atomic_store_n(&calls[c], w->count, __ATOMIC_RELAXED);
		memcpy(prev[c], cur, sizeof(*cur));
	}
out:
	free(cur);
	free(one);
}

uint64_t instant_p99_ns(unsigned core)
{
	return core < LAT_CORES ? __atomic_load_n(&p99[core], __ATOMIC_RELAXED) : 0;
}

uint64_t instant_calls(unsigned core)
{
	return core < LAT_CORES ? __atomic_load_n(&calls[core], __ATOMIC_RELAXED) : 0;
}
