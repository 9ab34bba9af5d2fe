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
#include "dataplane/kop.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "platform/opt.h"
#include "storage/persist.h"
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

/* A shard bigger than the caches: "big:<i>" = "v<3i>" with flags i, for
 * i below 1M, each in its owner's shard. */
static void fill_big_keys(void)
{
	char key[32], val[32];

	for (int i = 0; i < 1000000; i++) {
		int kl = snprintf(key, sizeof(key), "big:%d", i);
		int vl = snprintf(val, sizeof(val), "v%d", i * 3);
		struct shard *s = storage_shard(slot_owner_of_key(key, (size_t)kl));
		assert_int_equal(shard_set_local(s, key, (size_t)kl, val, (size_t)vl, (uint32_t)i, 0), 0);
	}
}

/* A multi-key get on a shard bigger than the caches reads its keys ahead
 * (CMD_PREFETCH in run_plan): the reply is the same, in request order,
 * with keys of both workers, misses and repeats, split at every size. */
static void test_mc_multiget_on_a_large_shard(void **state)
{
	char val[32], in[4096], want[8192];
	size_t il = 0, wl = 0;

	(void)state;
	fill_big_keys();
	for (int i = 0; i < 100000; i++)
		shard_expire_step_local(storage_shard(0), 0, 1024);
	assert_true(shard_is_large(storage_shard(0)));
	il += (size_t)snprintf(in + il, sizeof(in) - il, "get");
	for (int j = 0; j < 3 * KOP_PREFETCH_AHEAD + 5; j++) {
		int i = j % 13 == 12 ? 1700000 + j : (j * 7919) % 1000000 + (j % 5 == 4 ? 0 : j);
		if (j == 20)
			i = (3 * 7919) % 1000000 + 3;     /* asked twice */
		il += (size_t)snprintf(in + il, sizeof(in) - il, " big:%d", i);
		if (i < 1000000) {
			int vl = snprintf(val, sizeof(val), "v%d", i * 3);
			wl += (size_t)snprintf(want + wl, sizeof(want) - wl,
					       "VALUE big:%d %d %d\r\n%s\r\n", i, i, vl, val);
		}
	}
	il += (size_t)snprintf(in + il, sizeof(in) - il, "\r\n");
	wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "END\r\n");
	for (size_t chunk = 1; chunk <= il; chunk += chunk < 16 ? 1 : 37) {
		bool closed;
		char *got = run(PROTO_MEMCACHE, in, il, chunk, &closed);
		if (strcmp(got, want) != 0 || closed)
			fail_msg("chunk %zu:\n got: %s\n want: %s", chunk, got, want);
		free(got);
	}
	shard_flush_local(storage_shard(0), 0, 0);
	shard_flush_local(storage_shard(1), 0, 0);
}

/* RESP multibulk of argv[0..argc-1], appended at out + *n. */
static void resp_cmd(char *out, size_t *n, int argc, const char **argv)
{
	*n += (size_t)sprintf(out + *n, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		*n += (size_t)sprintf(out + *n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
}

/* Pipelines on a shard bigger than the caches: the keys of up to 16
 * requests are loaded ahead (conn_prefetch.c), writes and reads of the
 * same key inside one read included. Replies are as without it, at every
 * split of the input. */
static void test_pipelines_on_a_large_shard(void **state)
{
	static const char *resp[][5] = {
		{ "GET", "big:5" }, { "SET", "new:1", "hello" }, { "GET", "new:1" },
		{ "SET", "big:7", "x" }, { "DEL", "big:7" }, { "GET", "big:7" },
		{ "SET", "ctr:1", "41" }, { "INCR", "ctr:1" }, { "GET", "big:999999" },
		{ "MSET", "new:2", "a", "new:3", "b" }, { "GET", "new:3" }, { "DEL", "new:1" },
		{ "GET", "new:1" }, { "GET", "big:123456" }, { "EXISTS", "big:6" },
		{ "STRLEN", "big:10" }, { "GET", "big:11" }, { "GET", "big:12" },
	};
	static const int argc[] = { 2, 3, 2, 3, 2, 2, 3, 2, 2, 5, 2, 2, 2, 2, 2, 2, 2, 2 };
	char in[2048];
	size_t il = 0;

	(void)state;
	fill_big_keys();
	assert_true(shard_is_large(storage_shard(0)));
	for (size_t i = 0; i < sizeof(argc) / sizeof(argc[0]); i++)
		resp_cmd(in, &il, argc[i], resp[i]);
	check_script(PROTO_RESP, in,
		"$3\r\nv15\r\n+OK\r\n$5\r\nhello\r\n+OK\r\n:1\r\n$-1\r\n+OK\r\n:42\r\n"
		"$8\r\nv2999997\r\n+OK\r\n$1\r\nb\r\n:1\r\n$-1\r\n$7\r\nv370368\r\n:1\r\n"
		":3\r\n$3\r\nv33\r\n$3\r\nv36\r\n", false);
	check_script(PROTO_MEMCACHE,
		"get big:5\r\nset new:4 3 0 2\r\nhi\r\nget new:4 big:6\r\n"
		"delete new:4\r\nget new:4\r\nmg big:8 v\r\nms new:5 2\r\nok\r\n"
		"mg new:5 v\r\nget big:9\r\n",
		"VALUE big:5 5 3\r\nv15\r\nEND\r\nSTORED\r\n"
		"VALUE new:4 3 2\r\nhi\r\nVALUE big:6 6 3\r\nv18\r\nEND\r\n"
		"DELETED\r\nEND\r\nVA 3\r\nv24\r\nHD\r\nVA 2\r\nok\r\n"
		"VALUE big:9 9 3\r\nv27\r\nEND\r\n", false);
	shard_flush_local(storage_shard(0), 0, 0);
	shard_flush_local(storage_shard(1), 0, 0);
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
		"VERSION 1.6.18-slipstream-" SS_VERSION "\r\n"
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
		"VERSION 1.6.18-slipstream-" SS_VERSION "\r\n", false);
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

/* Every storage mode and counter on a local and a remote key. */
static void test_mc_storage_modes(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"add @ 1 0 1\r\na\r\nadd @ 1 0 1\r\nb\r\n"
		"replace ~ 0 0 1\r\nx\r\nadd ~ 2 0 2\r\n10\r\nreplace ~ 3 0 2\r\n11\r\n"
		"append @ 9 0 2\r\n>>\r\nprepend @ 9 0 2\r\n<<\r\nappend nokey 0 0 1\r\nx\r\n"
		"get @ ~\r\n"
		"incr ~ 5\r\ndecr ~ 7\r\nget ~\r\ndecr ~ 100\r\nincr @ 1\r\nincr nokey 1\r\n"
		"incr ~ 18446744073709551615\r\nincr ~ 1 noreply\r\nget ~\r\n"
		"cas ~ 0 0 1 1\r\nz\r\ncas nokey 0 0 1 1\r\nz\r\n"
		"touch ~ 100\r\ntouch nokey 100\r\ngat 100 @ ~ nokey\r\n"
		"touch @ -1\r\nget @\r\n"
		"set ~ 0 -1 1\r\nz\r\nget ~\r\n",
		"STORED\r\nNOT_STORED\r\n"
		"NOT_STORED\r\nSTORED\r\nSTORED\r\n"
		"STORED\r\nSTORED\r\nNOT_STORED\r\n"
		"VALUE @ 1 5\r\n<<a>>\r\nVALUE ~ 3 2\r\n11\r\nEND\r\n"
		"16\r\n9\r\nVALUE ~ 3 2\r\n9 \r\nEND\r\n0\r\n"
		"CLIENT_ERROR cannot increment or decrement non-numeric value\r\nNOT_FOUND\r\n"
		"18446744073709551615\r\nVALUE ~ 3 20\r\n0                   \r\nEND\r\n"
		"EXISTS\r\nNOT_FOUND\r\n"
		"TOUCHED\r\nNOT_FOUND\r\nVALUE @ 1 5\r\n<<a>>\r\nVALUE ~ 3 20\r\n0                   \r\nEND\r\n"
		"TOUCHED\r\nEND\r\n"
		"STORED\r\nEND\r\n", false);
}

/* Run in one go, for scripts whose replies carry CAS values. */
static char *run_once(const char *tpl)
{
	bool closed;
	char *in = subst(tpl), *out = run(PROTO_MEMCACHE, in, strlen(in), strlen(in), &closed);

	free(in);
	return out;
}

static unsigned long long cas_of(const char *gets_reply)
{
	const char *nl = strstr(gets_reply, "\r\n");

	assert_non_null(nl);
	while (nl > gets_reply && nl[-1] != ' ')
		nl--;
	return strtoull(nl, NULL, 10);
}

/* cas, gets and ms C: every write changes the CAS, a stale one is refused,
 * on a remote key as on a local one. */
static void test_mc_cas(void **state)
{
	const char *keys[] = { "@", "~" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char tpl[256], *out;
		unsigned long long c1, c2;

		clear_keys();
		snprintf(tpl, sizeof(tpl), "set %s 0 0 1\r\na\r\ngets %s\r\n", keys[i], keys[i]);
		out = run_once(tpl);
		c1 = cas_of(out + strlen("STORED\r\n"));
		free(out);
		snprintf(tpl, sizeof(tpl), "cas %s 0 0 1 %llu\r\nb\r\ncas %s 0 0 1 %llu\r\nc\r\n"
			 "gets %s\r\n", keys[i], c1, keys[i], c1, keys[i]);
		out = run_once(tpl);
		assert_true(strncmp(out, "STORED\r\nEXISTS\r\nVALUE ", 22) == 0);
		c2 = cas_of(out + strlen("STORED\r\nEXISTS\r\n"));
		assert_true(c2 != c1);
		free(out);
		snprintf(tpl, sizeof(tpl), "ms %s 1 C%llu\r\nx\r\nms %s 1 C%llu c\r\ny\r\n",
			 keys[i], c1, keys[i], c2);
		out = run_once(tpl);
		assert_true(strncmp(out, "EX\r\nHD c", 8) == 0);
		assert_true(strtoull(out + 8, NULL, 10) != c2);
		free(out);
		/* RESP writes change it too. */
		snprintf(tpl, sizeof(tpl), "gets %s\r\n", keys[i]);
		out = run_once(tpl);
		c1 = cas_of(out);
		free(out);
		snprintf(tpl, sizeof(tpl), "SET %s fromresp\r\n", keys[i]);
		{
			bool closed;
			char *in = subst(tpl);
			free(run(PROTO_RESP, in, strlen(in), strlen(in), &closed));
			free(in);
		}
		snprintf(tpl, sizeof(tpl), "gets %s\r\n", keys[i]);
		out = run_once(tpl);
		assert_true(strstr(out, " 0 8 ") != NULL);   /* RESP writes read with flags 0 */
		assert_true(cas_of(out) != c1);
		free(out);
	}
	clear_keys();
}

/* flush_all reaches every worker's shard. */
static void test_mc_flush_all(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"set @ 0 0 1\r\na\r\nset ~ 0 0 1\r\nb\r\nflush_all\r\nget @ ~\r\n"
		"set ~ 0 0 1\r\nb\r\nflush_all noreply\r\nget ~\r\n"
		"set ~ 0 0 1\r\nb\r\nflush_all 100\r\nget ~\r\nflush_all 0\r\nget ~\r\n"
		"verbosity 1\r\nverbosity 1 noreply\r\n",
		"STORED\r\nSTORED\r\nOK\r\nEND\r\n"
		"STORED\r\nEND\r\n"
		"STORED\r\nOK\r\nVALUE ~ 0 1\r\nb\r\nEND\r\nOK\r\nEND\r\n"
		"OK\r\n", false);
}

/* The meta commands on local and remote keys: stale-while-revalidate,
 * vivify on miss, quiet mode, echoed flags. */
static void test_mc_meta(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"mg ~ v\r\nmg ~ v q k O1\r\nmg ~ k O1\r\n"
		"ms ~ 2 F3 T100\r\nhi\r\nmg ~ v f t s k Ox h\r\nmg ~ h q\r\n"
		"md ~ I T30\r\nmg ~ v t\r\nmg ~ v\r\nms ~ 2 q\r\nnw\r\nmg ~ v\r\n"
		"mg @ N30 v t\r\nmg @ N30 v\r\n"
		"md @ q\r\nmd @ q k\r\nmd @ C1\r\n"
		"ma @\r\nma @ N0 J10 v\r\nma @ MD D3 v\r\nma @ q\r\nma @ t T50 v\r\nmg @ t\r\n"
		"ms @ 2 MA\r\n+1\r\nma @ v\r\nmg @ v\r\n"
		"ms ~ 2 ME\r\nxx\r\nms nokey 2 MR\r\nxx\r\n"
		"ms ~ 2 Z\r\nhi\r\nmn\r\nme nokey\r\n",
		"EN\r\nEN k~ O1\r\n"
		"HD\r\nVA 2 f3 t100 s2 k~ Ox h0\r\nhi\r\nHD h1\r\n"
		"HD\r\nVA 2 t30 X W\r\nhi\r\nVA 2 Z X\r\nhi\r\nVA 2\r\nnw\r\n"
		"VA 0 t30 W\r\n\r\nVA 0 Z\r\n\r\n"
		"NF k@\r\nNF\r\n"
		"NF\r\nVA 2\r\n10\r\nVA 1\r\n7\r\nVA 1 t-1\r\n9\r\nHD t50\r\n"
		/* "9 " + "+1": memcached's strtoull stops at the space. */
		"HD\r\nVA 2\r\n10\r\nVA 4\r\n10  \r\n"
		"NS\r\nNS\r\n"
		"CLIENT_ERROR invalid flag\r\nMN\r\nEN\r\n", false);
}

/* ms over the item limit: refused, swallowed as it arrives, and the old
 * value is unlinked whatever the mode. me reports what it can. */
static void test_mc_meta_too_large_and_debug(void **state)
{
	const size_t big = 1024 * 1024;
	struct buf in;
	char *script, *got;
	bool closed;

	(void)state;
	clear_keys();
	buf_init(&in);
	buf_appendf(&in, "ms ~ 1\r\na\r\nms ~ %zu MA\r\n", big);
	buf_reserve(&in, big);
	memset(buf_wptr(&in), 'v', big);
	in.wpos += big;
	buf_appendf(&in, "\r\nmg ~ v\r\n");
	buf_append(&in, "", 1);
	script = subst(in.data);
	got = run(PROTO_MEMCACHE, script, strlen(script), 4096, &closed);
	assert_string_equal(got, "HD\r\nSERVER_ERROR object too large for cache\r\nEN\r\n");
	free(got);
	free(script);
	buf_fini(&in);
	script = subst("ms ~ 3 T0\r\nabc\r\nmg ~\r\nme ~\r\n");
	got = run(PROTO_MEMCACHE, script, strlen(script), 5, &closed);
	free(script);
	/* memcached's fields; la may have ticked to 1 between mg and me. */
	script = subst("HD\r\nHD\r\nME ~ exp=-1 la=");
	assert_true(strncmp(got, script, strlen(script)) == 0);
	assert_non_null(strstr(got, " fetch=yes cls=1 size=6\r\n"));
	assert_non_null(strstr(got, " cas="));
	free(script);
	free(got);
	clear_keys();
}

/* A line that cannot be a command closes the connection without a word,
 * as memcached does; a long get line is fine. */
static void test_mc_long_lines(void **state)
{
	struct buf in;
	bool closed;
	char *got;

	(void)state;
	buf_init(&in);
	buf_append(&in, "set ", 4);
	for (int i = 0; i < 3000; i++)
		buf_append(&in, "a", 1);
	got = run(PROTO_MEMCACHE, in.data, buf_len(&in), 512, &closed);
	assert_string_equal(got, "");
	assert_true(closed);
	free(got);
	buf_fini(&in);
	buf_init(&in);
	buf_append(&in, "get", 3);
	for (int i = 0; i < 1000; i++)
		buf_appendf(&in, " k%d", i);
	buf_append(&in, "\r\n", 2);
	got = run(PROTO_MEMCACHE, in.data, buf_len(&in), 700, &closed);
	assert_string_equal(got, "END\r\n");
	assert_false(closed);
	free(got);
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

static char *take_out(struct conn *c)
{
	char *s = strndup(buf_rptr(conn_out(c)), buf_len(conn_out(c)));

	buf_consume(conn_out(c), buf_len(conn_out(c)));
	return s;
}

/* The management core ends the snapshot SAVE waits for. */
static void snapshot_ends(bool ok)
{
	struct persist_info i;

	persist_info_get(&i);
	i.begun++;
	i.ended = i.begun;
	i.last_ok = ok;
	persist_info_set(&i);
}

/* SAVE asks for a snapshot and its connection waits (only it: the worker
 * goes on) until the management core ends one begun after it; what is
 * pipelined behind it waits too. A failed one answers Redis's bare -ERR;
 * one already running refuses at once. */
static void test_save_waits_for_the_snapshot(void **state)
{
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	struct persist_info i;
	char *out;

	(void)state;
	(void)persist_requested_take();
	buf_append(conn_in(c), "SAVE\r\nPING\r\n", 12);
	conn_process_local(c);
	assert_int_equal(buf_len(conn_out(c)), 0);
	assert_true(conn_waiting_local(0));
	assert_false(conn_wants_input(c));
	assert_true(persist_requested_take());   /* the management core was asked */
	conn_poll_waits_local(0);
	assert_int_equal(buf_len(conn_out(c)), 0);
	/* one that began before SAVE came and ends now does not answer it */
	persist_info_get(&i);
	i.ended = i.begun;
	persist_info_set(&i);
	conn_poll_waits_local(0);
	assert_int_equal(buf_len(conn_out(c)), 0);
	snapshot_ends(true);
	conn_poll_waits_local(0);
	assert_false(conn_waiting_local(0));
	out = take_out(c);
	assert_string_equal(out, "+OK\r\n+PONG\r\n");
	free(out);

	buf_append(conn_in(c), "SAVE\r\n", 6);
	conn_process_local(c);
	snapshot_ends(false);
	conn_poll_waits_local(0);
	out = take_out(c);
	assert_string_equal(out, "-ERR\r\n");
	free(out);

	persist_info_get(&i);
	i.in_progress = true;
	persist_info_set(&i);
	buf_append(conn_in(c), "SAVE\r\n", 6);
	conn_process_local(c);
	assert_false(conn_waiting_local(0));
	out = take_out(c);
	assert_string_equal(out, "-ERR Background save already in progress\r\n");
	free(out);
	i.in_progress = false;
	i.last_ok = true;
	persist_info_set(&i);
	conn_release(c);
	(void)persist_requested_take();
}

/* A client that leaves while SAVE waits: freed when the snapshot ends, or
 * when the worker stops first (ASan checks both). */
static void test_save_released_while_waiting(void **state)
{
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);

	(void)state;
	buf_append(conn_in(c), "SAVE\r\n", 6);
	conn_process_local(c);
	conn_release(c);
	snapshot_ends(true);
	conn_poll_waits_local(0);
	assert_false(conn_waiting_local(0));

	c = conn_create(PROTO_RESP, 0, kick, NULL);
	buf_append(conn_in(c), "SAVE\r\n", 6);
	conn_process_local(c);
	assert_true(conn_waiting_local(0));
	conn_drop_waits_local(0);
	assert_false(conn_waiting_local(0));
	assert_true(conn_wants_close(c));
	conn_release(c);
	(void)persist_requested_take();
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

/* memcached storage, arithmetic, touch and delete join the flight too;
 * noreply stays silent in its place; a get waits for the flight. */
static void test_flight_memcached(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_MEMCACHE,
		"set ~ 0 0 1\r\n5\r\nset @ 0 0 1\r\n7\r\nincr ~ 10\r\n"
		"append @ 0 0 2 noreply\r\nxy\r\ndecr ~ 100\r\nadd ~ 0 0 1\r\nz\r\n"
		"touch ~ 100\r\nget ~ @\r\ndelete ~\r\ndelete ~\r\nreplace ~ 0 0 1\r\nq\r\n",
		"STORED\r\nSTORED\r\n15\r\n0\r\nNOT_STORED\r\nTOUCHED\r\n"
		/* memcached decr keeps the length: "15" becomes "0 " */
		"VALUE ~ 0 2\r\n0 \r\nVALUE @ 0 3\r\n7xy\r\nEND\r\n"
		"DELETED\r\nNOT_FOUND\r\nNOT_STORED\r\n", false);
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

/*
 * Active expiry is paced by time (hz 10: a cycle every 100 ms). A pile of
 * expired keys is walked at every loop step, but within 25% of the cycle;
 * then nothing until the next one. Keys with distant TTLs are walked once
 * a cycle, not once a step (each step walked 8 buckets before).
 */
static void test_active_expiry_is_paced(void **state)
{
	struct shard *s = storage_shard(1);
	const int64_t t = clock_unix_ms() + 10000000;   /* a new cycle starts at t */
	uint64_t e0, e1, e2, e3;
	char k[24];

	(void)state;
	assert_int_equal(opt_setup(), 0);
	shard_flush_local(s, t, t);
	for (int i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "pace:%d", i);
		assert_int_equal(shard_set_local(s, k, strlen(k), "v", 1, 0, t + 5), 0);
	}
	e0 = shard_expired(s);
	storage_step_local(1, t + 10);                  /* the cycle starts: a backlog */
	e1 = shard_expired(s);
	assert_true(e1 > e0);
	storage_step_local(1, t + 11);                  /* still a backlog: walked again */
	e2 = shard_expired(s);
	assert_true(e2 > e1);
	storage_step_local(1, t + 40);                  /* 30 ms in: walks, and the cycle ends */
	e3 = shard_expired(s);
	assert_true(e3 > e2);
	for (int i = 0; i < 100; i++)
		storage_step_local(1, t + 50);          /* before the next cycle: no walk */
	assert_int_equal(shard_expired(s), e3);
	assert_true(e3 - e0 < 50000);
	for (int i = 0; i < 10000 && shard_volatile_count(s) > 0; i++)
		storage_step_local(1, t + 110);         /* the next cycle walks to the end */

	assert_int_equal(shard_expired(s) - e0, 50000);

	/* 1,000 expired among 20,000: no backlog, one walk for 1,000 steps */
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "pace:%d", i);
		assert_int_equal(shard_set_local(s, k, strlen(k), "v", 1, 0,
						 i % 20 == 0 ? t + 300 : t + 100000000), 0);
	}
	e0 = shard_expired(s);
	for (int i = 0; i < 1000; i++)
		storage_step_local(1, t + 400);
	assert_true(shard_expired(s) - e0 < 200);
	shard_flush_local(s, t + 400, t + 400);
	opt_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mc_local_and_remote),
		cmocka_unit_test(test_active_expiry_is_paced),
		cmocka_unit_test(test_mc_multiget_on_a_large_shard),
		cmocka_unit_test(test_pipelines_on_a_large_shard),
		cmocka_unit_test(test_remote_read_under_rcu),
		cmocka_unit_test(test_flight_pipeline),
		cmocka_unit_test(test_flight_multibulk),
		cmocka_unit_test(test_flight_memcached),
		cmocka_unit_test(test_released_with_flight_away),
		cmocka_unit_test(test_mc_errors_keep_connection),
		cmocka_unit_test(test_mc_negative_exptime_and_quit),
		cmocka_unit_test(test_mc_noreply_mutes_errors),
		cmocka_unit_test(test_mc_too_large_unlinks),
		cmocka_unit_test(test_mc_storage_modes),
		cmocka_unit_test(test_mc_cas),
		cmocka_unit_test(test_mc_flush_all),
		cmocka_unit_test(test_mc_meta),
		cmocka_unit_test(test_mc_meta_too_large_and_debug),
		cmocka_unit_test(test_mc_long_lines),
		cmocka_unit_test(test_resp_local_and_remote),
		cmocka_unit_test(test_resp_errors),
		cmocka_unit_test(test_cross_protocol),
		cmocka_unit_test(test_released_while_away),
		cmocka_unit_test(test_save_waits_for_the_snapshot),
		cmocka_unit_test(test_save_released_while_waiting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
