/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/instant.h"

#include <pthread.h>

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
