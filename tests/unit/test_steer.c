/* SPDX-License-Identifier: BSD-3-Clause */
/* Steering rings: every message arrives once and in order, under real
 * concurrency, through a full ring (back-pressure by delay, no drops), and
 * a sleeping consumer is woken through its fd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "dataplane/kop.h"
#include "dataplane/steer.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/status.h"
#include "storage/storage.h"

#define N_MSGS 50000

static int64_t next_exec;        /* on the owner: the sequence it expects */
static int64_t next_reply;       /* on the origin */
static int order_errors;
static volatile int owner_stop;

/* Owner side: each kop carries its sequence number in num. */
static void seq_fn(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now)
{
	(void)s;
	(void)now;
	if (op->num != next_exec)
		order_errors++;
	next_exec++;
	res->num = op->num * 2;
	res->val.p = op->key.p;   /* the copy back to the origin is checked too */
	res->val.len = op->key.len;
}

static void reply_fn(struct conn *c, const struct kop_result *res)
{
	char want[32];
	int n;

	(void)c;
	n = snprintf(want, sizeof(want), "key%lld", (long long)next_reply);
	if (res == NULL || res->num != next_reply * 2 || res->val.len != (size_t)n ||
	    memcmp(res->val.p, want, (size_t)n) != 0)
		order_errors++;
	next_reply++;
}

static int setup(void **state)
{
	(void)state;
	return mem_setup(2) || metric_setup(3) || storage_setup(2) || steer_setup(2);
}

static int teardown(void **state)
{
	(void)state;
	steer_teardown();
	storage_teardown();
	metric_teardown();
	mem_teardown();
	return 0;
}

static void send_seq(int64_t i)
{
	char key[32];
	struct kop op = { 0 };

	op.fn = seq_fn;
	op.key.len = (size_t)snprintf(key, sizeof(key), "key%lld", (long long)i);
	op.key.p = key;
	op.num = i;
	assert_int_equal(steer_send(0, 1, NULL, &op, reply_fn), SS_OK);
}

/* One thread, no draining while sending: far more than a ring holds waits
 * in the backlog, then everything arrives in order. */
static void test_full_ring_delays_never_drops(void **state)
{
	(void)state;
	uint64_t sent, depth;

	next_exec = next_reply = order_errors = 0;
	for (int64_t i = 0; i < 5000; i++)
		send_seq(i);
	steer_pair_stats(0, 1, &sent, &depth);
	assert_int_equal(depth, 1024);           /* the ring is full ... */
	assert_true(steer_idle_enter_local(0)); /* ... and the producer knows it has work */
	while (next_reply < 5000) {
		steer_drain_local(1);
		steer_drain_local(0);
	}
	assert_int_equal(next_exec, 5000);
	assert_int_equal(order_errors, 0);
	steer_pair_stats(0, 1, &sent, &depth);
	assert_int_equal(sent, 5000);
	assert_int_equal(depth, 0);
	assert_false(steer_idle_enter_local(0));
	assert_false(steer_idle_enter_local(1));
	steer_idle_exit_local(0);
	steer_idle_exit_local(1);
}

/* The owner thread sleeps in poll() on its fd whenever it has nothing. */
static void *owner(void *arg)
{
	struct pollfd p = { .fd = steer_notify_fd(1), .events = POLLIN };

	(void)arg;
	mem_thread_init(1);
	while (!owner_stop) {
		if (!steer_idle_enter_local(1))
			poll(&p, 1, 1000);
		steer_idle_exit_local(1);
		steer_notify_ack_local(1);
		steer_drain_local(1);
	}
	mem_thread_fini();
	return NULL;
}

/* What the rings hold, for a test that gives up waiting. */
static void dump_rings(void)
{
	for (unsigned a = 0; a < 2; a++)
		for (unsigned b = 0; b < 2; b++) {
			uint64_t sent, depth;
			steer_pair_stats(a, b, &sent, &depth);
			print_message("ring %u->%u: sent %llu, depth %llu\n", a, b,
				      (unsigned long long)sent, (unsigned long long)depth);
		}
	print_message("executed %lld, replies %lld, order errors %d\n", (long long)next_exec,
		      (long long)next_reply, order_errors);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_two_threads_in_order(void **state)
{
	(void)state;
	pthread_t t;
	int64_t i = 0, deadline = now_ms() + 60000;

	next_exec = next_reply = order_errors = 0;
	owner_stop = 0;
	mem_thread_init(0);
	pthread_create(&t, NULL, owner, NULL);
	while (next_reply < N_MSGS && now_ms() < deadline) {
		/* bursts of up to 3000 outstanding: the ring fills now and then */
		while (i < N_MSGS && i - next_reply < 3000)
			send_seq(i++);
		steer_drain_local(0);
	}
	owner_stop = 1;
	send_seq(i);                 /* wakes the owner to see the stop */
	pthread_join(t, NULL);
	if (next_reply != N_MSGS)
		dump_rings();
	assert_int_equal(order_errors, 0);
	assert_int_equal(next_reply, N_MSGS);
	mem_thread_fini();
}

/* The hook below plays worker 0 right after worker 1 moved a reply from
 * its backlog into the ring: it takes the reply (freeing the message) and
 * sends a new request, whose allocation reuses that memory. */
static int64_t hook_sent;

static void consume_at_once(unsigned from, unsigned to)
{
	assert_int_equal(from, 1);
	assert_int_equal(to, 0);
	steer_drain_local(0);
	send_seq(hook_sent++);
}

/* Regression: flush_backlog read a message's backlog link after pushing
 * it, when the consumer may already have freed it (and the allocator
 * handed the memory out again, link zeroed): the rest of the backlog was
 * lost and its connections waited forever. Seen as a rare hang of the
 * two-thread test; here the consumer runs at exactly that point. */
static void test_backlog_survives_consumer_freeing_at_once(void **state)
{
	(void)state;
	uint64_t sent, depth;

	next_exec = next_reply = order_errors = 0;
	for (int64_t i = 0; i < 1024; i++)
		send_seq(i);
	steer_drain_local(1);            /* 1024 replies: ring 1->0 is full */
	for (int64_t i = 1024; i < 2048; i++)
		send_seq(i);
	steer_drain_local(1);            /* 1024 more wait on worker 1's backlog */
	steer_pair_stats(1, 0, &sent, &depth);
	assert_int_equal(depth, 1024);
	assert_true(steer_idle_enter_local(1));
	steer_idle_exit_local(1);
	steer_drain_local(0);            /* the first 1024 replies, ring 1->0 empty */
	assert_int_equal(next_reply, 1024);
	hook_sent = 2048;
	steer_test_after_backlog_push(consume_at_once);
	steer_drain_local(1);            /* flushes the backlog; 0 consumes each at once */
	steer_test_after_backlog_push(NULL);
	assert_int_equal(next_reply, 2048);
	assert_int_equal(order_errors, 0);
	/* the requests the hook sent go through as well */
	for (int n = 0; n < 100 && next_reply < hook_sent; n++) {
		steer_drain_local(1);
		steer_drain_local(0);
	}
	assert_int_equal(next_reply, hook_sent);
	assert_int_equal(next_exec, hook_sent);
	assert_int_equal(order_errors, 0);
}

static void count_fn(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now)
{
	(void)s;
	(void)now;
	res->num = op->target;
}

static int64_t fanout_sum;

static void fanout_reply(struct conn *c, const struct kop_result *res)
{
	(void)c;
	fanout_sum += res ? res->num + 1 : -1000;
}

/* A kop with no key (a fan-out to a worker: FLUSHALL, CLIENT LIST) crosses
 * the ring too (regression: its NULL key was memcpy'd, which UBSan flags). */
static void test_fanout_without_key(void **state)
{
	(void)state;
	struct kop op = { 0 };

	op.fn = count_fn;
	op.target = 1;
	fanout_sum = 0;
	assert_int_equal(steer_send(0, 1, NULL, &op, fanout_reply), SS_OK);
	while (steer_drain_local(1) + steer_drain_local(0) > 0)
		;
	assert_int_equal(fanout_sum, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_ring_delays_never_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_threads_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_survives_consumer_freeing_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fanout_without_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
