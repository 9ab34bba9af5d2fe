/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The set of shards, one per worker. Each worker creates its shard on its
 * own core (so the table lives on its arena) and publishes it before
 * serving; the management core reads totals from any thread.
 */
#ifndef SS_STORAGE_STORAGE_H
#define SS_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shard;

int storage_setup(unsigned nshards);
/*
 * Management core, before the workers start (io=dpdk: after EAL setup, so
 * that this thread has its CPU): starts liburcu's thread that ends the
 * shards' grace periods (call_rcu callbacks), named ss-rcu. liburcu would
 * otherwise create it from the first worker that retires memory, on that
 * worker's CPU (a new thread inherits its creator's affinity), where it
 * wakes some hundred times a second and preempts the polling loop.
 */
void storage_start_rcu_thread(void);
/* Before the workers start: each loads the keys it owns from this RDB file
 * (relative to the working directory; absent = nothing). NULL: no load. */
void storage_load_at_start(const char *path, bool skip_other_types);
/* Worker, after its storage_start_local: wait until every worker's shard is
 * up and loaded (or *stopping), so no client sees part of the snapshot
 * (DBSIZE, a read under RCU of a shard still loading). */
void storage_wait_all_started_local(const volatile int *stopping);
/* Management core, at run time (a replica's full sync): every worker
 * drops its keys and loads those it owns from the RDB file `path`, on its
 * next loop turn. Returns a ticket for storage_replace_done(). One at a
 * time: the path is read by the workers until all are done. */
uint64_t storage_replace_request(const char *path, bool skip_other_types);
/* Have all workers done `ticket`? *failed: some could not load the file. */
bool storage_replace_done(uint64_t ticket, bool *failed);
/* Worker w's housekeeping, for how long its loop may wait for traffic:
 * IDLE as long as it likes; WAITING, a snapshot waits for the management
 * core to take its copies: wake within a millisecond; BUSY, a snapshot
 * walk, or memory past its grace period to free, has work now: do not
 * wait. Only on w. */
enum storage_busy { STORAGE_IDLE, STORAGE_WAITING, STORAGE_BUSY };
enum storage_busy storage_busy_local(unsigned w);
/* Writes since start, summed over shards (snapshot schedule, INFO). */
uint64_t storage_dirty(void);
void storage_teardown(void);
unsigned storage_shards(void);

/* On worker w: create w's shard and publish it. Returns SS_OK or -ENOMEM. */
int storage_start_local(unsigned w);
/* On worker w, after it stopped serving: free w's shard. */
void storage_stop_local(unsigned w);
/*
 * On worker w, once per loop iteration (QSBR online): picks up changed
 * maxmemory-* options, active expiry (hz cycles a second of 8 x
 * active-expire-effort buckets, walked again on later iterations while
 * expired keys pile up), resize steps, eviction towards a lowered
 * maxmemory, and frees memory whose grace period ended. Bounded work.
 */
void storage_step_local(unsigned w, int64_t now_ms);

/* w's shard, or NULL before it is published. */
struct shard *storage_shard(unsigned w);

/* Sums over published shards; any thread, relaxed reads. */
uint64_t storage_keys(void);
uint64_t storage_used_memory(void);
uint64_t storage_volatile_keys(void);
/* INFO keyspace avg_ttl (ms), over every shard. */
int64_t storage_avg_ttl_ms(void);

#ifdef __cplusplus
}
#endif

#endif
