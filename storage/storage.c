/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/storage.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "storage/persist.h"
#include "storage/repl_log.h"
#include "storage/repl.h"
#include "platform/log.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/shard.h"

/* One cache line per slot: publishing a shard never dirties a neighbour's. */
struct slot {
	struct shard *shard;
	uint64_t replace_done;    /* the last replace request this worker finished */
	bool replace_failed;      /* ... and whether its load failed */
	unsigned opt_gen;         /* the option generation its limits are from, +1 */
	bool expire_in_cycle;     /* an active expiry cycle is walking */
	int64_t expire_cycle_ms;  /* when the current or last cycle started */
	int64_t expire_due_ms;    /* when the next one starts */
} __attribute__((aligned(64)));

static struct slot *slots;
static unsigned n_slots;
static unsigned started;   /* workers whose shard is up (and loaded) */

/* The snapshot each worker loads its keys from at start (main sets it). */
static char *load_path;
static bool load_skip_other;

/* A run-time replace (a replica's full sync): the management core writes
 * the path, then bumps replace_gen; each worker compares with its own. */
static char replace_path[4096];
static bool replace_skip_other;
static uint64_t replace_gen;

int storage_setup(unsigned nshards)
{
	repl_state_setup();
	slots = mem_calloc_lines(nshards, sizeof(*slots));
	if (slots == NULL || persist_setup(nshards) < 0 || repl_log_setup(nshards) < 0) {
		persist_teardown();
		free(slots);
		slots = NULL;
		return -ENOMEM;
	}
	n_slots = nshards;
	started = 0;
	return SS_OK;
}

void storage_start_rcu_thread(void)
{
	char name[16];

	if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "slipstream");
	/* A new thread takes its creator's name. */
	pthread_setname_np(pthread_self(), "ss-rcu");
	(void)get_default_call_rcu_data();
	pthread_setname_np(pthread_self(), name);
}

void storage_load_at_start(const char *path, bool skip_other_types)
{
	free(load_path);
	load_path = path ? strdup(path) : NULL;
	load_skip_other = skip_other_types;
}

void storage_teardown(void)
{
	persist_teardown();
	repl_log_teardown();
	free(load_path);
	load_path = NULL;
	free(slots);
	slots = NULL;
	n_slots = 0;
}

unsigned storage_shards(void) { return n_slots; }

/* The maxmemory-* options as one shard's limits: maxmemory is split evenly
 * across the shards (keys spread evenly over the CRC16 slots). */
static void limits_from_options(struct shard_limits *l)
{
	l->maxmemory = (uint64_t)opt_int(OPT_maxmemory) / (n_slots ? n_slots : 1);
	if (opt_int(OPT_maxmemory) != 0 && l->maxmemory == 0)
		l->maxmemory = 1;
	/* A read-only replica's one writer is its primary, whose evictions come
	 * as DELs: refusing or evicting here would only make it diverge. */
	if (repl_read_only() && opt_bool(OPT_replica_ignore_maxmemory))
		l->maxmemory = 0;
	l->policy = (enum shard_policy)opt_enum(OPT_maxmemory_policy);
	l->samples = (unsigned)opt_int(OPT_maxmemory_samples);
	l->lfu_log_factor = (unsigned)opt_int(OPT_lfu_log_factor);
	l->lfu_decay_time = (unsigned)opt_int(OPT_lfu_decay_time);
}

int storage_start_local(unsigned w)
{
	struct shard *s = shard_create(w);
	struct shard_limits l;

	if (s == NULL)
		return -ENOMEM;
	shard_set_cas_owners_local(s, n_slots);
	limits_from_options(&l);
	shard_set_limits_local(s, &l);
	if (load_path != NULL) {
		char err[256];
		uint64_t t0 = clock_mono_ms();
		long n = persist_load_local(w, s, load_path, load_skip_other, err, sizeof(err));
		if (n < 0) {
			log_warn("Worker %u cannot load %s: %s", w, load_path, err);
			shard_destroy(s);
			return (int)n;
		}
		if (n > 0)
			log_notice("Worker %u loaded %ld keys from %s in %.3f seconds", w, n, load_path,
				   (double)(clock_mono_ms() - t0) / 1000.0);
	}
	slots[w].opt_gen = 0;   /* the limits are read again at the first step */
	__atomic_store_n(&slots[w].shard, s, __ATOMIC_RELEASE);
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	return SS_OK;
}

void storage_wait_all_started_local(const volatile int *stopping)
{
	rcu_thread_offline();   /* another worker's load may wait for a grace period */
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < n_slots && !*stopping)
		usleep(1000);
	rcu_thread_online();
}

uint64_t storage_replace_request(const char *path, bool skip_other_types)
{
	snprintf(replace_path, sizeof(replace_path), "%s", path);
	replace_skip_other = skip_other_types;
	return __atomic_add_fetch(&replace_gen, 1, __ATOMIC_RELEASE);
}

bool storage_replace_done(uint64_t ticket, bool *failed)
{
	*failed = false;
	for (unsigned w = 0; w < n_slots; w++) {
		if (__atomic_load_n(&slots[w].replace_done, __ATOMIC_ACQUIRE) < ticket)
			return false;
		*failed |= slots[w].replace_failed;
	}
	return true;
}

/* On w: drop every key, then load the ones w owns. The loop blocks while
 * it loads (as Redis does during a full sync); other workers' reads of
 * this shard under RCU see it empty, then filling. */
static void replace_local(unsigned w, struct shard *s, uint64_t ticket, int64_t now_ms)
{
	char err[256];
	uint64_t t0 = clock_mono_ms();
	long n;

	shard_flush_local(s, now_ms, now_ms);
	n = persist_load_local(w, s, replace_path, replace_skip_other, err, sizeof(err));
	if (n < 0)
		log_warn("Worker %u cannot load %s: %s", w, replace_path, err);
	else
		log_verbose("Worker %u loaded %ld keys from %s in %.3f seconds", w, n, replace_path,
			    (double)(clock_mono_ms() - t0) / 1000.0);
	slots[w].replace_failed = n < 0;
	__atomic_store_n(&slots[w].replace_done, ticket, __ATOMIC_RELEASE);
}

/*
 * Active expiry paced by time, as Redis's hz: a cycle starts every 1000/hz
 * ms and walks 8 x active-expire-effort buckets (about 120 x effort keys,
 * up to 4 rounds), then again on each loop iteration for as long as the
 * walk finds a backlog, within (25 + 2 x (effort - 1))% of the period
 * (Redis's slow-cycle share). Walking on every iteration instead cost a
 * few cache misses per receive burst whenever keys had TTLs.
 */
static void expire_step(struct slot *sl, struct shard *s, int64_t now_ms)
{
	if (!sl->expire_in_cycle && now_ms < sl->expire_due_ms && now_ms >= sl->expire_cycle_ms) {
		shard_expire_step_local(s, now_ms, 0);   /* the rest of housekeeping */
		return;
	}
	unsigned effort = (unsigned)opt_int(OPT_active_expire_effort);
	int64_t period = 1000 / opt_int(OPT_hz);

	if (!sl->expire_in_cycle) {
		sl->expire_in_cycle = true;
		sl->expire_cycle_ms = now_ms;
	}
	shard_expire_step_local(s, now_ms, 8 * effort);
	if (!shard_expire_backlog_local(s) ||
	    now_ms - sl->expire_cycle_ms >= period * (25 + 2 * ((int64_t)effort - 1)) / 100) {
		sl->expire_in_cycle = false;
		sl->expire_due_ms = sl->expire_cycle_ms + period;
	}
}

void storage_step_local(unsigned w, int64_t now_ms)
{
	struct shard *s = slots[w].shard;
	struct shard_limits l;
	uint64_t ticket;

	if (s == NULL)
		return;
	/* Options may change at run time (CONFIG SET): read again when they did. */
	if (slots[w].opt_gen != opt_generation() + 1) {
		slots[w].opt_gen = opt_generation() + 1;
		limits_from_options(&l);
		shard_set_limits_local(s, &l);
	}
	ticket = __atomic_load_n(&replace_gen, __ATOMIC_ACQUIRE);
	if (ticket != slots[w].replace_done)
		replace_local(w, s, ticket, now_ms);
	expire_step(&slots[w], s, now_ms);
	/* the log joins before the snapshot (a full resync starts its stream
	 * at or before the snapshot's cut: replaying a key's state is
	 * idempotent, missing one is not) */
	repl_log_step_local(w, s);
	persist_step_local(w, s, now_ms);
}

void storage_stop_local(unsigned w)
{
	struct shard *s = slots[w].shard;

	__atomic_store_n(&slots[w].shard, NULL, __ATOMIC_RELEASE);
	/* Readers on other cores (shard_get_rcu) may still hold s: wait for
	 * them. QSBR: an online caller goes offline, or it waits for itself. */
	int online = rcu_read_ongoing();

	if (online)
		rcu_thread_offline();
	synchronize_rcu();
	if (online)
		rcu_thread_online();
	shard_destroy(s);
}

struct shard *storage_shard(unsigned w)
{
	return __atomic_load_n(&slots[w].shard, __ATOMIC_ACQUIRE);
}

uint64_t storage_keys(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_count(s);
	}
	return n;
}

uint64_t storage_used_memory(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_used_memory(s);
	}
	return n;
}

uint64_t storage_volatile_keys(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_volatile_count(s);
	}
	return n;
}

int64_t storage_avg_ttl_ms(void)
{
	double sum = 0, n = 0;

	/* each shard's average weighted by its volatile keys */
	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL && shard_volatile_count(s) > 0) {
			sum += (double)shard_avg_ttl_ms(s) * (double)shard_volatile_count(s);
			n += (double)shard_volatile_count(s);
		}
	}
	return n > 0 ? (int64_t)(sum / n) : 0;
}

uint64_t storage_dirty(void)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < n_slots; w++) {
		struct shard *s = storage_shard(w);
		if (s != NULL)
			n += shard_dirty(s);
	}
	return n;
}

enum storage_busy storage_busy_local(unsigned w)
{
	if (slots[w].shard != NULL && shard_reclaim_due_local(slots[w].shard))
		return STORAGE_BUSY;
	switch (persist_walking_local(w)) {
	case PERSIST_WALK_NOW:
		return STORAGE_BUSY;
	case PERSIST_WALK_WAITING:
		return STORAGE_WAITING;
	default:
		return STORAGE_IDLE;
	}
}
