/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP string and key commands through the whole engine with two shards
 * (one thread: steering is pumped in line), every script fed at every
 * fragment size. What this covers that the owner-side tests do not: kops
 * that go to the other worker and back (results copied by steering), the
 * plans that span owners (MSETNX, RENAME, KEYS, SCAN, RANDOMKEY), and the
 * re-planning of a command after each remote kop. Expected bytes are Redis
 * 7.0's (cross-checked by tests/integration/test_resp_keyspace_diff.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/conn.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/opt.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/storage.h"

/* '@' owned by worker 0 (the connection's), '~' by worker 1; '@' < '~'
 * as bytes, so MSETNX claims '@' first. */
static char local_key[16], remote_key[16];

static void kick(struct conn *c, void *io)
{
	(void)c;
	(void)io;
}

static void find_keys(void)
{
	for (int i = 0; local_key[0] == '\0' || remote_key[0] == '\0'; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%02d", i);
		unsigned w = slot_owner_of_key(k, strlen(k));
		if (w == 0 && local_key[0] == '\0')
			strcpy(local_key, k);
		else if (w == 1 && remote_key[0] == '\0' && local_key[0] != '\0')
			strcpy(remote_key, k);
	}
}

static int setup(void **state)
{
	(void)state;
	clock_setup();
	if (opt_setup() || mem_setup(1) || mem_thread_init(0) || storage_setup(2) ||
	    steer_setup(2) || storage_start_local(0) || storage_start_local(1))
		return -1;
	find_keys();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	storage_stop_local(0);
	storage_stop_local(1);
	steer_teardown();
	storage_teardown();
	mem_thread_fini();
	mem_teardown();
	opt_teardown();
	return 0;
}

static void pump(void)
{
	while (steer_drain_local(1) + steer_drain_local(0) > 0)
		;
}

static char *subst(const char *s)
{
	char *out = malloc(strlen(s) * 16 + 1), *o = out;

	for (; *s; s++) {
		const char *k = *s == '@' ? local_key : *s == '~' ? remote_key : NULL;
		if (k != NULL) {
			strcpy(o, k);
			o += strlen(k);
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static char *run(const char *in, size_t len, size_t chunk)
{
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	struct buf acc;
	char *res;

	buf_init(&acc);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		buf_append(conn_in(c), in + off, n);
		conn_process_local(c);
		pump();
		conn_process_local(c);
		buf_append(&acc, buf_rptr(conn_out(c)), buf_len(conn_out(c)));
		buf_consume(conn_out(c), buf_len(conn_out(c)));
	}
	conn_release(c);
	buf_append(&acc, "", 1);
	res = strdup(acc.data);
	buf_fini(&acc);
	return res;
}

static void flush_all(void)
{
	shard_flush_local(storage_shard(0), 0, 1);
	shard_flush_local(storage_shard(1), 0, 1);
}

/* '#' in want stands for one or more digits. */
static bool matches(const char *got, const char *want)
{
	for (; *want; want++) {
		if (*want == '#') {
			if (*got < '0' || *got > '9')
				return false;
			while (*got >= '0' && *got <= '9')
				got++;
		} else if (*got++ != *want) {
			return false;
		}
	}
	return *got == '\0';
}

static void check(const char *in_tpl, const char *want_tpl)
{
	char *in = subst(in_tpl), *want = subst(want_tpl);
	size_t len = strlen(in);

	for (size_t chunk = 1; chunk <= len; chunk++) {
		char *got;
		flush_all();
		got = run(in, len, chunk);
		if (!matches(got, want))
			fail_msg("chunk %zu:\n in: %s\n got: %s\n want: %s", chunk, in, got, want);
		free(got);
	}
	flush_all();
	free(in);
	free(want);
}

static void test_remote_values(void **state)
{
	(void)state;
	check("SET ~ a\r\nSET ~ b GET\r\nSET ~ c NX GET\r\nAPPEND ~ xy\r\nGETRANGE ~ 1 -1\r\n"
	      "GETDEL ~\r\nINCRBYFLOAT ~ 1.5\r\nGETEX ~ EX 0\r\nGETEX ~ PX 100000\r\n"
	      "PTTL ~\r\nSETRANGE ~ 5 z\r\nSTRLEN ~\r\nINCR ~\r\n",
	      "+OK\r\n$1\r\na\r\n$1\r\nb\r\n:3\r\n$2\r\nxy\r\n"
	      "$3\r\nbxy\r\n$3\r\n1.5\r\n-ERR invalid expire time in 'getex' command\r\n"
	      "$3\r\n1.5\r\n:#\r\n:6\r\n:6\r\n"
	      "-ERR value is not an integer or out of range\r\n");
}

static void test_multi_key(void **state)
{
	(void)state;
	check("MSET @ 1 ~ 2\r\nMGET ~ nokey @\r\nEXISTS @ ~ @\r\nTOUCH ~ @\r\n"
	      "MGET @ ~ @ nokey ~\r\nDEL @ ~ @\r\nMGET @ ~\r\n",
	      "+OK\r\n*3\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n:3\r\n:2\r\n"
	      "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"
	      ":2\r\n*2\r\n$-1\r\n$-1\r\n");
}

static void test_msetnx_across(void **state)
{
	(void)state;
	/* All new: both stored. The same again: '@' exists, nothing changes. */
	check("MSETNX ~ 1 @ 2\r\nMSETNX ~ x @ y\r\nMGET @ ~\r\n",
	      ":1\r\n:0\r\n*2\r\n$1\r\n2\r\n$1\r\n1\r\n");
	/* '~' exists: '@' is claimed first (smaller), then undone. */
	check("SET ~ old\r\nMSETNX @ new ~ new\r\nMGET @ ~\r\n",
	      "+OK\r\n:0\r\n*2\r\n$-1\r\n$3\r\nold\r\n");
	/* A key given twice keeps its last value. */
	check("MSETNX @ 1 ~ 2 @ 3\r\nMGET @ ~\r\n", ":1\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
	check("MSETNX @ 1 ~\r\n", "-ERR wrong number of arguments for 'msetnx' command\r\n");
}

/* A client that leaves while MSETNX or RENAME is half done across owners:
 * the command still finishes, so nothing stays half done. */
static void test_release_mid_command(void **state)
{
	char *in;
	struct conn *c;

	(void)state;
	flush_all();
	assert_int_equal(shard_set_local(storage_shard(1), remote_key, strlen(remote_key),
					 "old", 3, 0, 0), 0);
	/* '@' (here) is claimed, then the claim of '~' goes away: let go. */
	in = subst("MSETNX @ new ~ new\r\n");
	c = conn_create(PROTO_RESP, 0, kick, NULL);
	buf_append(conn_in(c), in, strlen(in));
	conn_process_local(c);
	assert_non_null(shard_peek_local(storage_shard(0), local_key, strlen(local_key),
					 clock_unix_ms()));
	conn_release(c);
	pump();   /* '~' exists: '@' is undone, then the connection is freed */
	assert_null(shard_peek_local(storage_shard(0), local_key, strlen(local_key),
				     clock_unix_ms()));
	free(in);
	/* RENAME @ ~: the read of '@' is local, the write of '~' goes away. */
	assert_int_equal(shard_set_local(storage_shard(0), local_key, strlen(local_key),
					 "v", 1, 0, 0), 0);
	in = subst("RENAME @ ~\r\n");
	c = conn_create(PROTO_RESP, 0, kick, NULL);
	buf_append(conn_in(c), in, strlen(in));
	conn_process_local(c);
	conn_release(c);
	pump();
	assert_null(shard_peek_local(storage_shard(0), local_key, strlen(local_key),
				     clock_unix_ms()));
	assert_non_null(shard_peek_local(storage_shard(1), remote_key, strlen(remote_key),
					 clock_unix_ms()));
	free(in);
	flush_all();
}

static void test_rename_across(void **state)
{
	(void)state;
	check("SET @ v PX 100000\r\nRENAME @ ~\r\nMGET @ ~\r\nPTTL ~\r\nRENAME @ ~\r\n"
	      "SET @ w\r\nRENAMENX ~ @\r\nRENAMENX ~ nokey2\r\nRENAME ~ ~\r\nRENAMENX ~ ~\r\n",
	      "+OK\r\n+OK\r\n*2\r\n$-1\r\n$1\r\nv\r\n:#\r\n-ERR no such key\r\n"
	      "+OK\r\n:0\r\n:1\r\n-ERR no such key\r\n-ERR no such key\r\n");
}

static void test_keys_scan_randomkey(void **state)
{
	(void)state;
	check("RANDOMKEY\r\nSET ~ 1\r\nRANDOMKEY\r\nRANDOMKEY\r\nKEYS *\r\nSET @ 2\r\n"
	      "KEYS *\r\nKEYS k*\r\nKEYS nomatch\r\n",
	      "$-1\r\n+OK\r\n$3\r\n~\r\n$3\r\n~\r\n*1\r\n$3\r\n~\r\n+OK\r\n"
	      "*2\r\n$3\r\n@\r\n$3\r\n~\r\n*2\r\n$3\r\n@\r\n$3\r\n~\r\n*0\r\n");
	/* The cursor walks worker 0's shard, then worker 1's, then ends. */
	check("MSET @ 1 ~ 2\r\nSCAN 0 COUNT 100000\r\nSCAN 1 COUNT 100000\r\n"
	      "SCAN 1 COUNT 100000 MATCH nomatch\r\nSCAN 1 COUNT 100000 TYPE list\r\n"
	      "SCAN 9\r\nSCAN x\r\nSCAN 0 COUNT 0\r\n",
	      "+OK\r\n*2\r\n$1\r\n1\r\n*1\r\n$3\r\n@\r\n*2\r\n$1\r\n0\r\n*1\r\n$3\r\n~\r\n"
	      "*2\r\n$1\r\n0\r\n*0\r\n*2\r\n$1\r\n0\r\n*0\r\n*2\r\n$1\r\n0\r\n*0\r\n"
	      "-ERR invalid cursor\r\n-ERR syntax error\r\n");
}

static void test_expire_across(void **state)
{
	(void)state;
	check("SET ~ v\r\nEXPIRE ~ 100 GT\r\nEXPIRE ~ 100 LT\r\nTTL ~\r\nPERSIST ~\r\n"
	      "TTL ~\r\nEXPIREAT ~ 4102444800\r\nEXPIRETIME ~\r\nEXPIRE ~ -1\r\nTYPE ~\r\n"
	      "EXPIRE ~ 1 FOO\r\n",
	      "+OK\r\n:0\r\n:1\r\n:100\r\n:1\r\n:-1\r\n:1\r\n:4102444800\r\n:1\r\n+none\r\n"
	      "-ERR Unsupported option FOO\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_values),
		cmocka_unit_test(test_multi_key),
		cmocka_unit_test(test_msetnx_across),
		cmocka_unit_test(test_rename_across),
		cmocka_unit_test(test_release_mid_command),
		cmocka_unit_test(test_keys_scan_randomkey),
		cmocka_unit_test(test_expire_across),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
