/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replica's link to its primary, on the management core: a
 * non-blocking state machine over one kernel socket, driven from the
 * management loop's poll.
 *
 *   CONNECT --1 s--> TCP connect -> PING -> [AUTH masterauth]
 *     -> REPLCONF listening-port <port> -> REPLCONF capa eof capa psync2
 *     -> PSYNC ? -1 (or <replid> <offset+1>) -> +FULLRESYNC <replid> <offset>
 *     -> RDB payload ($len or $EOF:mark) into a temporary file in dir
 *     -> every worker drops its keys and loads the file (storage_replace)
 *     -> the command stream, whole commands fed to worker 0; REPLCONF ACK
 *        <offset> every second and on REPLCONF GETACK
 *   any error, EOF or repl-timeout seconds of silence -> CONNECT
 *
 * After a link drop (not after REPLICAOF or a broken stream) the next
 * handshake asks PSYNC <replid> <offset+1>: +CONTINUE goes on with the
 * stream and the data held, +FULLRESYNC starts over. So does a restart
 * whose snapshot recorded the primary's replid and offset: a replica's
 * snapshot begins with the stream at rest (snapshot_hold below), so the
 * file holds exactly the stream up to that offset.
 */
#ifndef SS_MGMT_REPL_REPLICA_H
#define SS_MGMT_REPL_REPLICA_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/repl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "HOST PORT" (the replicaof option) into host (cap bytes) and *port;
 * "" is a primary (*port 0). -EINVAL with err set when malformed. */
int repl_replica_parse_target(const char *s, char *host, size_t cap, int *port, char *err,
			      size_t errlen);

/* Start-up: replicate from the replicaof option's primary, if any. */
int repl_replica_setup(char *err, size_t errlen);
void repl_replica_teardown(void);

/* The socket to poll, if any: fills *pfd and returns 1, else 0. */
int repl_replica_pollfd(struct pollfd *pfd);
/* After each poll (revents 0 on a timeout): connect, read, apply, ack. */
void repl_replica_step(short revents);
/* Work in progress (a load, commands still being applied): the loop
 * should come back soon rather than after a whole tick. */
bool repl_replica_busy(void);

/*
 * A snapshot is about to begin, and a replica's file should say which
 * stream offset its data is exactly at (a restart then asks PSYNC from
 * there). false: not yet; the stream already queued for worker 0 is being
 * applied and nothing more is queued meanwhile; ask again later. true:
 * the data is the primary's stream (replication ID id) up to *offset, and
 * stays so until repl_replica_snapshot_release(); id is "" when there is
 * nothing a restart could resume (a primary, a replica in a full sync),
 * and then nothing is held.
 */
bool repl_replica_snapshot_hold(char id[REPL_ID_LEN + 1], int64_t *offset);
/* Every worker has joined the snapshot (or it is not going ahead): the
 * stream flows again. */
void repl_replica_snapshot_release(void);

#ifdef __cplusplus
}
#endif

#endif
