/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering: which worker owns a key (storage/slot.h), and moving a key
 * operation to that owner and its result back, over lock-free single-
 * producer single-consumer rings, one per ordered pair of workers (see
 * steer.c). A request message carries a copy of the kop; the owner
 * executes it on its shard and sends the message back with the result. A
 * connection has at most one kop away at a time, so its replies stay in
 * request order.
 */
#ifndef SS_DATAPLANE_STEER_H
#define SS_DATAPLANE_STEER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include "dataplane/kop.h"
#include "storage/slot.h"

#ifdef __cplusplus
extern "C" {
#endif

struct conn;
struct shard;

/* res is NULL when the kop was dropped at shutdown. */
typedef void (*steer_reply_fn)(struct conn *c, const struct kop_result *res);

int steer_setup(unsigned nworkers);
void steer_teardown(void);
unsigned steer_workers(void);

/* Send op (key and value copied) from worker `from` to `to`; the result
 * reaches fn(c, res) on `from`. Returns SS_OK or -ENOMEM. */
int steer_send(unsigned from, unsigned to, struct conn *c, const struct kop *op,
	       steer_reply_fn fn);

/* Execute requests for, and deliver replies to, worker self. Returns the
 * number of messages handled. Only on worker self. */
unsigned steer_drain_local(unsigned self);

/* An fd that becomes readable when mail arrives for self while it sleeps
 * (epoll). */
int steer_notify_fd(unsigned self);
/* Reset that fd's readiness; call before steer_drain_local. */
void steer_notify_ack_local(unsigned self);
/* Before blocking: returns true if self has work now (do not block), else
 * marks self asleep so senders wake it through its fd. After blocking,
 * steer_idle_exit_local. Only on self. */
bool steer_idle_enter_local(unsigned self);
void steer_idle_exit_local(unsigned self);
/* Any thread: wake worker `to` if it sleeps in epoll, for work that is
 * not a ring message (a replica's feed). The work must be visible before
 * the call, and the worker must check for it after steer_idle_enter_local. */
void steer_wake(unsigned to);

/* Messages sent through ring (from, to) since start, and its depth now.
 * Any thread, relaxed reads. */
void steer_pair_stats(unsigned from, unsigned to, uint64_t *sent, uint64_t *depth);
/* Those as Prometheus families (metrics_http_add_renderer). */
void steer_render_metrics(FILE *out);

/* Tests only: called on the producer right after each message leaves a
 * backlog for its ring, where the consumer may already own it (so a test
 * can run the consumer there, on one thread). NULL to clear. */
void steer_test_after_backlog_push(void (*fn)(unsigned from, unsigned to));

/* The worker that owns key. Pure; any core. */
static inline unsigned steer_owner(const struct ss_arg *key)
{
	return slot_owner_of_key(key->p, key->len);
}

#ifdef __cplusplus
}
#endif

#endif
