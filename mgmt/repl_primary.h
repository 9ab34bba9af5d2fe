/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary side of Redis replication, on the management core: replicas
 * whose SYNC/PSYNC a worker handed over (storage/repl_log.h) get a full
 * resync (+FULLRESYNC, an RDB snapshot taken after the write stream's cut,
 * then the stream from that cut) or a partial one (+CONTINUE and the
 * backlog from the offset they ask for); then the write stream the workers
 * log, merged into one, with Redis's replication ID and offsets, PINGs every
 * repl-ping-replica-period, and their REPLCONF ACKs read back.
 *
 * The stream from a cut is the Redis commands that redo each change
 * (SET ... PXAT, PEXPIREAT, PERSIST, DEL), and a snapshot begun after the
 * cut is applied under it: replaying a key's later states from the cut on
 * is idempotent, so a replica ends equal to the primary even for writes
 * that are in both.
 */
#ifndef SS_MGMT_REPL_PRIMARY_H
#define SS_MGMT_REPL_PRIMARY_H

#include <poll.h>
#include <stdio.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int repl_primary_setup(void);
void repl_primary_teardown(void);

/* Under io=dpdk the workers' connections cannot hand their socket over:
 * replicas connect to the management core here instead (bind:port on the
 * kernel's interfaces), which answers their handshake itself (PING, AUTH,
 * REPLCONF, PSYNC/SYNC). Returns SS_OK or -errno with err. */
int repl_primary_listen(const char *host, int port, char *err, size_t errlen);
int repl_primary_listening(void);

/* The management loop: the replicas' sockets to poll (up to max), then a
 * tick with what poll said (every loop pass, whatever woke it). */
unsigned repl_primary_pollfds(struct pollfd *p, unsigned max);
void repl_primary_tick(const struct pollfd *p, unsigned n, uint64_t now_ms);
/* Replicas attached: the loop ticks every millisecond (the stream's lag). */
int repl_primary_active(void);
/* Replication as Prometheus families (metrics_http_add_renderer); on the
 * management core, as the ticks. */
void repl_primary_render_metrics(FILE *out);

#ifdef __cplusplus
}
#endif

#endif
