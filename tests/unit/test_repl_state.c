/* SPDX-License-Identifier: BSD-3-Clause */
/* What the replica's link and the workers share (storage/repl.c): the
 * target and its generation, promotion's replid shift, the read-only
 * switch, and the feed (order, generations, applied counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "platform/opt.h"
#include "platform/status.h"
#include "storage/repl.h"

static int wakes;

static void count_wake(void)
{
	wakes++;
}

static void test_target(void **state)
{
	struct repl_status s;
	char err[128], first[REPL_ID_LEN + 1];
	uint64_t g0;

	(void)state;
	repl_state_setup();
	repl_status_get(&s);
	assert_false(s.replica);
	assert_int_equal(strlen(s.replid), REPL_ID_LEN);
	assert_string_equal(s.replid2, "0000000000000000000000000000000000000000");
	assert_int_equal(s.second_offset, -1);
	memcpy(first, s.replid, sizeof(first));
	assert_false(repl_read_only());
	g0 = repl_target_gen();

	/* NO ONE on a primary: nothing moves */
	assert_int_equal(repl_target_set(NULL, 0), 0);
	assert_int_equal(repl_target_gen(), g0);

	assert_int_equal(repl_target_set("127.0.0.1", 6380), 0);
	assert_int_equal(repl_target_gen(), g0 + 1);
	assert_true(repl_read_only());
	assert_int_equal(opt_set(OPT_replica_read_only, "no", err, sizeof(err)), SS_OK);
	assert_false(repl_read_only());
	assert_int_equal(opt_set(OPT_replica_read_only, "yes", err, sizeof(err)), SS_OK);
	/* the same primary (host case aside): already connected */
	assert_int_equal(repl_target_set("127.0.0.1", 6380), 1);
	assert_int_equal(repl_target_gen(), g0 + 1);
	assert_int_equal(repl_target_set("127.0.0.1", 6381), 0);
	assert_int_equal(repl_target_gen(), g0 + 2);
	repl_status_get(&s);
	assert_true(s.replica);
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.port, 6381);
	assert_int_equal(s.link, REPL_LINK_CONNECT);

	/* the link reports a sync */
	s.link = REPL_LINK_CONNECTED;
	memcpy(s.replid, "0123456789abcdef0123456789abcdef01234567", REPL_ID_LEN + 1);
	s.offset = 1000;
	s.read_offset = 1010;
	s.synced = true;
	s.port = 9;   /* the target is REPLICAOF's: not taken from the link */
	repl_status_put(&s);
	repl_status_get(&s);
	assert_int_equal(s.port, 6381);
	assert_int_equal(s.link, REPL_LINK_CONNECTED);
	assert_int_equal(s.offset, 1000);

	/* promotion: the primary's history stays under replid2 */
	assert_int_equal(repl_target_set(NULL, 0), 0);
	assert_int_equal(repl_target_gen(), g0 + 3);
	assert_false(repl_read_only());
	repl_status_get(&s);
	assert_false(s.replica);
	assert_int_equal(s.link, REPL_LINK_NONE);
	assert_string_equal(s.replid2, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(s.second_offset, 1001);
	assert_int_equal(s.offset, 1000);
	assert_string_not_equal(s.replid, s.replid2);
	assert_string_not_equal(s.replid, first);
	/* a primary ignores what a late link step reports */
	s.offset = 5;
	repl_status_put(&s);
	repl_status_get(&s);
	assert_int_equal(s.offset, 1000);
}

static void test_feed(void **state)
{
	char out[64 * 1024];
	uint64_t gen, g;
	size_t n, total = 0;

	(void)state;
	repl_feed_reset();
	gen = repl_feed_gen();
	assert_int_equal(repl_feed_queued(), 0);
	repl_feed_set_wake(count_wake);
	wakes = 0;
	/* bytes come out in order across pops of any size, and across growth */
	for (int i = 0; i < 1000; i++) {
		char b[40];
		int l = snprintf(b, sizeof(b), "<%d>", i);
		assert_int_equal(repl_feed_push(b, (size_t)l), SS_OK);
		total += (size_t)l;
	}
	assert_int_equal(wakes, 1000);
	assert_int_equal(repl_feed_queued(), total);
	n = repl_feed_pop(out, 7, &g);
	assert_int_equal(n, 7);
	assert_int_equal(g, gen);
	assert_memory_equal(out, "<0><1><", 7);
	n += repl_feed_pop(out + 7, sizeof(out) - 7, &g);
	assert_int_equal(n, total);
	assert_int_equal(repl_feed_queued(), 0);
	assert_memory_equal(out + n - 5, "<999>", 5);
	assert_int_equal(repl_feed_pop(out, sizeof(out), &g), 0);

	/* applied counts belong to their generation */
	repl_feed_applied_set(gen, 123);
	assert_int_equal(repl_feed_applied(), 123);
	assert_int_equal(repl_feed_push("x", 1), SS_OK);
	repl_feed_reset();
	assert_int_equal(repl_feed_gen(), gen + 1);
	assert_int_equal(repl_feed_queued(), 0);   /* dropped */
	assert_int_equal(repl_feed_applied(), 0);  /* the old one's count is not this one's */
	repl_feed_applied_set(gen, 500);           /* a late report of the old one */
	assert_int_equal(repl_feed_applied(), 0);
	repl_feed_applied_set(gen + 1, 7);
	assert_int_equal(repl_feed_applied(), 7);
	repl_feed_set_wake(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_feed),
	};

	if (opt_setup() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
