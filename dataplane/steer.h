/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering: which worker owns a key (storage/slot.h), and moving a key
 * operation to that owner and its result back. Each worker has a mailbox;
 * a request message carries a copy of the kop, the owner executes it on its
 * shard and posts the message back with the result. A connection has at most
 * one kop away at a time, so its replies stay in request order.
 *
 * (The foundation's mechanism: a locked FIFO per worker with an eventfd to
 * wake it. The steering issue replaces it with SPSC rings per core pair.)
 */
#ifndef SS_DATAPLANE_STEER_H
#define SS_DATAPLANE_STEER_H

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

/* An fd that becomes readable when self's mailbox gets mail (epoll). */
int steer_notify_fd(unsigned self);
/* Reset that fd's readiness; call before steer_drain_local. */
void steer_notify_ack_local(unsigned self);

/* The worker that owns key. Pure; any core. */
static inline unsigned steer_owner(const struct ss_arg *key)
{
	return slot_owner_of_key(key->p, key->len);
}

#ifdef __cplusplus
}
#endif

#endif
