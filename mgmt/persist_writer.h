/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management core's side of snapshots: when to take one (BGSAVE, the
 * `save` schedule), writing what the workers hand over as an RDB file
 * through a temporary file, fsync, rename and an fsync of the directory,
 * and the status INFO persistence and LASTSAVE report. Never on the
 * request path: the workers only copy items into chunks.
 */
#ifndef SS_MGMT_PERSIST_WRITER_H
#define SS_MGMT_PERSIST_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Checks the `save` option's syntax (pairs of positive numbers). Returns
 * SS_OK or -EINVAL with err naming the problem. */
int persist_schedule_check(const char *save, char *err, size_t errlen);

/* Management core, every tick: start, feed or finish a snapshot. */
void persist_tick(uint64_t now_ms);
/* Is a snapshot running (the loop ticks faster meanwhile)? */
int persist_active(void);
/*
 * A snapshot streamed to readers instead of the file (diskless replication):
 * the RDB goes to write() as it is made, taken from the workers only while
 * ready() says there is room (so memory stays bounded by the workers' queues
 * and the readers' buffers); end() says whether it is whole. One snapshot
 * runs at a time: -EBUSY while one does. The sink must outlive the job.
 */
struct persist_sink {
	bool (*ready)(void *ctx);
	int (*write)(void *ctx, const void *p, size_t n);   /* 0 or -errno */
	void (*end)(void *ctx, bool ok);
	void *ctx;
};
int persist_stream_start(const struct persist_sink *sink);
/* The stream's reader is gone: end it (end() is called with false). */
void persist_stream_abort(const struct persist_sink *sink);

/* Take a snapshot now and wait for it (shutdown); the workers must be
 * running. The result is in persist_info (last_ok). */
void persist_save_now(void);
/* At shutdown: abandon a running snapshot (its temporary file removed;
 * the last complete snapshot stays). */
void persist_abort(void);

#ifdef __cplusplus
}
#endif

#endif
