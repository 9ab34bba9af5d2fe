/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replication's write stream on the worker side: every change of a shard
 * (set, expiry change, delete, lazy and active expiry, eviction, flush)
 * comes out as the Redis command that redoes it, in order; nothing before
 * the worker joins; a generation cut between chunks; the bound on what
 * waits (dropped and reported, never blocking).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/repl_log.h"
#include "storage/shard.h"

#define KEY(s) (s), strlen(s)

static struct shard *s;

static int setup(void **state)
{
	(void)state;
	if (clock_setup() != 0 || mem_setup(1) != 0 || mem_thread_init(0) != 0 ||
	    repl_log_setup(1) != 0)
		return -1;
	s = shard_create(0);
	return s == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	shard_destroy(s);
	repl_log_teardown();
	mem_thread_fini();
	mem_teardown();
	return 0;
}

/* Everything worker 0 handed over, as one string; *gens the generations
 * of its chunks in order (up to 8). */
static char *take_all(uint64_t *gens, unsigned *ngen, bool *lost)
{
	struct repl_chunk *c;
	size_t n = 0;
	char *out = malloc(1);

	repl_log_step_local(0, s);
	c = repl_log_take(0, lost);
	if (ngen != NULL)
		*ngen = 0;
	for (struct repl_chunk *x = c; x != NULL; x = x->next) {
		out = realloc(out, n + x->len + 1);
		memcpy(out + n, x->data, x->len);
		n += x->len;
		if (gens != NULL && *ngen < 8)
			gens[(*ngen)++] = x->gen;
	}
	out[n] = '\0';
	repl_chunk_free(c);
	return out;
}

static void check(const char *want)
{
	bool lost;
	char *got = take_all(NULL, NULL, &lost);

	assert_false(lost);
	assert_string_equal(got, want);
	free(got);
}

static void test_changes_as_commands(void **state)
{
	int64_t now = clock_unix_ms();
	char ms[32], want[512];

	(void)state;
	/* before logging starts: nothing */
	assert_int_equal(shard_set_local(s, KEY("early"), KEY("x"), 0, 0), 0);
	repl_log_step_local(0, s);
	check("");

	uint64_t g = repl_log_start();
	assert_false(repl_log_joined(0, g));
	repl_log_step_local(0, s);
	assert_true(repl_log_joined(0, g));

	assert_int_equal(shard_set_local(s, KEY("a"), KEY("hello"), 7, 0), 0);
	assert_int_equal(shard_set_local(s, KEY("a"), KEY("bye"), 0, 0), 0);   /* overwrite */
	assert_int_equal(shard_set_local(s, KEY("t"), KEY("v"), 0, now + 100000), 0);
	assert_int_equal(shard_touch_local(s, KEY("a"), now + 5000, now), 1);  /* gains one */
	assert_int_equal(shard_touch_local(s, KEY("t"), now + 7000, now), 1);  /* in place */
	assert_int_equal(shard_touch_local(s, KEY("t"), 0, now), 1);
	assert_int_equal(shard_del_local(s, KEY("a"), now), 1);
	assert_int_equal(shard_del_local(s, KEY("nope"), now), 0);             /* no change */
	snprintf(ms, sizeof(ms), "%lld", (long long)(now + 100000));
	snprintf(want, sizeof(want),
		 "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n"
		 "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$3\r\nbye\r\n"
		 "*5\r\n$3\r\nSET\r\n$1\r\nt\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$%zu\r\n%s\r\n"
		 "*3\r\n$9\r\nPEXPIREAT\r\n$1\r\na\r\n$13\r\n%lld\r\n"
		 "*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nt\r\n$13\r\n%lld\r\n"
		 "*2\r\n$7\r\nPERSIST\r\n$1\r\nt\r\n"
		 "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n",
		 strlen(ms), ms, (long long)(now + 5000), (long long)(now + 7000));
	check(want);

	/* lazy expiry on access, then the active walk: both as DEL */
	assert_int_equal(shard_set_local(s, KEY("x1"), KEY("1"), 0, now + 1), 0);
	assert_int_equal(shard_set_local(s, KEY("x2"), KEY("2"), 0, now + 1), 0);
	free(take_all(NULL, NULL, &(bool){ false }));
	assert_null(shard_get_local(s, KEY("x1"), now + 10));
	check("*2\r\n$3\r\nDEL\r\n$2\r\nx1\r\n");
	for (int i = 0; i < 100 && shard_count(s) > 2; i++)
		shard_expire_step_local(s, now + 10, 1000);
	check("*2\r\n$3\r\nDEL\r\n$2\r\nx2\r\n");

	/* a flush: each key it drops */
	shard_flush_local(s, 0, now);
	{
		bool lost;
		char *got = take_all(NULL, NULL, &lost);
		assert_non_null(strstr(got, "*2\r\n$3\r\nDEL\r\n$5\r\nearly\r\n"));
		assert_non_null(strstr(got, "*2\r\n$3\r\nDEL\r\n$1\r\nt\r\n"));
		assert_int_equal(strlen(got), 2 * strlen("*2\r\n$3\r\nDEL\r\n$1\r\nt\r\n") + 4);
		free(got);
	}

	/* stopped: nothing more */
	repl_log_stop();
	repl_log_step_local(0, s);
	assert_int_equal(shard_set_local(s, KEY("late"), KEY("x"), 0, 0), 0);
	check("");
	shard_flush_local(s, 0, now);
}

/* Evictions are DELs too. */
static void test_eviction_logged(void **state)
{
	struct shard_limits l = { .maxmemory = 64 * 1024, .policy = SHARD_ALLKEYS_RANDOM,
				  .samples = 5, .lfu_log_factor = 10, .lfu_decay_time = 1 };
	char k[32], v[200];
	bool lost;

	(void)state;
	repl_log_start();
	repl_log_step_local(0, s);
	shard_set_limits_local(s, &l);
	memset(v, 'v', sizeof(v));
	for (int i = 0; i < 2000; i++) {
		snprintf(k, sizeof(k), "e%d", i);
		assert_int_equal(shard_set_local(s, KEY(k), v, sizeof(v), 0, 0), 0);
	}
	char *got = take_all(NULL, NULL, &lost);
	unsigned sets = 0, dels = 0;
	for (const char *p = got; (p = strstr(p, "\r\n$3\r\n")) != NULL; p += 6) {
		sets += strncmp(p + 6, "SET", 3) == 0;
		dels += strncmp(p + 6, "DEL", 3) == 0;
	}
	assert_int_equal(sets, 2000);
	assert_int_equal(dels, 2000 - shard_count(s));
	assert_true(dels > 0);
	free(got);
	l.maxmemory = 0;
	shard_set_limits_local(s, &l);
	shard_flush_local(s, 0, clock_unix_ms());
	repl_log_stop();
	repl_log_step_local(0, s);
	free(take_all(NULL, NULL, &lost));
}

/* A new generation is a cut between chunks; what waits is bounded. */
static void test_generations_and_bound(void **state)
{
	uint64_t gens[8];
	unsigned ng;
	bool lost;
	static char big[1 << 20];

	(void)state;
	uint64_t g1 = repl_log_start();
	repl_log_step_local(0, s);
	assert_int_equal(shard_set_local(s, KEY("g"), KEY("1"), 0, 0), 0);
	uint64_t g2 = repl_log_start();
	repl_log_step_local(0, s);   /* joins g2: the chunk of g1 goes first */
	assert_int_equal(shard_set_local(s, KEY("g"), KEY("2"), 0, 0), 0);
	char *got = take_all(gens, &ng, &lost);
	assert_int_equal(ng, 2);
	assert_true(gens[0] == g1 && gens[1] == g2);
	free(got);

	/* nobody takes: past REPL_LOG_MAX_BYTES the log is dropped, not grown */
	memset(big, 'b', sizeof(big));
	for (unsigned i = 0; i < REPL_LOG_MAX_BYTES / sizeof(big) + 4; i++) {
		assert_int_equal(shard_set_local(s, KEY("big"), big, sizeof(big), 0, 0), 0);
		repl_log_step_local(0, s);
	}
	got = take_all(NULL, NULL, &lost);
	assert_true(lost);
	assert_true(strlen(got) <= REPL_LOG_MAX_BYTES);
	free(got);
	/* and goes on afresh */
	assert_int_equal(shard_set_local(s, KEY("g"), KEY("3"), 0, 0), 0);
	check("*3\r\n$3\r\nSET\r\n$1\r\ng\r\n$1\r\n3\r\n");
	repl_log_stop();
	repl_log_step_local(0, s);
	shard_flush_local(s, 0, clock_unix_ms());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_as_commands),
		cmocka_unit_test(test_eviction_logged),
		cmocka_unit_test(test_generations_and_bound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
