/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/repl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/opt.h"
#include "platform/status.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct repl_status st = {
	.replid2 = "0000000000000000000000000000000000000000",
	.second_offset = -1,
};
static uint64_t target_gen;
static bool is_replica;   /* st.replica, for the request path without the lock */

void repl_random_id(char id[REPL_ID_LEN + 1])
{
	unsigned char r[REPL_ID_LEN / 2] = { 0 };
	FILE *f = fopen("/dev/urandom", "rb");

	if (f != NULL) {
		if (fread(r, 1, sizeof(r), f) != sizeof(r))
			memset(r, 0, sizeof(r));
		fclose(f);
	}
	for (int i = 0; i < REPL_ID_LEN / 2; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

void repl_state_setup(void)
{
	pthread_mutex_lock(&lock);
	repl_random_id(st.replid);
	pthread_mutex_unlock(&lock);
}

int repl_target_set(const char *host, int port)
{
	int same = 0;

	pthread_mutex_lock(&lock);
	if (host != NULL && st.replica && st.port == port && strcasecmp(st.host, host) == 0) {
		same = 1;
	} else if (host != NULL) {
		snprintf(st.host, sizeof(st.host), "%s", host);
		st.port = port;
		st.replica = true;
		st.link = REPL_LINK_CONNECT;
		st.last_io_ms = 0;
		target_gen++;
	} else if (st.replica) {
		/* Promotion, as Redis's shiftReplicationId(): the old history
		 * stays reachable under replid2 up to this offset. */
		st.replica = false;
		st.link = REPL_LINK_NONE;
		if (st.synced) {
			memcpy(st.replid2, st.replid, sizeof(st.replid2));
			st.second_offset = st.offset + 1;
		}
		repl_random_id(st.replid);
		target_gen++;
	}
	__atomic_store_n(&is_replica, st.replica, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
	return same;
}

void repl_status_get(struct repl_status *out)
{
	pthread_mutex_lock(&lock);
	*out = st;
	pthread_mutex_unlock(&lock);
}

uint64_t repl_target_gen(void)
{
	uint64_t g;

	pthread_mutex_lock(&lock);
	g = target_gen;
	pthread_mutex_unlock(&lock);
	return g;
}

void repl_status_put(const struct repl_status *in)
{
	pthread_mutex_lock(&lock);
	/* the target fields are REPLICAOF's: a change since `in` was read wins */
	if (st.replica) {
		st.link = in->link;
		st.last_io_ms = in->last_io_ms;
		st.down_since_ms = in->down_since_ms;
		memcpy(st.replid, in->replid, sizeof(st.replid));
		st.offset = in->offset;
		st.read_offset = in->read_offset;
		st.synced = in->synced;
		st.sync_total = in->sync_total;
		st.sync_read = in->sync_read;
		st.sync_last_io_ms = in->sync_last_io_ms;
	}
	pthread_mutex_unlock(&lock);
}

bool repl_is_replica(void)
{
	return __atomic_load_n(&is_replica, __ATOMIC_ACQUIRE);
}

bool repl_read_only(void)
{
	/* opt_bool of an option set up before workers start: a scalar read */
	return __atomic_load_n(&is_replica, __ATOMIC_ACQUIRE) && opt_bool(OPT_replica_read_only);
}

/* ---- the feed ---- */

static pthread_mutex_t feed_lock = PTHREAD_MUTEX_INITIALIZER;
static char *q;
static size_t q_head, q_len, q_cap;
static size_t queued;             /* q_len, for relaxed peeks */
static uint64_t feed_gen;
static uint64_t applied_gen, applied;
static void (*feed_wake)(void);

void repl_feed_set_wake(void (*fn)(void))
{
	__atomic_store_n(&feed_wake, fn, __ATOMIC_RELEASE);
}

void repl_feed_reset(void)
{
	pthread_mutex_lock(&feed_lock);
	q_head = q_len = 0;
	__atomic_store_n(&queued, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&feed_gen, feed_gen + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&feed_lock);
}

int repl_feed_push(const void *p, size_t n)
{
	pthread_mutex_lock(&feed_lock);
	if (q_head > 0 && q_head + q_len + n > q_cap) {
		memmove(q, q + q_head, q_len);
		q_head = 0;
	}
	if (q_len + n > q_cap) {
		size_t cap = q_cap ? q_cap : 65536;
		while (cap < q_len + n)
			cap *= 2;
		char *nq = realloc(q, cap);
		if (nq == NULL) {
			pthread_mutex_unlock(&feed_lock);
			return -ENOMEM;
		}
		q = nq;
		q_cap = cap;
	}
	memcpy(q + q_head + q_len, p, n);
	q_len += n;
	__atomic_store_n(&queued, q_len, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&feed_lock);
	void (*wake)(void) = __atomic_load_n(&feed_wake, __ATOMIC_ACQUIRE);
	if (wake != NULL)
		wake();   /* else worker 0 finds the bytes within its loop's tick */
	return SS_OK;
}

size_t repl_feed_queued(void)
{
	return __atomic_load_n(&queued, __ATOMIC_ACQUIRE);
}

uint64_t repl_feed_gen(void)
{
	return __atomic_load_n(&feed_gen, __ATOMIC_ACQUIRE);
}

size_t repl_feed_pop(char *dst, size_t cap, uint64_t *gen)
{
	size_t n;

	pthread_mutex_lock(&feed_lock);
	n = q_len < cap ? q_len : cap;
	if (n > 0)
		memcpy(dst, q + q_head, n);
	q_head += n;
	q_len -= n;
	if (q_len == 0)
		q_head = 0;
	__atomic_store_n(&queued, q_len, __ATOMIC_RELAXED);
	*gen = feed_gen;
	pthread_mutex_unlock(&feed_lock);
	return n;
}

void repl_feed_applied_set(uint64_t gen, uint64_t n)
{
	pthread_mutex_lock(&feed_lock);
	applied_gen = gen;
	applied = n;
	pthread_mutex_unlock(&feed_lock);
}

uint64_t repl_feed_applied(void)
{
	uint64_t n;

	pthread_mutex_lock(&feed_lock);
	n = applied_gen == feed_gen ? applied : 0;
	pthread_mutex_unlock(&feed_lock);
	return n;
}
