/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replication, what the management core's link (mgmt/repl_replica.c) and
 * the workers share: whom we replicate from, the link's state for ROLE and
 * INFO, and the feed of the primary's command stream to worker 0.
 *
 *   REPLICAOF (any worker) --repl_target_set--> target, gen++
 *   management core: sees gen move, (re)connects, syncs, then
 *     repl_feed_push(whole commands) ------> worker 0 (repl_apply.c) runs
 *     them through a pseudo-connection and   repl_feed_applied_set(bytes)
 *
 * The role flips when REPLICAOF returns (a write right after REPLICAOF NO
 * ONE is accepted); the link follows on the management core's next turn.
 */
#ifndef SS_STORAGE_REPL_H
#define SS_STORAGE_REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REPL_HOST_MAX 256
#define REPL_ID_LEN   40

/* The link's state, as ROLE names it. */
enum repl_link {
	REPL_LINK_NONE,         /* a primary */
	REPL_LINK_CONNECT,      /* waiting to (re)connect */
	REPL_LINK_CONNECTING,   /* TCP connect */
	REPL_LINK_HANDSHAKE,    /* PING, AUTH, REPLCONF, PSYNC */
	REPL_LINK_SYNC,         /* receiving or loading the RDB */
	REPL_LINK_CONNECTED,    /* applying the command stream */
};

struct repl_status {
	bool replica;
	char host[REPL_HOST_MAX];
	int port;
	enum repl_link link;
	int64_t last_io_ms;         /* unix ms of the last byte from the primary, 0 = none */
	int64_t down_since_ms;      /* unix ms the link went down, 0 = never up */
	char replid[REPL_ID_LEN + 1];    /* ours as a primary; the primary's as a replica */
	char replid2[REPL_ID_LEN + 1];   /* the one before a promotion, or zeros */
	int64_t second_offset;      /* second_repl_offset, -1 = none */
	int64_t offset;             /* processed (applied) stream offset */
	int64_t read_offset;        /* stream offset received */
	bool synced;                /* offsets are from a sync (else 1 as Redis shows) */
	int64_t sync_total;         /* payload bytes announced ($len), 0 for $EOF: */
	int64_t sync_read;          /* payload bytes received so far */
	int64_t sync_last_io_ms;    /* unix ms of the last payload byte */
};

/* Are p[0..n) a replication ID (REPL_ID_LEN hex digits)? Inline: the
 * primary's replies (mgmt/repl_proto.c) and a snapshot's repl-id field
 * (storage/persist.c) are checked alike, and the parser's fuzz target
 * links nothing else. */
static inline bool repl_id_valid(const char *p, size_t n)
{
	if (n != REPL_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

/* A decimal integer filling p[0..n), optionally negative, at most max in
 * magnitude (offsets and lengths of the replication protocol, repl-offset). */
static inline bool repl_parse_ll(const char *p, size_t n, long long max, long long *out)
{
	long long v = 0;
	bool neg = n > 0 && p[0] == '-';
	size_t i = neg ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (max - (p[i] - '0')) / 10)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* 40 random hex characters and a NUL (a replication ID, an RDB end mark). */
void repl_random_id(char id[REPL_ID_LEN + 1]);

/* Once, before workers start: a random replid. */
void repl_state_setup(void);

/* Any thread. Replicate from host:port, or (host NULL) become a primary.
 * Returns 1 when already replicating from that very host:port (nothing
 * changes), else 0. */
int repl_target_set(const char *host, int port);
/* Any thread: a copy of the state. */
void repl_status_get(struct repl_status *out);
/* Management core: the target generation (moves on each change). */
uint64_t repl_target_gen(void);
/* Management core: link state and offsets (not the target). */
void repl_status_put(const struct repl_status *in);
/* Any thread: is this node a replica (HELLO's role)? A relaxed load. */
bool repl_is_replica(void);
/* Request path: is this node a replica that refuses client writes?
 * Relaxed loads only. */
bool repl_read_only(void);

/*
 * The feed: a byte queue, management core -> worker 0, of whole commands
 * from one link (its generation). reset() starts a new one: queued bytes
 * are dropped and worker 0 starts a fresh pseudo-connection.
 */
void repl_feed_reset(void);
/* SS_OK, or -ENOMEM (nothing queued: the link must start over). */
int repl_feed_push(const void *p, size_t n);
/* Worker 0, once: how a push wakes it when it sleeps (the dataplane's). */
void repl_feed_set_wake(void (*fn)(void));
/* Worker 0: bytes queued now (relaxed; 0 means nothing to do) and the
 * generation they belong to. */
size_t repl_feed_queued(void);
uint64_t repl_feed_gen(void);
/* Worker 0: move up to cap queued bytes of generation *gen into dst;
 * *gen is set to the feed's generation. */
size_t repl_feed_pop(char *dst, size_t cap, uint64_t *gen);
/* Worker 0: bytes of generation gen fully applied so far. */
void repl_feed_applied_set(uint64_t gen, uint64_t applied);
/* Management core: bytes applied of the current generation. */
uint64_t repl_feed_applied(void);

#ifdef __cplusplus
}
#endif

#endif
