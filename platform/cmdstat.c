/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/cmdstat.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/mem.h"
#include "platform/status.h"

#define MAP_SLOTS (CMDSTAT_MAX * 2)   /* per-core key -> id, open addressing */

struct entry {
	uint64_t calls, ns, failed, rejected;
	struct hist *hist;          /* allocated by the owning core on first call */
};

struct core {
	struct hist *e2e;           /* receive to reply, every command */
	uint64_t e2e_ns;            /* their exact sum */
	const void *keys[MAP_SLOTS];
	int ids[MAP_SLOTS];
	struct entry e[CMDSTAT_MAX];
} __attribute__((aligned(64)));

static struct core *cores;
static unsigned n_cores;
static __thread struct core *me;

/* Shared registry: names and baselines, written under the lock. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const void *reg_keys[CMDSTAT_MAX];
static char *reg_names[CMDSTAT_MAX];
static unsigned reg_count;
static struct cmdstat_sum base[CMDSTAT_MAX];
static struct hist *base_hist[CMDSTAT_MAX];

int cmdstat_setup(unsigned ncores)
{
	cores = mem_calloc_lines(ncores, sizeof(*cores));
	if (cores == NULL)
		return -ENOMEM;
	n_cores = ncores;
	return SS_OK;
}

void cmdstat_teardown(void)
{
	for (unsigned c = 0; c < n_cores; c++) {
		free(cores[c].e2e);
		for (unsigned i = 0; i < CMDSTAT_MAX; i++)
			free(cores[c].e[i].hist);
	}
	for (unsigned i = 0; i < reg_count; i++) {
		free(reg_names[i]);
		free(base_hist[i]);
		reg_names[i] = NULL;
		base_hist[i] = NULL;
	}
	memset(base, 0, sizeof(base));
	reg_count = 0;
	free(cores);
	cores = NULL;
	n_cores = 0;
}

void cmdstat_thread_init(unsigned lcore)
{
	me = lcore < n_cores ? &cores[lcore] : NULL;
}

static unsigned slot_of(const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 40) % MAP_SLOTS;
}

/* The registry's id for key, adding it as prefix + name. Under reg_lock. */
static int reg_id(const void *key, const char *prefix, const char *name)
{
	size_t lp = strlen(prefix), ln = strlen(name);
	char *joined;

	for (unsigned i = 0; i < reg_count; i++)
		if (reg_keys[i] == key)
			return (int)i;
	if (reg_count == CMDSTAT_MAX || (joined = malloc(lp + ln + 1)) == NULL)
		return -1;
	memcpy(joined, prefix, lp);
	memcpy(joined + lp, name, ln + 1);
	reg_names[reg_count] = joined;
	reg_keys[reg_count] = key;
	/* Published after the name: readers load reg_count with acquire. */
	__atomic_store_n(&reg_count, reg_count + 1, __ATOMIC_RELEASE);
	return (int)reg_count - 1;
}

int cmdstat_id_local(const void *key, const char *prefix, const char *name)
{
	unsigned s;
	int id;

	if (me == NULL || key == NULL)
		return -1;
	for (s = slot_of(key); me->keys[s] != NULL; s = (s + 1) % MAP_SLOTS)
		if (me->keys[s] == key)
			return me->ids[s];
	pthread_mutex_lock(&reg_lock);
	id = reg_id(key, prefix, name);
	pthread_mutex_unlock(&reg_lock);
	if (id >= 0) {
		me->keys[s] = key;
		me->ids[s] = id;
	}
	return id;
}

static inline void add(uint64_t *v, uint64_t n)
{
	__atomic_store_n(v, *v + n, __ATOMIC_RELAXED);
}

void cmdstat_call_local(int id, uint64_t ns, int failed, int track)
{
	struct entry *e;

	if (id < 0 || me == NULL)
		return;
	e = &me->e[id];
	add(&e->calls, 1);
	add(&e->ns, ns);
	if (failed)
		add(&e->failed, 1);
	if (!track)
		return;
	if (e->hist == NULL) {
		/* calloc, not the core's arena: readers on other threads may
		 * hold it while this core goes on, and teardown frees it. */
		struct hist *h = calloc(1, sizeof(*h));
		if (h == NULL)
			return;
		__atomic_store_n(&e->hist, h, __ATOMIC_RELEASE);
	}
	hist_record_local(e->hist, ns);
}

void cmdstat_e2e_local(uint64_t ns)
{
	if (me == NULL)
		return;
	if (me->e2e == NULL) {
		struct hist *h = calloc(1, sizeof(*h));
		if (h == NULL)
			return;
		__atomic_store_n(&me->e2e, h, __ATOMIC_RELEASE);
	}
	hist_record_local(me->e2e, ns);
	add(&me->e2e_ns, ns);
}

uint64_t cmdstat_e2e_sum_ns(unsigned core)
{
	return core < n_cores ? __atomic_load_n(&cores[core].e2e_ns, __ATOMIC_RELAXED) : 0;
}

void cmdstat_e2e_core(unsigned core, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	if (core >= n_cores)
		return;
	const struct hist *src = __atomic_load_n(&cores[core].e2e, __ATOMIC_ACQUIRE);
	if (src != NULL)
		hist_merge(h, src);
}

void cmdstat_reject_local(int id)
{
	if (id >= 0 && me != NULL)
		add(&me->e[id].rejected, 1);
}

unsigned cmdstat_count(void)
{
	return __atomic_load_n(&reg_count, __ATOMIC_ACQUIRE);
}

const char *cmdstat_name(int id)
{
	return id >= 0 && (unsigned)id < cmdstat_count() ? reg_names[id] : "";
}

static void read_raw(int id, struct cmdstat_sum *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned c = 0; c < n_cores; c++) {
		const struct entry *e = &cores[c].e[id];
		out->calls += __atomic_load_n(&e->calls, __ATOMIC_RELAXED);
		out->ns += __atomic_load_n(&e->ns, __ATOMIC_RELAXED);
		out->failed += __atomic_load_n(&e->failed, __ATOMIC_RELAXED);
		out->rejected += __atomic_load_n(&e->rejected, __ATOMIC_RELAXED);
	}
}

void cmdstat_read(int id, struct cmdstat_sum *out)
{
	memset(out, 0, sizeof(*out));
	if (id < 0 || (unsigned)id >= cmdstat_count())
		return;
	read_raw(id, out);
	pthread_mutex_lock(&reg_lock);
	out->calls -= base[id].calls;
	out->ns -= base[id].ns;
	out->failed -= base[id].failed;
	out->rejected -= base[id].rejected;
	pthread_mutex_unlock(&reg_lock);
}

void cmdstat_hist_core(int id, unsigned core, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	if (id < 0 || (unsigned)id >= cmdstat_count() || core >= n_cores)
		return;
	const struct hist *src = __atomic_load_n(&cores[core].e[id].hist, __ATOMIC_ACQUIRE);
	if (src != NULL)
		hist_merge(h, src);
}

void cmdstat_hist(int id, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	if (id < 0 || (unsigned)id >= cmdstat_count())
		return;
	for (unsigned c = 0; c < n_cores; c++) {
		const struct hist *src = __atomic_load_n(&cores[c].e[id].hist, __ATOMIC_ACQUIRE);
		if (src != NULL)
			hist_merge(h, src);
	}
	pthread_mutex_lock(&reg_lock);
	if (base_hist[id] != NULL) {
		/* Subtract the baseline bucket by bucket. The exact max since
		 * the reset was not kept: the highest bucket's bound stands in. */
		h->count = 0;
		h->max = 0;
		for (unsigned i = 0; i < HIST_BUCKETS; i++) {
			h->b[i] -= base_hist[id]->b[i];
			h->count += h->b[i];
			if (h->b[i] != 0)
				h->max = hist_bucket_upper(i);
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

void cmdstat_reset(void)
{
	unsigned n = cmdstat_count();

	for (unsigned id = 0; id < n; id++) {
		struct cmdstat_sum now;
		struct hist *h = calloc(1, sizeof(*h));

		read_raw((int)id, &now);
		if (h != NULL)
			for (unsigned c = 0; c < n_cores; c++) {
				const struct hist *src = __atomic_load_n(&cores[c].e[id].hist,
									 __ATOMIC_ACQUIRE);
				if (src != NULL)
					hist_merge(h, src);
			}
		pthread_mutex_lock(&reg_lock);
		base[id] = now;
		free(base_hist[id]);
		base_hist[id] = h;
		pthread_mutex_unlock(&reg_lock);
	}
}
