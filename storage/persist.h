/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots to disk without fork, the storage side: what workers and the
 * management core share.
 *
 *   management core                      worker w (its loop, storage_step_local)
 *   persist_begin_epoch() ----epoch----> shard_snapshot_begin_local(visit)
 *                                        shard_snapshot_step_local, bounded
 *   persist_take(w)  <----chunks-------- visit: each item as of the epoch's
 *   (RDB writer, file, rename)           start, copied into 256 KB chunks
 *   persist_worker_done(w, epoch) <----- done when its walk ends
 *
 * A worker stops walking while 64 of its chunks wait (16 MB): the extra
 * memory is bounded by that and by the copies its writes force, not by the
 * dataset. Writes never wait. Start-up loading (persist_load_local) runs on
 * each worker and keeps the keys it owns.
 */
#ifndef SS_STORAGE_PERSIST_H
#define SS_STORAGE_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/repl.h"

#ifdef __cplusplus
extern "C" {
#endif

struct shard;

/* Records in a chunk: u32 klen, u32 vlen, i64 expire_ms (0 none), u32 flags,
 * u64 cas, key bytes, value bytes. */
struct persist_chunk {
	struct persist_chunk *next;
	uint64_t epoch;           /* the snapshot it belongs to */
	size_t len, cap;
	char data[];
};

int persist_setup(unsigned nworkers);
void persist_teardown(void);

/* Management core: a new snapshot; returns its epoch. */
uint64_t persist_begin_epoch(void);
/* Management core: worker w's chunks so far (a list, oldest first), and
 * whether w finished `epoch` (check done first, then take: every chunk of
 * a finished walk is there). A worker that could not take part (no
 * memory) is done with *failed set. */
struct persist_chunk *persist_take(unsigned w);
bool persist_worker_done(unsigned w, uint64_t epoch, bool *failed);
void persist_chunk_free(struct persist_chunk *c);

/* Worker w, every loop iteration (storage_step_local): joins a new epoch,
 * walks a bounded part of its shard. */
void persist_step_local(unsigned w, struct shard *s, int64_t now_ms);

/* Is worker w walking a snapshot? NOW: it has work (an epoch to join, or
 * a walk the management core keeps up with): its loop should not sleep
 * (an idle worker would otherwise take a step per idle tick). WAITING: its
 * copies wait to be taken: sleep briefly. */
enum { PERSIST_WALK_NONE, PERSIST_WALK_WAITING, PERSIST_WALK_NOW };
int persist_walking_local(unsigned w);

/* Worker w at start: load the keys it owns from the RDB file `path`
 * (absent: nothing to do). Returns keys loaded, or -errno with err set. */
long persist_load_local(unsigned w, struct shard *s, const char *path, bool skip_other_types,
			char *err, size_t errlen);

/* Management core, once the workers serve: the replication ID and stream
 * offset that the snapshot loaded at start recorded (a replica's, see
 * rdb_aux). false: it had none. */
bool persist_loaded_repl(char id[REPL_ID_LEN + 1], int64_t *offset);
/* Management core: has every worker joined epoch e (its walk began, or it
 * could not take part)? From then on their writes no longer change what
 * the snapshot holds. */
bool persist_all_joined(uint64_t e);

/* BGSAVE from any worker: ask the management core for a snapshot.
 * -EBUSY if one is running (or already asked for). */
int persist_request(void);
/* BGSAVE SCHEDULE while one runs: another one after it. */
void persist_request_after(void);
bool persist_requested_take(void);   /* management core */

/* SHUTDOWN from a worker: the management core shuts down (after a last
 * snapshot when mode says so or, by default, when `save` has points). */
enum { PERSIST_SHUTDOWN_NONE, PERSIST_SHUTDOWN_DEFAULT, PERSIST_SHUTDOWN_SAVE,
       PERSIST_SHUTDOWN_NOSAVE };
void persist_shutdown_request(int mode, bool force);
int persist_shutdown_take(void);      /* management core; NONE when not asked */
bool persist_shutdown_force(void);

/* What INFO persistence and LASTSAVE show; the management core writes it. */
struct persist_info {
	bool in_progress;
	bool last_ok;             /* rdb_last_bgsave_status */
	int64_t last_save_s;      /* LASTSAVE: last success (start-up time before one) */
	int64_t last_time_s;      /* duration of the last one, -1 = none yet */
	int64_t current_start_s;  /* start of the running one */
	uint64_t dirty_at_save;   /* storage_dirty() when the last good one began */
	uint64_t saves;           /* rdb_saves */
	uint64_t begun, ended;    /* snapshots begun, and ended either way (SAVE waits
	                             for ended to pass what begun was when it came) */
};
void persist_info_get(struct persist_info *out);
void persist_info_set(const struct persist_info *in);

#ifdef __cplusplus
}
#endif

#endif
