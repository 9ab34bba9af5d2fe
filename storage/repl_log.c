/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/repl_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fmt.h"
#include "platform/mem.h"
#include "platform/status.h"
#include "storage/shard.h"

#define CHUNK_MIN 4096

struct rworker {
	pthread_mutex_t lock;              /* the queue: worker pushes, mgmt takes */
	struct repl_chunk *head, *tail;
	size_t queued;                     /* bytes in the queue */
	bool lost;
	uint64_t joined;                   /* written with release by the worker */
	uint64_t logged;                   /* bytes, written by the worker */
	uint64_t merged;                   /* bytes, written by the management core */
	/* the worker's own */
	bool on;
	uint64_t gen;
	struct repl_chunk *cur;
} __attribute__((aligned(64)));

static struct rworker *rw;
static unsigned n_rw;
static uint64_t gen;                       /* the management core's */
static int want;

int repl_log_setup(unsigned nworkers)
{
	rw = mem_calloc_lines(nworkers, sizeof(*rw));
	if (rw == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < nworkers; i++)
		pthread_mutex_init(&rw[i].lock, NULL);
	n_rw = nworkers;
	return SS_OK;
}

void repl_chunk_free(struct repl_chunk *c)
{
	while (c != NULL) {
		struct repl_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void repl_log_teardown(void)
{
	for (unsigned i = 0; i < n_rw; i++) {
		repl_chunk_free(rw[i].head);
		repl_chunk_free(rw[i].cur);
		pthread_mutex_destroy(&rw[i].lock);
	}
	free(rw);
	rw = NULL;
	n_rw = 0;
}

uint64_t repl_log_start(void)
{
	uint64_t g = __atomic_add_fetch(&gen, 1, __ATOMIC_RELEASE);

	__atomic_store_n(&want, 1, __ATOMIC_RELEASE);
	return g;
}

void repl_log_stop(void)
{
	__atomic_store_n(&want, 0, __ATOMIC_RELEASE);
}

bool repl_log_joined(unsigned w, uint64_t g)
{
	return w < n_rw && __atomic_load_n(&rw[w].joined, __ATOMIC_ACQUIRE) >= g;
}

struct repl_chunk *repl_log_take(unsigned w, bool *lost)
{
	struct repl_chunk *c;

	pthread_mutex_lock(&rw[w].lock);
	c = rw[w].head;
	rw[w].head = rw[w].tail = NULL;
	__atomic_store_n(&rw[w].queued, 0, __ATOMIC_RELAXED);
	*lost = rw[w].lost;
	rw[w].lost = false;
	pthread_mutex_unlock(&rw[w].lock);
	return c;
}

/* Worker: hand the current chunk over. */
static void push_cur(struct rworker *r)
{
	struct repl_chunk *c = r->cur;

	if (c == NULL)
		return;
	r->cur = NULL;
	if (c->len == 0) {
		free(c);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->tail != NULL)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	__atomic_store_n(&r->queued, r->queued + c->len, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->lock);
}

/* Worker: the log cannot be whole (no memory, or the management core is
 * this far behind): drop it and say so; the next take starts afresh. */
static void drop(struct rworker *r)
{
	free(r->cur);
	r->cur = NULL;
	pthread_mutex_lock(&r->lock);
	r->lost = true;
	pthread_mutex_unlock(&r->lock);
}

/* Room for need more bytes in the current chunk, or NULL (dropped). */
static char *room(struct rworker *r, size_t need)
{
	struct repl_chunk *c = r->cur;

	if (c != NULL && c->len + need <= c->cap)
		return c->data + c->len;
	push_cur(r);
	if (__atomic_load_n(&r->queued, __ATOMIC_RELAXED) + need > REPL_LOG_MAX_BYTES) {
		drop(r);
		return NULL;
	}
	size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
	/* malloc, not the worker's arena: the management core frees it */
	if ((c = malloc(sizeof(*c) + cap)) == NULL) {
		drop(r);
		return NULL;
	}
	c->next = NULL;
	c->gen = r->gen;
	c->len = 0;
	c->cap = cap;
	r->cur = c;
	return c->data;
}

static char *put_bulk(char *d, const void *p, size_t n)
{
	*d++ = '$';
	d += fmt_u64(d, n);
	*d++ = '\r';
	*d++ = '\n';
	memcpy(d, p, n);
	d += n;
	*d++ = '\r';
	*d++ = '\n';
	return d;
}

static char *put_int_bulk(char *d, int64_t v)
{
	char num[FMT_U64_MAX + 1];

	return put_bulk(d, num, fmt_i64(num, v));
}

#define BULK_OVERHEAD (1 + FMT_U64_MAX + 4)   /* $<len>\r\n ... \r\n */

/* The shard's change hook: the change as the command that redoes it. */
static void change(void *arg, enum shard_change kind, const struct item *it)
{
	struct rworker *r = arg;
	const void *k = item_key(it);
	size_t kl = item_klen(it), vl = item_vlen(it);
	int64_t ex = item_expire_ms(it);
	size_t need = 4 + 5 * BULK_OVERHEAD + kl + 10 + 2 * FMT_U64_MAX;
	char *d, *d0;

	if (kind == SHARD_CHANGE_SET)
		need += vl;
	if ((d0 = d = room(r, need)) == NULL)
		return;
	switch (kind) {
	case SHARD_CHANGE_SET:
		memcpy(d, ex != 0 ? "*5\r\n" : "*3\r\n", 4);
		d = put_bulk(d + 4, "SET", 3);
		d = put_bulk(d, k, kl);
		d = put_bulk(d, item_value(it), vl);
		if (ex != 0) {
			d = put_bulk(d, "PXAT", 4);
			d = put_int_bulk(d, ex);
		}
		break;
	case SHARD_CHANGE_TTL:
		if (ex != 0) {
			memcpy(d, "*3\r\n", 4);
			d = put_bulk(d + 4, "PEXPIREAT", 9);
			d = put_bulk(d, k, kl);
			d = put_int_bulk(d, ex);
		} else {
			memcpy(d, "*2\r\n", 4);
			d = put_bulk(d + 4, "PERSIST", 7);
			d = put_bulk(d, k, kl);
		}
		break;
	case SHARD_CHANGE_DEL:
		memcpy(d, "*2\r\n", 4);
		d = put_bulk(d + 4, "DEL", 3);
		d = put_bulk(d, k, kl);
		break;
	}
	r->cur->len += (size_t)(d - d0);
	__atomic_store_n(&r->logged, r->logged + (uint64_t)(d - d0), __ATOMIC_RELEASE);
}

uint64_t repl_log_logged(unsigned w)
{
	return w < n_rw ? __atomic_load_n(&rw[w].logged, __ATOMIC_ACQUIRE) : 0;
}

uint64_t repl_log_merged(unsigned w)
{
	return w < n_rw ? __atomic_load_n(&rw[w].merged, __ATOMIC_ACQUIRE) : 0;
}

void repl_log_set_merged(unsigned w, uint64_t n)
{
	if (w < n_rw)
		__atomic_store_n(&rw[w].merged, n, __ATOMIC_RELEASE);
}

static int acks_wanted;
static uint64_t stream_offset;

uint64_t repl_log_offset(void)
{
	return __atomic_load_n(&stream_offset, __ATOMIC_ACQUIRE);
}

void repl_log_set_offset(uint64_t off)
{
	__atomic_store_n(&stream_offset, off, __ATOMIC_RELEASE);
}

void repl_log_want_acks(void)
{
	__atomic_store_n(&acks_wanted, 1, __ATOMIC_RELEASE);
}

bool repl_log_acks_wanted(void)
{
	return __atomic_exchange_n(&acks_wanted, 0, __ATOMIC_ACQ_REL) != 0;
}

void repl_log_step_local(unsigned w, struct shard *s)
{
	struct rworker *r;
	uint64_t g;

	if (rw == NULL || w >= n_rw)
		return;
	r = &rw[w];
	if (__atomic_load_n(&want, __ATOMIC_ACQUIRE)) {
		g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
		if (!r->on || r->gen != g) {
			/* the cut: what came before is in chunks of the old
			 * generation, everything after in the new one's */
			push_cur(r);
			r->gen = g;
			if (!r->on)
				shard_on_change_local(s, change, r);
			r->on = true;
			__atomic_store_n(&r->joined, g, __ATOMIC_RELEASE);
			return;
		}
	} else if (r->on) {
		shard_on_change_local(s, NULL, NULL);
		r->on = false;
	}
	push_cur(r);   /* a replica waits at most one loop iteration */
}

/* ---- hand-over of replicas' connections, and what INFO shows ---- */

static pthread_mutex_t share_lock = PTHREAD_MUTEX_INITIALIZER;
static struct repl_handoff *handoffs, **handoffs_tail = &handoffs;
static struct repl_primary_info pinfo;

void repl_handoff_push(struct repl_handoff *h)
{
	h->next = NULL;
	pthread_mutex_lock(&share_lock);
	*handoffs_tail = h;
	handoffs_tail = &h->next;
	pthread_mutex_unlock(&share_lock);
}

struct repl_handoff *repl_handoff_take(void)
{
	struct repl_handoff *h;

	pthread_mutex_lock(&share_lock);
	h = handoffs;
	handoffs = NULL;
	handoffs_tail = &handoffs;
	pthread_mutex_unlock(&share_lock);
	return h;
}

void repl_primary_info_get(struct repl_primary_info *out)
{
	pthread_mutex_lock(&share_lock);
	*out = pinfo;
	pthread_mutex_unlock(&share_lock);
}

void repl_primary_info_set(const struct repl_primary_info *in)
{
	pthread_mutex_lock(&share_lock);
	pinfo = *in;
	pthread_mutex_unlock(&share_lock);
}
