/* SPDX-License-Identifier: BSD-3-Clause */
/* The metric table: per-core blocks, totals, the Prometheus rendering. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mgmt/metrics_http.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "storage/storage.h"

#define ROUNDS 100000

static void *writer(void *arg)
{
	metric_thread_init((unsigned)(uintptr_t)arg);
	for (int i = 0; i < ROUNDS; i++) {
		metric_add_local(METRIC_net_input_bytes, 3);
		metric_add_local(METRIC_connected_clients, 1);
		metric_add_local(METRIC_connected_clients, -1);
	}
	return NULL;
}

static void test_blocks_and_totals(void **state)
{
	pthread_t t[2];

	(void)state;
	assert_int_equal(metric_setup(3), 0);
	assert_int_equal(metric_cores(), 3);
	metric_thread_init(0);
	metric_add_local(METRIC_connections_received, 5);
	/* Two cores write their own blocks at the same time. */
	for (uintptr_t i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(i + 1)), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(metric_read(0, METRIC_connections_received), 5);
	assert_int_equal(metric_read(1, METRIC_net_input_bytes), 3 * ROUNDS);
	assert_int_equal(metric_read(2, METRIC_net_input_bytes), 3 * ROUNDS);
	assert_int_equal(metric_total(METRIC_net_input_bytes), 6 * ROUNDS);
	assert_int_equal(metric_total(METRIC_connected_clients), 0);
	/* A gauge can go below zero on one core and still sum right. */
	metric_add_local(METRIC_connected_clients, -1);
	metric_thread_init(1);
	metric_add_local(METRIC_connected_clients, 1);
	assert_int_equal(metric_total(METRIC_connected_clients), 0);
	assert_int_equal(metric_read(9, METRIC_net_input_bytes), 0);   /* no such core */
	metric_teardown();
}

/* Regression: per-core arrays came from calloc (16-byte aligned) while their
 * elements are declared 64-byte aligned; UBSan caught it in storage.c. */
static void test_cache_line_arrays(void **state)
{
	(void)state;
	for (size_t n = 1; n < 40; n += 7) {
		char *p = mem_calloc_lines(n, 128);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 64, 0);
		for (size_t i = 0; i < n * 128; i++)
			assert_int_equal(p[i], 0);
		free(p);
	}
	assert_null(mem_calloc_lines(2, 48));               /* not whole lines */
	assert_null(mem_calloc_lines(SIZE_MAX / 64, 128));  /* overflow */
}

static void test_names(void **state)
{
	(void)state;
	for (int m = 0; m < METRIC__COUNT; m++) {
		const char *n = metric_name((enum metric_id)m);
		size_t len = strlen(n);
		assert_true(strlen(metric_help((enum metric_id)m)) > 10);
		/* Prometheus: counters end in _total, gauges do not. */
		if (metric_type_of((enum metric_id)m) == METRIC_COUNTER)
			assert_string_equal(n + len - 6, "_total");
		else
			assert_true(len < 6 || strcmp(n + len - 6, "_total") != 0);
	}
	assert_true(metric_is_ns(METRIC_loop_busy_ns));
	assert_false(metric_is_ns(METRIC_net_input_bytes));
}

static void test_render(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	clock_setup();
	assert_int_equal(metric_setup(2), 0);
	assert_int_equal(storage_setup(1), 0);
	metric_thread_init(1);
	metric_add_local(METRIC_net_output_bytes, 42);
	metric_add_local(METRIC_loop_busy_ns, 1500000000);
	f = open_memstream(&text, &len);
	metrics_http_render(f);
	fclose(f);
	assert_non_null(strstr(text, "# TYPE slipstream_net_output_bytes_total counter\n"));
	assert_non_null(strstr(text, "slipstream_net_output_bytes_total{core=\"1\"} 42\n"));
	assert_non_null(strstr(text, "slipstream_net_output_bytes_total{core=\"0\"} 0\n"));
	assert_non_null(strstr(text, "slipstream_loop_busy_seconds_total{core=\"1\"} 1.500000000\n"));
	assert_non_null(strstr(text, "# TYPE slipstream_connected_clients gauge\n"));
	assert_non_null(strstr(text, "slipstream_keys{core=\"1\"} 0\n"));   /* shard not started */
	assert_non_null(strstr(text, "slipstream_used_memory_bytes 0\n"));
	/* Every line is a comment or "name{labels} value" / "name value". */
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
		assert_true(line[0] == '#' || strncmp(line, "slipstream_", 11) == 0);
	free(text);
	storage_teardown();
	metric_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_and_totals),
		cmocka_unit_test(test_cache_line_arrays),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
