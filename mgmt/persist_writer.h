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
