/* SPDX-License-Identifier: BSD-3-Clause */
/* Latency histograms, per-command statistics across cores, the slow log
 * and the latency monitor (platform/hist, cmdstat, slowlog, latency_mon). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "platform/cmdstat.h"
#include "platform/fmt.h"
#include "platform/hist.h"
#include "platform/latency_mon.h"
#include "platform/opt.h"
#include "platform/slowlog.h"

/* Every value falls in a bucket whose bounds hold it, buckets are ordered,
 * and a bucket is at most 1/16 of its values wide. */
static void test_hist_buckets(void **state)
{
	(void)state;
	uint64_t prev_upper = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t up = hist_bucket_upper(i);
		if (i > 0)
			assert_true(up > prev_upper);
		assert_int_equal(hist_bucket(up), i);
		assert_int_equal(hist_bucket(prev_upper + (i > 0)), i);
		if (up >= 32)
			assert_true((up - prev_upper) * 16 <= up + 1);
		prev_upper = up;
	}
	for (uint64_t v = 0; v < 100000; v = v * 3 / 2 + 1) {
		unsigned b = hist_bucket(v);
		assert_true(v <= hist_bucket_upper(b));
		assert_true(b == 0 || v > hist_bucket_upper(b - 1));
	}
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
}

static void test_hist_quantiles(void **state)
{
	(void)state;
	struct hist *h = calloc(1, sizeof(*h)), *m = calloc(1, sizeof(*m));

	assert_int_equal(hist_quantile(h, 0.5), 0);
	/* 1..1000: p50 ~ 500, p99 ~ 990, within a bucket's 6.25% */
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record_local(h, v);
	assert_int_equal(h->count, 1000);
	assert_int_equal(h->max, 1000);
	uint64_t p50 = hist_quantile(h, 0.5), p99 = hist_quantile(h, 0.99);
	assert_true(p50 >= 500 && p50 <= 532);
	assert_true(p99 >= 990 && p99 <= 1000);
	assert_int_equal(hist_quantile(h, 1.0), 1000);
	hist_merge(m, h);
	hist_merge(m, h);
	assert_int_equal(m->count, 2000);
	assert_int_equal(hist_quantile(m, 0.5), p50);
	free(h);
	free(m);
}

struct worker_arg {
	unsigned core;
	int id_out;
};

static const char key_get[] = "get", key_set[] = "set";

static void *stat_worker(void *p)
{
	struct worker_arg *a = p;

	cmdstat_thread_init(a->core);
	for (int i = 0; i < 1000; i++) {
		a->id_out = cmdstat_id_local(key_get, "", "get");
		cmdstat_call_local(a->id_out, 1000, i % 10 == 0, 1);
		cmdstat_call_local(cmdstat_id_local(key_set, "memcached|", "set"), 2000, 0, 1);
	}
	cmdstat_reject_local(a->id_out);
	return NULL;
}

/* Two cores record the same commands: one id each, sums over cores. */
static void test_cmdstat_cores(void **state)
{
	(void)state;
	pthread_t t[2];
	struct worker_arg a[2] = { { 1, -1 }, { 2, -1 } };
	struct cmdstat_sum s;
	struct hist *h = malloc(sizeof(*h));

	assert_int_equal(cmdstat_setup(3), 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, stat_worker, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(a[0].id_out, a[1].id_out);
	assert_int_equal(cmdstat_count(), 2);
	cmdstat_read(a[0].id_out, &s);
	assert_string_equal(cmdstat_name(a[0].id_out), "get");
	/* The name is prefix + name, given once: a known key is found by
	 * itself (the request path passes its name every time). */
	cmdstat_thread_init(1);
	int set_id = cmdstat_id_local(key_set, "", "ignored");
	assert_string_equal(cmdstat_name(set_id), "memcached|set");
	assert_int_equal(cmdstat_id_local(key_set, "x|", "set"), set_id);
	assert_int_equal(cmdstat_count(), 2);
	assert_int_equal(s.calls, 2000);
	assert_int_equal(s.ns, 2000 * 1000);
	assert_int_equal(s.failed, 200);
	assert_int_equal(s.rejected, 2);
	cmdstat_hist(a[0].id_out, h);
	assert_int_equal(h->count, 2000);
	cmdstat_hist_core(a[0].id_out, 1, h);
	assert_int_equal(h->count, 1000);
	/* CONFIG RESETSTAT: readers start again from zero */
	cmdstat_reset();
	cmdstat_read(a[0].id_out, &s);
	assert_int_equal(s.calls, 0);
	cmdstat_hist(a[0].id_out, h);
	assert_int_equal(h->count, 0);
	cmdstat_thread_init(1);
	cmdstat_call_local(a[0].id_out, 5000, 0, 1);
	cmdstat_read(a[0].id_out, &s);
	assert_int_equal(s.calls, 1);
	cmdstat_hist(a[0].id_out, h);
	assert_int_equal(h->count, 1);
	free(h);
	cmdstat_teardown();
}

/* The process's address space in pages (/proc/self/statm: size). */
static long vm_pages(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &pages) != 1)
			pages = -1;
		fclose(f);
	}
	return pages;
}

static void test_slowlog(void **state)
{
	(void)state;
	char err[128];
	const char *argv[40];
	size_t len[40];
	struct slowlog_entry *e;
	char big[300];
	size_t n;

	assert_int_equal(opt_setup(), 0);
	assert_int_equal(opt_set(OPT_slowlog_max_len, "3", err, sizeof(err)), 0);
	assert_int_equal(opt_set(OPT_slowlog_log_slower_than, "100", err, sizeof(err)), 0);
	assert_false(slowlog_wanted(99));
	assert_true(slowlog_wanted(100));
	memset(big, 'a', sizeof(big));
	for (int i = 0; i < 40; i++) {
		argv[i] = i == 1 ? big : "x";
		len[i] = i == 1 ? sizeof(big) : 1;
	}
	for (unsigned i = 0; i < 5; i++)
		slowlog_add(argv, len, i == 4 ? 40 : 2, 100 + i, "1.2.3.4:5", "nm");
	assert_int_equal(slowlog_len(), 3);          /* max-len 3: oldest dropped */
	n = slowlog_get(-1, &e);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].id, 4);
	assert_int_equal(e[2].id, 2);
	assert_int_equal(e[0].duration_us, 104);
	assert_int_equal(e[0].argc, 32);
	assert_string_equal(e[0].argv[31], "... (9 more arguments)");
	assert_int_equal(e[0].arglen[1], 128 + strlen("... (172 more bytes)"));
	assert_memory_equal(e[0].argv[1] + 128, "... (172 more bytes)", 20);
	assert_string_equal(e[0].peer, "1.2.3.4:5");
	slowlog_free(e, n);
	/* a shorter max-len takes effect at the next entry */
	assert_int_equal(opt_set(OPT_slowlog_max_len, "1", err, sizeof(err)), 0);
	slowlog_add(argv, len, 1, 200, "", "");
	assert_int_equal(slowlog_len(), 1);
	n = slowlog_get(10, &e);
	assert_int_equal(e[0].id, 5);
	slowlog_free(e, n);
	slowlog_reset();
	assert_int_equal(slowlog_len(), 0);
	/* A huge slowlog-max-len costs nothing until entries exist (regression:
	 * the first entry allocated the whole ring, ~670 MB for a million). */
	long vm_before = vm_pages();
	assert_int_equal(opt_set(OPT_slowlog_max_len, "1000000", err, sizeof(err)), 0);
	slowlog_add(argv, len, 2, 300, "", "");
	assert_int_equal(slowlog_len(), 1);
	/* address space, not RSS: untouched calloc'd pages are never resident */
	assert_true((vm_pages() - vm_before) * sysconf(_SC_PAGESIZE) < 64L << 20);
	slowlog_reset();
	opt_teardown();
}

static void test_latency_monitor(void **state)
{
	(void)state;
	char err[128];
	struct latency_event ev[LATENCY_EVENTS_MAX];
	const char *names[] = { "COMMAND" };

	assert_int_equal(opt_setup(), 0);
	latency_mon_add("command", 500);               /* threshold 0: off */
	assert_int_equal(latency_mon_snapshot(ev, LATENCY_EVENTS_MAX), 0);
	assert_int_equal(opt_set(OPT_latency_monitor_threshold, "10", err, sizeof(err)), 0);
	latency_mon_add("command", 9);
	latency_mon_add("command", 12);
	latency_mon_add("command", 30);                /* same second: one sample, the max */
	latency_mon_add("fast-command", 11);
	assert_int_equal(latency_mon_snapshot(ev, LATENCY_EVENTS_MAX), 2);
	assert_string_equal(ev[0].name, "command");
	assert_true(ev[0].n >= 1 && ev[0].n <= 2);
	assert_int_equal(ev[0].max_ms, 30);
	assert_int_equal(ev[0].s[ev[0].n - 1].ms, 30);
	assert_int_equal(latency_mon_reset(names, 1), 1);   /* names ignore case */
	assert_int_equal(latency_mon_snapshot(ev, LATENCY_EVENTS_MAX), 1);
	assert_int_equal(latency_mon_reset(NULL, 0), 1);
	opt_teardown();
}

/* Hand-rolled integer formatting agrees with printf at the edges. */
static void test_fmt(void **state)
{
	(void)state;
	const int64_t iv[] = { 0, 1, -1, 9, 10, -10, 99, 100, 123456789, INT64_MAX, INT64_MIN };
	char got[32], want[32];

	for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
		size_t n = fmt_i64(got, iv[i]);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%lld", (long long)iv[i]);
		assert_string_equal(got, want);
	}
	for (uint64_t v = 1; v != 0 && v < UINT64_MAX / 7; v = v * 7 + 3) {
		size_t n = fmt_u64(got, v);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_string_equal(got, want);
	}
	size_t n = fmt_u64(got, UINT64_MAX);
	got[n] = '\0';
	assert_string_equal(got, "18446744073709551615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_cmdstat_cores),
		cmocka_unit_test(test_slowlog),
		cmocka_unit_test(test_latency_monitor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
