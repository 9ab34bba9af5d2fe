/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering over single-producer single-consumer rings, one per ordered pair
 * of workers. Ring (a, b) carries everything a sends to b: a's requests for
 * b's shard and a's replies to b's requests. So each ring has exactly one
 * writer and one reader, and needs no lock and no read-modify-write atomic:
 *
 *   ring (from, to)      producer line        consumer line       slots
 *                      [ tail | head_cache ] [ head | tail_cache ] [ msg * x RING_SLOTS ]
 *
 * The producer publishes a slot with a release store of tail; the consumer
 * frees it with a release store of head. Each side caches the other's
 * index and rereads it only when the ring looks full (producer) or empty
 * (consumer), so a steady stream costs one shared line per side.
 *
 * A full ring never drops a message: it waits, in order, on the producer's
 * backlog for that ring and goes in at the producer's next drain
 * (back-pressure by delay). A worker about to sleep in epoll announces it
 * (steer_idle_enter_local); a producer that finds its consumer asleep
 * writes that worker's eventfd. Polling loops (io=dpdk) never sleep in the
 * kernel and simply drain every iteration.
 */
#include "dataplane/steer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/status.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/storage.h"

#define RING_SLOTS 1024u   /* a power of two */

struct steer_msg {
	struct steer_msg *next;  /* on a backlog */
	struct conn *conn;
	steer_reply_fn fn;
	unsigned from;
	int is_reply;
	struct kop op;
	struct kop_result res;
	char *res_copy;          /* the result's val, copied on the owner */
	char data[];             /* key, then value */
};

struct ring {
	/* producer's line */
	uint64_t tail __attribute__((aligned(64)));
	uint64_t head_cache;
	uint64_t sent;           /* messages through this ring (a metric) */
	struct steer_msg *backlog, *backlog_tail;   /* waiting for room, in order */
	/* consumer's line */
	uint64_t head __attribute__((aligned(64)));
	uint64_t tail_cache;
	struct steer_msg *slot[RING_SLOTS] __attribute__((aligned(64)));
};

struct wstate {
	int efd;
	int sleeping;            /* in epoll_wait: producers must wake it */
	unsigned backlogged;     /* rings of this producer with a backlog */
} __attribute__((aligned(64)));

static struct ring *rings;     /* [from * n + to] */
static struct wstate *ws;
static unsigned n_w;

static inline struct ring *ring_of(unsigned from, unsigned to)
{
	return &rings[(size_t)from * n_w + to];
}

int steer_setup(unsigned nworkers)
{
	int rc = slot_table_setup(nworkers);

	if (rc < 0)
		return rc;
	rings = mem_calloc_lines((size_t)nworkers * nworkers, sizeof(*rings));
	ws = mem_calloc_lines(nworkers, sizeof(*ws));
	if (rings == NULL || ws == NULL) {
		free(rings);
		free(ws);
		rings = NULL;
		ws = NULL;
		return -ENOMEM;
	}
	for (n_w = 0; n_w < nworkers; n_w++) {
		ws[n_w].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ws[n_w].efd < 0) {
			rc = -errno;
			steer_teardown();
			return rc;
		}
	}
	return SS_OK;
}

static void msg_free(struct steer_msg *m)
{
	free(m->res_copy);
	free(m);
}

/* Mail left after the workers stopped: tell each origin its kop was
 * dropped, so a connection waiting for it can be freed. */
static void drop(struct steer_msg *x)
{
	x->fn(x->conn, NULL);
	msg_free(x);
}

void steer_teardown(void)
{
	for (unsigned a = 0; a < n_w; a++) {
		for (unsigned b = 0; b < n_w; b++) {
			struct ring *r = ring_of(a, b);
			for (uint64_t h = r->head; h != r->tail; h++)
				drop(r->slot[h & (RING_SLOTS - 1)]);
			for (struct steer_msg *x = r->backlog, *next; x != NULL; x = next) {
				next = x->next;
				drop(x);
			}
		}
		close(ws[a].efd);
	}
	free(rings);
	free(ws);
	rings = NULL;
	ws = NULL;
	n_w = 0;
}

unsigned steer_workers(void) { return n_w; }
int steer_notify_fd(unsigned self) { return ws[self].efd; }

static bool push(struct ring *r, struct steer_msg *x)
{
	uint64_t t = r->tail;

	if (t - r->head_cache == RING_SLOTS) {
		r->head_cache = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (t - r->head_cache == RING_SLOTS)
			return false;
	}
	r->slot[t & (RING_SLOTS - 1)] = x;
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->sent, r->sent + 1, __ATOMIC_RELAXED);
	return true;
}

static void wake(unsigned to)
{
	uint64_t one = 1;

	/* Pairs with the fence in steer_idle_enter_local: either the consumer
	 * sees the new tail before sleeping, or we see it sleeping. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ws[to].sleeping, __ATOMIC_RELAXED) &&
	    write(ws[to].efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, a wake-up is pending */
	}
}

void steer_wake(unsigned to)
{
	if (ws != NULL && to < n_w)
		wake(to);
}

static void (*after_backlog_push)(unsigned from, unsigned to);

void steer_test_after_backlog_push(void (*fn)(unsigned from, unsigned to))
{
	after_backlog_push = fn;
}

/* Move a ring's backlog in while there is room. On the producer. */
static void flush_backlog(unsigned from, unsigned to)
{
	struct ring *r = ring_of(from, to);
	bool moved = false;

	while (r->backlog != NULL) {
		/* Read the link first: once pushed, the message is the
		 * consumer's, which may run it, free it and reuse the memory
		 * before our next load (a lost backlog, seen as a hang). */
		struct steer_msg *next = r->backlog->next;
		if (!push(r, r->backlog))
			break;
		if (__builtin_expect(after_backlog_push != NULL, 0))
			after_backlog_push(from, to);
		r->backlog = next;
		moved = true;
	}
	if (r->backlog == NULL && r->backlog_tail != NULL) {
		r->backlog_tail = NULL;
		ws[from].backlogged--;
	}
	if (moved)
		wake(to);
}

/* On worker `from`: x to `to`, in order behind anything already waiting. */
static void post(unsigned from, unsigned to, struct steer_msg *x)
{
	struct ring *r = ring_of(from, to);

	x->next = NULL;
	if (r->backlog == NULL && push(r, x)) {
		wake(to);
		return;
	}
	if (r->backlog == NULL) {
		r->backlog = x;
		ws[from].backlogged++;
	} else {
		r->backlog_tail->next = x;
	}
	r->backlog_tail = x;
	flush_backlog(from, to);
}

int steer_send(unsigned from, unsigned to, struct conn *c, const struct kop *op,
	       steer_reply_fn fn)
{
	struct steer_msg *x = malloc(sizeof(*x) + op->key.len + op->val.len);

	if (x == NULL)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	x->conn = c;
	x->fn = fn;
	x->from = from;
	x->op = *op;
	if (op->key.len > 0)   /* fan-out kops (target set) have no key */
		memcpy(x->data, op->key.p, op->key.len);
	if (op->val.len > 0)
		memcpy(x->data + op->key.len, op->val.p, op->val.len);
	x->op.key.p = x->data;
	x->op.val.p = x->data + op->key.len;
	metric_add_local(METRIC_steer_sent, 1);
	post(from, to, x);
	return SS_OK;
}

void steer_notify_ack_local(unsigned self)
{
	uint64_t n;

	if (read(ws[self].efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

/* On the owner: run the kop, keep a copy of what the origin must read. */
static void execute(struct shard *s, struct steer_msg *x)
{
	kop_exec_local(s, &x->op, &x->res);
	x->res.tag = x->op.tag;
	metric_add_local(METRIC_steer_executed, 1);
	/* A result that points into the shard is only valid on the owner
	 * until its next write: the origin gets a copy. */
	if (x->res.val.p != NULL) {
		x->res_copy = malloc(x->res.val.len ? x->res.val.len : 1);
		if (x->res_copy == NULL) {
			x->res.status = -ENOMEM;
		} else {
			memcpy(x->res_copy, x->res.val.p, x->res.val.len);
			x->res.val.p = x->res_copy;
		}
	}
	x->is_reply = 1;
}

unsigned steer_drain_local(unsigned self)
{
	unsigned n = 0;

	if (n_w == 1)
		return 0;   /* one worker owns every key: nothing is ever sent */

	if (ws[self].backlogged > 0)
		for (unsigned to = 0; to < n_w; to++)
			if (ring_of(self, to)->backlog != NULL)
				flush_backlog(self, to);
	for (unsigned from = 0; from < n_w; from++) {
		struct ring *r = ring_of(from, self);
		uint64_t h = r->head;

		if (h == r->tail_cache) {
			r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
			if (h == r->tail_cache)
				continue;
		}
		/* Only what is there now: a reply handled here may send more. */
		for (uint64_t t = r->tail_cache; h != t; n++) {
			struct steer_msg *x = r->slot[h & (RING_SLOTS - 1)];
			__atomic_store_n(&r->head, ++h, __ATOMIC_RELEASE);
			if (x->is_reply) {
				x->fn(x->conn, &x->res);
				msg_free(x);
			} else {
				execute(storage_shard(self), x);
				post(self, x->from, x);
			}
		}
	}
	return n;
}

bool steer_idle_enter_local(unsigned self)
{
	__atomic_store_n(&ws[self].sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ws[self].backlogged > 0)
		goto busy;
	for (unsigned from = 0; from < n_w; from++) {
		struct ring *r = ring_of(from, self);
		if (__atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) != r->head)
			goto busy;
	}
	return false;
busy:
	__atomic_store_n(&ws[self].sleeping, 0, __ATOMIC_RELAXED);
	return true;
}

void steer_idle_exit_local(unsigned self)
{
	__atomic_store_n(&ws[self].sleeping, 0, __ATOMIC_RELAXED);
}

void steer_pair_stats(unsigned from, unsigned to, uint64_t *sent, uint64_t *depth)
{
	const struct ring *r = ring_of(from, to);
	uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	*sent = __atomic_load_n(&r->sent, __ATOMIC_RELAXED);
	*depth = t >= h ? t - h : 0;
}

/* Prometheus families for /metrics (registered by main): per ordered pair
 * of workers, messages through the ring and its depth now. */
static void render_pairs(FILE *out, const char *name, int depth_not_sent)
{
	for (unsigned a = 0; a < n_w; a++)
		for (unsigned b = 0; b < n_w; b++) {
			uint64_t sent, depth;
			if (a == b)
				continue;
			steer_pair_stats(a, b, &sent, &depth);
			fprintf(out, "slipstream_%s{from=\"%u\",to=\"%u\"} %llu\n", name, a, b,
				(unsigned long long)(depth_not_sent ? depth : sent));
		}
}

void steer_render_metrics(FILE *out)
{
	fputs("# HELP slipstream_steer_ring_messages_total Requests and replies sent from one "
	      "worker to another\n# TYPE slipstream_steer_ring_messages_total counter\n", out);
	render_pairs(out, "steer_ring_messages_total", 0);
	fputs("# HELP slipstream_steer_ring_depth Messages waiting in the ring now\n"
	      "# TYPE slipstream_steer_ring_depth gauge\n", out);
	render_pairs(out, "steer_ring_depth", 1);
}
