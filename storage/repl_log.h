/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replication's write stream, the workers' side: each worker logs every
 * change of its shard (shard_on_change_local) as the Redis command that
 * redoes it, in the order it happened there, for the management core to
 * merge into the replication stream:
 *
 *   SET key value [PXAT ms]     a key's new state (any write that left it so:
 *                               SET, INCR, APPEND, a memcached set ...)
 *   PEXPIREAT key ms / PERSIST key
 *                               its expiry changed alone (EXPIRE, touch ...)
 *   DEL key                     deleted, expired, evicted or flushed
 *
 * Commands of the key's new state, not of the request, so a replica ends up
 * equal whatever the command was (Redis propagates some commands as their
 * effects too: relative expiries as absolute ones, expired keys as DEL).
 * memcached flags are not in the stream (Redis has no place for them).
 *
 *   management core                        worker w (storage_step_local)
 *   repl_log_start() ---generation------>  repl_log_step_local: logging on,
 *                                          from its next write
 *   repl_log_take(w) <---chunks----------  each change, appended to chunks
 *
 * A worker joins a generation between requests, so "what w wrote before
 * joining" and "after" are cut at a point of its own order: with a snapshot
 * begun at the same point (persist.h) a replica gets each write exactly
 * once. The chunks waiting per worker are bounded (REPL_LOG_MAX_BYTES);
 * past it the worker drops the log and says so (a replica then needs a
 * full resync), it never blocks or grows without bound.
 */
#ifndef SS_STORAGE_REPL_LOG_H
#define SS_STORAGE_REPL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shard;

#define REPL_LOG_MAX_BYTES (64u << 20)   /* per worker, waiting for the management core */

struct repl_chunk {
	struct repl_chunk *next;
	uint64_t gen;             /* the generation its worker was in */
	size_t len, cap;
	char data[];
};

int repl_log_setup(unsigned nworkers);
void repl_log_teardown(void);

/* Management core: every worker logs from its next loop iteration on;
 * returns the generation to wait for with repl_log_joined. Stop: no more
 * logging (what is queued stays to be taken). */
uint64_t repl_log_start(void);
void repl_log_stop(void);
/* Has worker w joined generation gen (or a later one)? Everything it took
 * afterwards is then in its chunks. */
bool repl_log_joined(unsigned w, uint64_t gen);

/* Management core: w's chunks so far, oldest first (NULL: none). *lost is
 * set when w dropped part of its log since the last take (the stream has a
 * hole: replicas need a full resync). */
struct repl_chunk *repl_log_take(unsigned w, bool *lost);
void repl_chunk_free(struct repl_chunk *c);

/* WAIT: bytes worker w has logged (any thread may read), and how far the
 * management core has merged each worker's log into the stream: after
 * repl_log_merged(w) >= n for every w, the stream holds all of it up to
 * its offset then (repl_primary_info.offset). */
uint64_t repl_log_logged(unsigned w);
uint64_t repl_log_offset(void);                       /* the stream's, as merged */
void repl_log_set_offset(uint64_t off);               /* management core */
uint64_t repl_log_merged(unsigned w);
void repl_log_set_merged(unsigned w, uint64_t n);     /* management core */
/* A WAIT is waiting: the management core asks replicas for their ACK now
 * (REPLCONF GETACK in the stream) instead of within their next second. */
void repl_log_want_acks(void);
bool repl_log_acks_wanted(void);                      /* management core; clears it */

/* Worker w, every loop iteration: follow start/stop (turns the shard's
 * change hook on or off) and hand over the current chunk. */
void repl_log_step_local(unsigned w, struct shard *s);

/*
 * A replica's connection, handed from the worker that got its SYNC or
 * PSYNC to the management core, which streams to it from then on.
 */
struct repl_handoff {
	struct repl_handoff *next;
	int fd;                      /* non-blocking, now the management core's */
	char replid[41];             /* PSYNC's, "" for SYNC or PSYNC ? */
	long long offset;            /* PSYNC's (the first byte it wants), -1 for none */
	int listening_port;          /* REPLCONF listening-port, 0 if not said */
	bool capa_eof, capa_psync2;  /* REPLCONF capa */
	char ip[64];                 /* its address, for INFO and ROLE */
};
void repl_handoff_push(struct repl_handoff *h);   /* any thread; takes h */
struct repl_handoff *repl_handoff_take(void);     /* management core: oldest first */

/* What INFO replication and ROLE show of a primary; the management core
 * writes it. */
#define REPL_INFO_REPLICAS 16
struct repl_primary_info {
	char replid[41];
	uint64_t offset;                 /* master_repl_offset */
	bool backlog_active;
	uint64_t backlog_size, backlog_first, backlog_histlen;
	unsigned connected;              /* connected_slaves (also past REPL_INFO_REPLICAS) */
	struct {
		char ip[64];
		int port;
		const char *state;           /* wait_bgsave, send_bulk, online */
		uint64_t offset;             /* its last REPLCONF ACK */
		int64_t lag_s;               /* seconds since it */
	} r[REPL_INFO_REPLICAS];
};
void repl_primary_info_get(struct repl_primary_info *out);
void repl_primary_info_set(const struct repl_primary_info *in);

#ifdef __cplusplus
}
#endif

#endif
