/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client connection as the engine sees it, independent of the I/O backend:
 * bytes in, bytes out. The backend appends received bytes to `in`, calls
 * conn_process_local(), sends what is in `out`, and closes when
 * conn_wants_close() says so. A connection lives on one worker; all its
 * functions run on that worker only.
 */
#ifndef SS_DATAPLANE_CONN_H
#define SS_DATAPLANE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include "dataplane/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

enum proto { PROTO_RESP, PROTO_MEMCACHE };

struct conn;

/* Output above this stops request processing until the backend drains it. */
#define CONN_OUT_HIGH (1024 * 1024)

/* kick(c) is called when a kop's result arrives from another worker and
 * the backend should process and flush c again. */
typedef void (*conn_kick_fn)(struct conn *c, void *io);

struct conn *conn_create(enum proto p, unsigned worker, conn_kick_fn kick, void *io);
/* The backend is done with c (socket closed). Freed now, or, when a kop
 * is away, once the command in flight has finished (its output dropped). */
void conn_release(struct conn *c);

/* The client's and the local "ip:port" (CLIENT LIST, SLOWLOG). */
void conn_set_addrs(struct conn *c, const char *peer, const char *local);

/* The backend received bytes at `tsc` (clock_tsc): requests they complete
 * are timed end to end from there (receive to reply queued). */
void conn_note_rx(struct conn *c, uint64_t tsc);

struct buf *conn_in(struct conn *c);
struct buf *conn_out(struct conn *c);
uint64_t conn_id(const struct conn *c);

/* Parse and execute buffered requests until input runs out, a kop goes to
 * another worker, or output passes CONN_OUT_HIGH. */
void conn_process_local(struct conn *c);

/* Start loading the key of c's first waiting request (its bucket; with
 * `items`, the item the bucket points to, once the bucket had time to
 * arrive) when c's worker holds more than the caches do. A backend with a
 * burst of connections does this for all of them before it runs them, so
 * their DRAM misses overlap. A hint only: nothing else changes. */
void conn_prefetch_first_local(struct conn *c, bool items);

/* Connections of worker w whose command waits on the management core
 * (SAVE): the backend polls them each loop iteration (and should not sleep
 * long while conn_waiting_local says some wait), and drops them when it
 * stops, before it frees its connections. */
bool conn_waiting_local(unsigned w);
void conn_poll_waits_local(unsigned w);
void conn_drop_waits_local(unsigned w);

/* The backend closes c's socket: true if c was a replica's SYNC/PSYNC and
 * the socket now belongs to the management core (do not close it). io=kernel. */
bool conn_handoff_local(struct conn *c, int fd);

/* The backend should read more (false while a kop is away or output is high). */
bool conn_wants_input(const struct conn *c);
/* Close once `out` is flushed (QUIT, protocol error, out of memory). */
bool conn_wants_close(const struct conn *c);

#ifdef __cplusplus
}
#endif

#endif
