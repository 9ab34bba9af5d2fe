/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine end to end in one thread: a connection on worker 0, keys owned
 * by worker 0 and worker 1, mailboxes pumped by hand. Every script is fed
 * split at every fragment size and must give the same bytes out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

static char local_key[16], remote_key[16];   /* owned by worker 0 / worker 1 */
static unsigned kicks;

static void kick(struct conn *c, void *io)
{
	(void)c;
	(void)io;
	kicks++;
}

static void find_keys(void)
{
	int have_local = 0, have_remote = 0;

	for (int i = 0; !(have_local && have_remote); i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%02d", i);   /* three bytes: fixed bulk lengths */
		if (slot_owner_of_key(k, strlen(k)) == 0 && !have_local) {
			strcpy(local_key, k);
			have_local = 1;
		} else if (slot_owner_of_key(k, strlen(k)) == 1 && !have_remote) {
			strcpy(remote_key, k);
			have_remote = 1;
		}
	}
}

static int setup(void **state)
{
	(void)state;
	clock_setup();
	if (mem_setup(1) || mem_thread_init(0) || storage_setup(2) || steer_setup(2) ||
	    storage_start_local(0) || storage_start_local(1))
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
	return 0;
}

static void pump(void)
{
	while (steer_drain_local(1) + steer_drain_local(0) > 0)
		;
}

/* Replace every '@' with the local key and '~' with the remote key. */
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

/* Feed `in` chunk bytes at a time; returns everything written out. */
static char *run(enum proto p, const char *in, size_t len, size_t chunk, bool *closed)
{
	struct conn *c = conn_create(p, 0, kick, NULL);
	struct buf acc;
	char *res;

	buf_init(&acc);
	for (size_t off = 0; off < len || off == 0; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		buf_append(conn_in(c), in + off, n);
		conn_process_local(c);
		pump();
		buf_append(&acc, buf_rptr(conn_out(c)), buf_len(conn_out(c)));
		buf_consume(conn_out(c), buf_len(conn_out(c)));
		if (conn_wants_close(c))
			break;
		if (len == 0)
			break;
	}
	*closed = conn_wants_close(c);
	conn_release(c);
	buf_append(&acc, "", 1);
	res = strdup(acc.data);
	buf_fini(&acc);
	return res;
}

static void clear_keys(void)
{
	bool ignored;
	char *in = subst("DEL @ ~\r\n");
	free(run(PROTO_RESP, in, strlen(in), strlen(in), &ignored));
	free(in);
}

static void check_script(enum proto p, const char *in_tpl, const char *want_tpl, bool want_closed)
{
	char *in = subst(in_tpl), *want = subst(want_tpl);
	size_t len = strlen(in);

	for (size_t chunk = 1; chunk <= len; chunk++) {
		bool closed;
		char *got = run(p, in, len, chunk, &closed);
		if (strcmp(got, want) != 0 || closed != want_closed)
			fail_msg("chunk %zu:\n in: %s\n got: %s\n want: %s\n closed %d want %d",
				 chunk, in, got, want, closed, want_closed);
		free(got);
		clear_keys();   /* each run starts from an empty keyspace */
	}
	free(in);
	free(want);
}

static void test_mc_local_and_remote(void **state)
{
	(void)state;
	clear_keys();
	/* Each run starts from an empty keyspace and ends with it empty. */
	check_script(PROTO_MEMCACHE,
		"set @ 5 0 3\r\nabc\r\n"
		"set ~ 7 0 2 noreply\r\nhi\r\n"
		"get @ ~ nokey\r\n"
		"get ~\r\n"
		"delete ~\r\ndelete ~\r\n"
		"delete @ noreply\r\n"
		"get @ ~\r\n",
		"STORED\r\n"
		"VALUE @ 5 3\r\nabc\r\nVALUE ~ 7 2\r\nhi\r\nEND\r\n"
		"VALUE ~ 7 2\r\nhi\r\nEND\r\n"
		"DELETED\r\nNOT_FOUND\r\n"
		"END\r\n", false);
}

static void test_mc_errors_keep_connection(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"bogus\r\n"
		"set ~ 0 0 notanumber\r\n"
		"set ~ 0 0 1\r\nab\r\n"
		"version\r\n"
		"set ~ 0 0 1\r\nz\r\nget ~\r\ndelete ~\r\n",
		"ERROR\r\n"
		"CLIENT_ERROR bad command line format\r\n"
		"CLIENT_ERROR bad data chunk\r\n"
		"ERROR\r\n"
		"VERSION " SS_VERSION "\r\n"
		"STORED\r\nVALUE ~ 0 1\r\nz\r\nEND\r\nDELETED\r\n", false);
}

static void test_mc_negative_exptime_and_quit(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"set ~ 0 0 1\r\nv\r\nset ~ 0 -1 1\r\nw\r\nget ~\r\nquit\r\nget ~\r\n",
		"STORED\r\nSTORED\r\nEND\r\n", true);
}

static void test_mc_noreply_mutes_errors(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"set @ 0 0 1\r\na\r\n"
		"set ~ 0 0 x noreply\r\n"
		"touch ~ x noreply\r\n"
		"set ~ 0 0 x\r\n"
		"version\r\n",
		"STORED\r\n"
		"CLIENT_ERROR bad command line format\r\n"
		"VERSION " SS_VERSION "\r\n", false);
}

/* A set over the item limit: SERVER_ERROR, the value is swallowed as it
 * arrives, and the old value is unlinked (on whichever worker owns it). */
static void test_mc_too_large_unlinks(void **state)
{
	static const size_t chunks[] = { 1, 3, 1000, 65536, 0 };
	const size_t big = 1024 * 1024 + 1;
	struct buf in;
	char *tpl, *script, *want = subst("STORED\r\nSTORED\r\n"
		"SERVER_ERROR object too large for cache\r\nEND\r\nSTORED\r\nVALUE ~ 0 1\r\nc\r\nEND\r\n");

	(void)state;
	buf_init(&in);
	buf_appendf(&in, "set @ 0 0 1\r\na\r\nset ~ 0 0 1\r\nb\r\nset ~ 0 0 %zu\r\n", big);
	buf_reserve(&in, big);
	memset(buf_wptr(&in), 'v', big);
	in.wpos += big;
	buf_appendf(&in, "\r\nset @ 0 0 %zu noreply\r\n", big);
	buf_reserve(&in, big);
	memset(buf_wptr(&in), 'v', big);
	in.wpos += big;
	buf_appendf(&in, "\r\nget @ ~\r\nset ~ 0 0 1\r\nc\r\nget ~\r\n");
	buf_append(&in, "", 1);
	tpl = in.data;
	script = subst(tpl);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		bool closed;
		size_t len = strlen(script);
		char *got = run(PROTO_MEMCACHE, script, len, chunks[i] ? chunks[i] : len, &closed);
		assert_string_equal(got, want);
		assert_false(closed);
		free(got);
		clear_keys();
	}
	free(script);
	free(want);
	buf_fini(&in);
}

static void test_resp_local_and_remote(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"*3\r\n$3\r\nSET\r\n$3\r\n@\r\n$5\r\nv\r\n\x01x\r\n"
		"set ~ \"two words\"\r\n"
		"GET @\r\n*2\r\n$3\r\nget\r\n$3\r\n~\r\n"
		"get nokey\r\n"
		"PING\r\nping hello\r\necho \"a b\"\r\n"
		"\r\n"
		"DEL @ ~ nokey @\r\n"
		"get @\r\n",
		"+OK\r\n+OK\r\n"
		"$5\r\nv\r\n\x01x\r\n$9\r\ntwo words\r\n"
		"$-1\r\n"
		"+PONG\r\n$5\r\nhello\r\n$3\r\na b\r\n"
		":2\r\n"
		"$-1\r\n", false);
}

static void test_resp_errors(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"FOO bar baz\r\n"
		"get\r\n"
		"get a b\r\n"
		"set ~ v EX 10 FOO\r\n"
		"ping a b\r\n"
		"get ~\r\n",
		"-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n"
		"-ERR wrong number of arguments for 'get' command\r\n"
		"-ERR wrong number of arguments for 'get' command\r\n"
		"-ERR syntax error\r\n"
		"-ERR wrong number of arguments for 'ping' command\r\n"
		"$-1\r\n", false);
	/* A protocol error is answered, then the connection closes (as Redis). */
	check_script(PROTO_RESP, "PING\r\n*1\r\n$x\r\nPING\r\n",
		"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", true);
	check_script(PROTO_RESP, "ping\r\nquit\r\nping\r\n", "+PONG\r\n+OK\r\n", true);
}

static void test_cross_protocol(void **state)
{
	bool closed;
	char *in, *out;

	(void)state;
	clear_keys();
	in = subst("set ~ 3 0 5\r\nhello\r\n");
	out = run(PROTO_MEMCACHE, in, strlen(in), strlen(in), &closed);
	assert_string_equal(out, "STORED\r\n");
	free(in);
	free(out);
	in = subst("GET ~\r\nSET @ fromresp\r\n");
	out = run(PROTO_RESP, in, strlen(in), 3, &closed);
	assert_string_equal(out, "$5\r\nhello\r\n+OK\r\n");
	free(in);
	free(out);
	in = subst("get @ ~\r\n");
	out = run(PROTO_MEMCACHE, in, strlen(in), 1, &closed);
	free(in);
	in = subst("VALUE @ 0 8\r\nfromresp\r\nVALUE ~ 3 5\r\nhello\r\nEND\r\n");
	assert_string_equal(out, in);
	free(in);
	free(out);
	clear_keys();
}

static void test_released_while_away(void **state)
{
	/* The client disconnects while its kop is at the owner: the reply must
	 * free the connection, not touch a dead one (ASan checks). */
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	char *in = subst("DEL ~\r\n");   /* a write always travels; DEL is never in a flight */

	(void)state;
	kicks = 0;
	buf_append(conn_in(c), in, strlen(in));
	conn_process_local(c);
	assert_false(conn_wants_input(c));   /* away */
	conn_release(c);
	pump();
	assert_int_equal(kicks, 0);
	free(in);
	clear_keys();
}

/* A pipeline of one-key commands on local and remote keys: remote kops are
 * in flight together, replies come back in request order, a key's
 * operations keep their order (the GET sees the INCR before it), argument
 * errors and kop errors take their place, and a command that cannot join
 * (DEL) waits for the flight. At every fragment size. */
static void test_flight_pipeline(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"SET ~ 1\r\nSET @ x\r\nINCR ~\r\nAPPEND @ y\r\nGET ~\r\n"
		"SET ~ v EX 0\r\nINCR @\r\nDEL @\r\nGET @\r\nSETNX ~ z\r\n"
		"GETSET ~ w\r\nSTRLEN ~\r\nINCRBY ~ 5\r\nDECR ~\r\nGET ~\r\n",
		"+OK\r\n+OK\r\n:2\r\n:2\r\n$1\r\n2\r\n"
		"-ERR invalid expire time in 'set' command\r\n"
		"-ERR value is not an integer or out of range\r\n:1\r\n$-1\r\n:0\r\n"
		"$1\r\n2\r\n:1\r\n-ERR value is not an integer or out of range\r\n"
		"-ERR value is not an integer or out of range\r\n$1\r\nw\r\n", false);
}

/* Multibulk requests with values: a request after the flight that is
 * still incomplete leaves a byte count to wait for; once the flight
 * drains, that count must not outlive it (regression: it counted from the
 * old front of `in`, so the rest of the request could wait forever). At
 * every fragment size, rings pumped after each fragment. */
static void test_flight_multibulk(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"*3\r\n$3\r\nSET\r\n$3\r\n~\r\n$20\r\n0123456789abcdefghij\r\n"
		"*3\r\n$3\r\nSET\r\n$3\r\n@\r\n$20\r\nabcdefghij0123456789\r\n"
		"*3\r\n$6\r\nAPPEND\r\n$3\r\n~\r\n$10\r\nKLMNOPQRST\r\n"
		"*2\r\n$3\r\nGET\r\n$3\r\n~\r\n",
		"+OK\r\n+OK\r\n:30\r\n$30\r\n0123456789abcdefghijKLMNOPQRST\r\n", false);
}

/* The client goes while kops of its flight are away: freed when the last
 * comes back, never kicked (ASan checks the rest). */
static void test_released_with_flight_away(void **state)
{
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	char *in = subst("SET ~ a\r\nSET ~ b\r\nSET @ c\r\nSET ~ d\r\n");

	(void)state;
	kicks = 0;
	buf_append(conn_in(c), in, strlen(in));
	conn_process_local(c);
	assert_true(conn_wants_input(c));   /* the flight does not stop input */
	assert_false(conn_wants_close(c));
	assert_int_equal(buf_len(conn_out(c)), 0);   /* the head's reply is not back */
	conn_release(c);
	pump();
	assert_int_equal(kicks, 0);
	free(in);
	clear_keys();
}

/* steer-reads rcu (the default): a GET of the other worker's key is read
 * from its table here, with no message and no wait; message mode sends it. */
static void test_remote_read_under_rcu(void **state)
{
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	char *set = subst("SET ~ remote\r\n"), *get = subst("GET ~\r\n");
	char err[128];

	(void)state;
	buf_append(conn_in(c), set, strlen(set));
	conn_process_local(c);
	pump();
	buf_consume(conn_out(c), buf_len(conn_out(c)));
	assert_int_equal(opt_setup(), 0);
	buf_append(conn_in(c), get, strlen(get));
	conn_process_local(c);              /* no pump: nothing went away */
	assert_true(conn_wants_input(c));
	assert_int_equal(buf_len(conn_out(c)), strlen("$6\r\nremote\r\n"));
	assert_memory_equal(buf_rptr(conn_out(c)), "$6\r\nremote\r\n", 12);
	buf_consume(conn_out(c), buf_len(conn_out(c)));
	assert_int_equal(opt_set(OPT_steer_reads, "message", err, sizeof(err)), 0);
	buf_append(conn_in(c), get, strlen(get));
	conn_process_local(c);
	assert_false(conn_wants_input(c));  /* away at the owner */
	pump();
	assert_memory_equal(buf_rptr(conn_out(c)), "$6\r\nremote\r\n", 12);
	opt_teardown();
	conn_release(c);
	free(set);
	free(get);
	clear_keys();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mc_local_and_remote),
		cmocka_unit_test(test_remote_read_under_rcu),
		cmocka_unit_test(test_flight_pipeline),
		cmocka_unit_test(test_flight_multibulk),
		cmocka_unit_test(test_released_with_flight_away),
		cmocka_unit_test(test_mc_errors_keep_connection),
		cmocka_unit_test(test_mc_negative_exptime_and_quit),
		cmocka_unit_test(test_mc_noreply_mutes_errors),
		cmocka_unit_test(test_mc_too_large_unlinks),
		cmocka_unit_test(test_resp_local_and_remote),
		cmocka_unit_test(test_resp_errors),
		cmocka_unit_test(test_cross_protocol),
		cmocka_unit_test(test_released_while_away),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
