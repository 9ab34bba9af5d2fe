/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/errstat.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char codes[ERRSTAT_MAX][ERRSTAT_CODELEN];
static uint64_t counts[ERRSTAT_MAX];
static unsigned n_codes;
static uint64_t total;

void errstat_add(const char *msg, size_t len)
{
	size_t n = 0;

	__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
	while (n < len && msg[n] != ' ' && n < ERRSTAT_CODELEN - 1)
		n++;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_codes; i++) {
		if (strlen(codes[i]) == n && memcmp(codes[i], msg, n) == 0) {
			counts[i]++;
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	if (n_codes < ERRSTAT_MAX) {
		memcpy(codes[n_codes], msg, n);
		codes[n_codes][n] = '\0';
		counts[n_codes++] = 1;
	}
	pthread_mutex_unlock(&lock);
}

uint64_t errstat_total(void)
{
	return __atomic_load_n(&total, __ATOMIC_RELAXED);
}

unsigned errstat_snapshot(char out[][ERRSTAT_CODELEN], uint64_t *cnt, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&lock);
	for (; n < n_codes && n < max; n++) {
		memcpy(out[n], codes[n], ERRSTAT_CODELEN);
		cnt[n] = counts[n];
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void errstat_reset(void)
{
	pthread_mutex_lock(&lock);
	n_codes = 0;
	__atomic_store_n(&total, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
}
