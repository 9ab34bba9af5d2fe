/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP connection and server commands through the whole engine (the harness
 * of test_conn.c: one thread, two shards, every script fed at every fragment
 * size): HELLO and RESP3, AUTH with requirepass, SELECT, RESET, CLIENT,
 * COMMAND, CONFIG, DBSIZE, TIME. Expected bytes are Redis 7.0's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/conn.h"
#include "dataplane/conn_priv.h"
#include "platform/opt.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/shard.h"
#include "storage/slot.h"
#include "storage/repl.h"
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
	if (opt_setup() || mem_setup(1) || mem_thread_init(0) || storage_setup(2) || steer_setup(2) ||
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
	opt_teardown();
	return 0;
}

static void pump(void)
{
	while (steer_drain_local(1) + steer_drain_local(0) > 0)
		;
}

/* Replace every '@' with the local key and '~' with the remote key (but
 * for "@acl-category" and "~<set length>"). */
static char *subst(const char *s)
{
	char *out = malloc(strlen(s) * 16 + 1), *o = out;

	for (; *s; s++) {
		/* "@read" is an ACL category and "~2" a RESP3 set, not keys. */
		bool acl = s[1] >= 'a' && s[1] <= 'z', set = s[1] >= '0' && s[1] <= '9';
		const char *k = *s == '@' && !acl ? local_key :
				*s == '~' && !set ? remote_key : NULL;
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

/* '#' in want stands for one or more digits (ids, times, lengths). */
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

static void check_script(enum proto p, const char *in_tpl, const char *want_tpl, bool want_closed)
{
	char *in = subst(in_tpl), *want = subst(want_tpl);
	size_t len = strlen(in);

	for (size_t chunk = 1; chunk <= len; chunk++) {
		bool closed;
		char *got = run(p, in, len, chunk, &closed);
		if (!matches(got, want) || closed != want_closed)
			fail_msg("chunk %zu:\n in: %s\n got: %s\n want: %s\n closed %d want %d",
				 chunk, in, got, want, closed, want_closed);
		free(got);
		clear_keys();   /* each run starts from an empty keyspace */
	}
	free(in);
	free(want);
}

/* The HELLO reply after the map or array header; proto is "2" or "3". */
#define HELLO_BODY(proto) \
	"$6\r\nserver\r\n$10\r\nslipstream\r\n$7\r\nversion\r\n$#\r\n" SS_VERSION "\r\n" \
	"$5\r\nproto\r\n:" proto "\r\n$2\r\nid\r\n:#\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n" \
	"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
#define HELLO2 "*14\r\n" HELLO_BODY("2")
#define HELLO3 "%7\r\n" HELLO_BODY("3")

static void set_pass(const char *pw)
{
	char err[128];

	assert_int_equal(opt_set(OPT_requirepass, pw, err, sizeof(err)), 0);
}

static void test_hello_resp3(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"GET @\r\nHELLO\r\nHELLO 3\r\nGET @\r\nGET ~\r\nCLIENT GETNAME\r\n"
		"SET ~ v\r\nGET ~\r\nHELLO 2\r\nGET @\r\n",
		"$-1\r\n" HELLO2 HELLO3 "_\r\n_\r\n_\r\n"
		"+OK\r\n$1\r\nv\r\n" HELLO2 "$-1\r\n", false);
	/* HELLO without a version keeps the one in use. */
	check_script(PROTO_RESP, "HELLO 3\r\nHELLO\r\nGET @\r\n", HELLO3 HELLO3 "_\r\n", false);
	check_script(PROTO_RESP,
		"HELLO 4\r\nHELLO 1\r\nHELLO x\r\nHELLO 3 FOO\r\nHELLO 3 SETNAME\r\n"
		"HELLO 3 AUTH default\r\nGET @\r\n",
		"-NOPROTO unsupported protocol version\r\n"
		"-NOPROTO unsupported protocol version\r\n"
		"-ERR Protocol version is not an integer or out of range\r\n"
		"-ERR Syntax error in HELLO option 'FOO'\r\n"
		"-ERR Syntax error in HELLO option 'SETNAME'\r\n"
		"-ERR Syntax error in HELLO option 'AUTH'\r\n"
		"$-1\r\n", false);
	/* SETNAME: validated before the protocol changes. */
	check_script(PROTO_RESP,
		"HELLO 3 SETNAME a\x01" "b\r\nGET @\r\nHELLO 3 SETNAME app1\r\nCLIENT GETNAME\r\n",
		"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
		"$-1\r\n" HELLO3 "$4\r\napp1\r\n", false);
	/* Without requirepass any password of user default is accepted. */
	check_script(PROTO_RESP, "HELLO 2 AUTH default whatever\r\nHELLO 3 AUTH bob x\r\n",
		HELLO2 "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
		false);
}

static void test_auth_without_password(void **state)
{
	(void)state;
	check_script(PROTO_RESP,
		"AUTH pw\r\nAUTH default x\r\nAUTH bob x\r\nAUTH a b c\r\nAUTH\r\n",
		"-ERR AUTH <password> called without any password configured for the "
		"default user. Are you sure your configuration is correct?\r\n"
		"+OK\r\n"
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
		"-ERR syntax error\r\n"
		"-ERR wrong number of arguments for 'auth' command\r\n", false);
}

#define NOAUTH "-NOAUTH Authentication required.\r\n"

static void test_auth_requirepass(void **state)
{
	(void)state;
	set_pass("s3cret");
	/* Unknown command and arity come before authentication, as in Redis. */
	check_script(PROTO_RESP,
		"PING\r\nGET @\r\nFOO\r\nGET\r\nSELECT 0\r\nCLIENT ID\r\nCOMMAND COUNT\r\n"
		"CONFIG GET port\r\nDBSIZE\r\nTIME\r\nHELLO 3\r\nHELLO\r\n"
		"AUTH wrong\r\nAUTH default wrong\r\nAUTH s3cre\r\nAUTH s3cret\r\nPING\r\n",
		NOAUTH NOAUTH
		"-ERR unknown command 'FOO', with args beginning with: \r\n"
		"-ERR wrong number of arguments for 'get' command\r\n"
		NOAUTH NOAUTH NOAUTH NOAUTH NOAUTH NOAUTH
		"-NOAUTH HELLO must be called with the client already authenticated, "
		"otherwise the HELLO AUTH <user> <pass> option can be used to "
		"authenticate the client and select the RESP protocol version at the same time\r\n"
		"-NOAUTH HELLO must be called with the client already authenticated, "
		"otherwise the HELLO AUTH <user> <pass> option can be used to "
		"authenticate the client and select the RESP protocol version at the same time\r\n"
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
		"+OK\r\n+PONG\r\n", false);
	/* HELLO AUTH authenticates and switches protocol in one step; a wrong
	 * password leaves both as they were. RESET forgets the authentication. */
	check_script(PROTO_RESP,
		"HELLO 3 AUTH default nope\r\nPING\r\nHELLO 3 AUTH default s3cret SETNAME x\r\n"
		"GET @\r\nCLIENT GETNAME\r\nRESET\r\nPING\r\nAUTH default s3cret\r\nGET @\r\n"
		"QUIT\r\n",
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n" NOAUTH
		HELLO3 "_\r\n$1\r\nx\r\n+RESET\r\n" NOAUTH "+OK\r\n$-1\r\n+OK\r\n", true);
	/* QUIT works unauthenticated. */
	check_script(PROTO_RESP, "QUIT\r\nPING\r\n", "+OK\r\n", true);
	set_pass("");
	check_script(PROTO_RESP, "PING\r\n", "+PONG\r\n", false);
}

/* CONFIG SET requirepass: connections made before stay authenticated (as in
 * Redis), new ones must AUTH. One run each: the script changes the option. */
static void test_config_set_requirepass(void **state)
{
	static const char a[] = "CONFIG SET requirepass pw2\r\nPING\r\n";
	static const char b[] = "PING\r\nAUTH pw2\r\nCONFIG SET requirepass \"\"\r\nPING\r\n";
	static const char d[] = "PING\r\nAUTH x\r\n";
	bool closed;
	char *out;

	(void)state;
	out = run(PROTO_RESP, a, strlen(a), 1, &closed);
	assert_string_equal(out, "+OK\r\n+PONG\r\n");
	free(out);
	out = run(PROTO_RESP, b, strlen(b), 3, &closed);
	assert_string_equal(out, NOAUTH "+OK\r\n+OK\r\n+PONG\r\n");
	free(out);
	out = run(PROTO_RESP, d, strlen(d), 2, &closed);
	assert_string_equal(out, "+PONG\r\n-ERR AUTH <password> called without any password "
			    "configured for the default user. Are you sure your configuration "
			    "is correct?\r\n");
	free(out);
}

static void test_select_reset(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"SELECT 0\r\nSELECT 1\r\nSELECT -1\r\nSELECT 16\r\nSELECT x\r\nSELECT 01\r\n"
		"SELECT 99999999999\r\nSELECT\r\n",
		"+OK\r\n-ERR DB index is out of range\r\n-ERR DB index is out of range\r\n"
		"-ERR DB index is out of range\r\n"
		"-ERR value is not an integer or out of range\r\n"
		"-ERR value is not an integer or out of range\r\n"
		"-ERR value is not an integer or out of range\r\n"
		"-ERR wrong number of arguments for 'select' command\r\n", false);
	check_script(PROTO_RESP,
		"HELLO 3\r\nCLIENT SETNAME n\r\nCLIENT NO-EVICT on\r\nRESET\r\nGET @\r\n"
		"CLIENT GETNAME\r\nRESET x\r\n",
		HELLO3 "+OK\r\n+OK\r\n+RESET\r\n$-1\r\n$-1\r\n"
		"-ERR wrong number of arguments for 'reset' command\r\n", false);
}

static void test_client(void **state)
{
	(void)state;
	check_script(PROTO_RESP,
		"CLIENT ID\r\nclient id\r\nCLIENT GETNAME\r\nCLIENT SETNAME my-app\r\n"
		"CLIENT GETNAME\r\nCLIENT SETNAME \"a b\"\r\nCLIENT SETNAME \"a\\nb\"\r\n"
		"CLIENT GETNAME\r\nCLIENT SETNAME \"\"\r\nCLIENT GETNAME\r\n",
		":#\r\n:#\r\n$-1\r\n+OK\r\n$6\r\nmy-app\r\n"
		"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
		"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
		"$6\r\nmy-app\r\n+OK\r\n$-1\r\n", false);
	check_script(PROTO_RESP,
		"CLIENT SETINFO lib-name redis-py\r\nCLIENT SETINFO LIB-VER 4.3.4\r\n"
		"CLIENT SETINFO lib-name \"a b\"\r\nCLIENT SETINFO foo x\r\n"
		"CLIENT SETINFO lib-name\r\n",
		"+OK\r\n+OK\r\n"
		"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
		"-ERR Unrecognized option 'foo'\r\n"
		"-ERR wrong number of arguments for 'client|setinfo' command\r\n", false);
	check_script(PROTO_RESP,
		"CLIENT NO-EVICT on\r\nCLIENT NO-EVICT OFF\r\nCLIENT NO-EVICT maybe\r\n"
		"CLIENT\r\nCLIENT ID x\r\nCLIENT BOGUS\r\nCLIENT GETNAME x\r\n",
		"+OK\r\n+OK\r\n-ERR syntax error\r\n"
		"-ERR wrong number of arguments for 'client' command\r\n"
		"-ERR wrong number of arguments for 'client|id' command\r\n"
		"-ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.\r\n"
		"-ERR wrong number of arguments for 'client|getname' command\r\n", false);
}

#define INFO_GET_HEAD \
	"*10\r\n$3\r\nget\r\n:2\r\n%c2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" \
	"%c3\r\n+@read\r\n+@string\r\n+@fast\r\n%c0\r\n%c1\r\n"
#define INFO_GET_SPEC \
	"$5\r\nflags\r\n%c2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n" \
	"%s\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%s\r\n$5\r\nindex\r\n:1\r\n" \
	"$9\r\nfind_keys\r\n%s\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%s\r\n" \
	"$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n%c0\r\n"

static void test_command(void **state)
{
	char want[2048];
	size_t n;

	(void)state;
	check_script(PROTO_RESP,
		"COMMAND COUNT\r\nCOMMAND COUNT x\r\nCOMMAND BOGUS\r\nCOMMAND LIST\r\n"
		"COMMAND LIST FILTERBY pattern x\r\n",
		":68\r\n-ERR wrong number of arguments for 'command|count' command\r\n"
		"-ERR unknown subcommand 'BOGUS'. Try COMMAND HELP.\r\n"
		"*94\r\n"
		"$4\r\nping\r\n$4\r\necho\r\n$4\r\nquit\r\n$3\r\nget\r\n"
		"$3\r\nset\r\n$5\r\nsetnx\r\n$5\r\nsetex\r\n$6\r\npsetex\r\n"
		"$6\r\ngetset\r\n$6\r\ngetdel\r\n$5\r\ngetex\r\n$4\r\nmget\r\n"
		"$4\r\nmset\r\n$6\r\nmsetnx\r\n$6\r\nappend\r\n$6\r\nstrlen\r\n"
		"$4\r\nincr\r\n$4\r\ndecr\r\n$6\r\nincrby\r\n$6\r\ndecrby\r\n"
		"$11\r\nincrbyfloat\r\n$8\r\ngetrange\r\n$8\r\nsetrange\r\n$3\r\ndel\r\n"
		"$6\r\nunlink\r\n$6\r\nexists\r\n$4\r\ntype\r\n$6\r\nexpire\r\n"
		"$7\r\npexpire\r\n$8\r\nexpireat\r\n$9\r\npexpireat\r\n$3\r\nttl\r\n"
		"$4\r\npttl\r\n$10\r\nexpiretime\r\n$11\r\npexpiretime\r\n$7\r\npersist\r\n"
		"$6\r\nrename\r\n$8\r\nrenamenx\r\n$4\r\nkeys\r\n$4\r\nscan\r\n"
		"$9\r\nrandomkey\r\n$5\r\ntouch\r\n$5\r\nhello\r\n$4\r\nauth\r\n"
		"$6\r\nselect\r\n$5\r\nreset\r\n$6\r\nclient\r\n$11\r\nclient|list\r\n"
		"$11\r\nclient|info\r\n$11\r\nclient|kill\r\n$9\r\nclient|id\r\n$14\r\nclient|setname\r\n"
		"$14\r\nclient|getname\r\n$14\r\nclient|setinfo\r\n$11\r\nclient|help\r\n$15\r\nclient|no-evict\r\n"
		"$7\r\ncommand\r\n$12\r\ncommand|help\r\n$13\r\ncommand|count\r\n$12\r\ncommand|list\r\n"
		"$12\r\ncommand|info\r\n$12\r\ncommand|docs\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n"
		"$10\r\nconfig|set\r\n$11\r\nconfig|help\r\n$16\r\nconfig|resetstat\r\n$6\r\ndbsize\r\n"
		"$4\r\ninfo\r\n$7\r\nflushdb\r\n$8\r\nflushall\r\n$7\r\nslowlog\r\n"
		"$11\r\nslowlog|get\r\n$12\r\nslowlog|help\r\n$11\r\nslowlog|len\r\n$13\r\nslowlog|reset\r\n"
		"$7\r\nlatency\r\n$14\r\nlatency|latest\r\n$12\r\nlatency|help\r\n$15\r\nlatency|history\r\n"
		"$13\r\nlatency|reset\r\n$6\r\nbgsave\r\n$8\r\nlastsave\r\n$4\r\nwait\r\n$8\r\nreplconf\r\n$5\r\npsync\r\n$4\r\nsync\r\n$4\r\nsave\r\n$8\r\nshutdown\r\n"
		"$5\r\ndebug\r\n$4\r\ntime\r\n$9\r\nreplicaof\r\n$7\r\nslaveof\r\n$4\r\nrole\r\n"
		"*0\r\n", false);
	check_script(PROTO_RESP,
		"COMMAND LIST FILTERBY PATTERN CONFIG*\r\nCOMMAND LIST FILTERBY aclcat dangerous\r\n"
		"COMMAND LIST FILTERBY module x\r\nCOMMAND LIST FILTERBY aclcat\r\n"
		"COMMAND LIST FILTERBY foo x\r\nCOMMAND LIST x\r\nCOMMAND LIST FILTERBY pattern ?e?\r\n",
		"*5\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$10\r\nconfig|set\r\n$11\r\nconfig|help\r\n"
		"$16\r\nconfig|resetstat\r\n"
		"*27\r\n"
		"$4\r\nkeys\r\n$11\r\nclient|list\r\n$11\r\nclient|kill\r\n$15\r\nclient|no-evict\r\n"
		"$10\r\nconfig|get\r\n$10\r\nconfig|set\r\n$16\r\nconfig|resetstat\r\n$4\r\ninfo\r\n"
		"$7\r\nflushdb\r\n$8\r\nflushall\r\n$11\r\nslowlog|get\r\n$11\r\nslowlog|len\r\n"
		"$13\r\nslowlog|reset\r\n$14\r\nlatency|latest\r\n$15\r\nlatency|history\r\n$13\r\nlatency|reset\r\n"
		"$6\r\nbgsave\r\n$8\r\nlastsave\r\n$8\r\nreplconf\r\n$5\r\npsync\r\n$4\r\nsync\r\n$4\r\nsave\r\n$8\r\nshutdown\r\n$5\r\ndebug\r\n"
		"$9\r\nreplicaof\r\n$7\r\nslaveof\r\n$4\r\nrole\r\n"
		"*0\r\n-ERR syntax error\r\n-ERR syntax error\r\n-ERR syntax error\r\n"
		"*3\r\n$3\r\nget\r\n$3\r\nset\r\n$3\r\ndel\r\n", false);
	/* COMMAND INFO get nosuch: Redis 7.0's bytes, RESP2 then RESP3. */
	n = (size_t)snprintf(want, sizeof(want), "*2\r\n" INFO_GET_HEAD "*6\r\n" INFO_GET_SPEC,
			     '*', '*', '*', '*', '*', "*4", "*2", "*4", "*6", '*');
	snprintf(want + n, sizeof(want) - n, "$-1\r\n");
	check_script(PROTO_RESP, "COMMAND INFO get nosuch\r\n", want, false);
	n = (size_t)snprintf(want, sizeof(want), "%s", HELLO3);
	n += (size_t)snprintf(want + n, sizeof(want) - n, "*2\r\n" INFO_GET_HEAD "%%3\r\n"
			     INFO_GET_SPEC, '~', '~', '~', '~', '~', "%2", "%1", "%2", "%3", '~');
	snprintf(want + n, sizeof(want) - n, "_\r\n");
	check_script(PROTO_RESP, "HELLO 3\r\nCOMMAND INFO GET nosuch\r\n", want, false);
	check_script(PROTO_RESP, "COMMAND DOCS time nosuch\r\nHELLO 3\r\nCOMMAND DOCS ping\r\n",
		"*2\r\n$4\r\ntime\r\n*8\r\n$7\r\nsummary\r\n$30\r\nReturn the current server time\r\n"
		"$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n"
		"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n" HELLO3
		"%1\r\n$4\r\nping\r\n%4\r\n$7\r\nsummary\r\n$15\r\nPing the server\r\n"
		"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n"
		"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n", false);
}

/* COMMAND, COMMAND INFO and COMMAND DOCS without names cover every command. */
static void test_command_all(void **state)
{
	bool closed;
	char *out;

	(void)state;
	out = run(PROTO_RESP, "COMMAND\r\n", 9, 9, &closed);
	assert_true(strncmp(out, "*68\r\n*10\r\n$4\r\nping\r\n:-1\r\n", 24) == 0);
	assert_non_null(strstr(out, "*10\r\n$3\r\ndel\r\n:-2\r\n*1\r\n+write\r\n:1\r\n:-1\r\n:1\r\n"));
	assert_non_null(strstr(out, "*10\r\n$4\r\ntime\r\n:1\r\n"));
	free(out);
	out = run(PROTO_RESP, "COMMAND INFO\r\n", 14, 14, &closed);
	assert_true(strncmp(out, "*68\r\n*10\r\n$4\r\nping\r\n", 19) == 0);
	free(out);
	out = run(PROTO_RESP, "COMMAND DOCS\r\n", 14, 14, &closed);
	assert_true(strncmp(out, "*136\r\n$4\r\nping\r\n*8\r\n$7\r\nsummary\r\n", 32) == 0);
	/* Containers have a fifth entry: their subcommands' docs. */
	assert_non_null(strstr(out, "$6\r\nconfig\r\n*10\r\n"));
	assert_non_null(strstr(out, "$11\r\nsubcommands\r\n*8\r\n$10\r\nconfig|get\r\n*8\r\n"));
	free(out);
}

static const struct cmd *lookup(const char *name, size_t n)
{
	struct ss_arg a = { .p = name, .len = n };

	return cmd_resp_lookup(&a);
}

/* Every command by its name in any case; nothing else (a prefix, a longer
 * name, other bytes at a letter's place). */
static void test_command_lookup(void **state)
{
	size_t n;
	const struct cmd *tab = cmd_resp_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		char name[64], upper[64], mixed[64];
		size_t len = strlen(tab[i].name);

		assert_true(len < sizeof(name) - 1);
		memcpy(name, tab[i].name, len + 1);
		for (size_t j = 0; j <= len; j++) {
			char c = name[j];
			upper[j] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
			mixed[j] = j % 2 ? upper[j] : c;
		}
		assert_ptr_equal(lookup(name, len), &tab[i]);
		assert_ptr_equal(lookup(upper, len), &tab[i]);
		assert_ptr_equal(lookup(mixed, len), &tab[i]);
		const struct cmd *shorter = lookup(name, len - 1);
		assert_true(shorter == NULL || strlen(shorter->name) == len - 1);
		name[len] = 'x';
		const struct cmd *longer = lookup(name, len + 1);
		assert_true(longer == NULL || strlen(longer->name) == len + 1);
	}
	assert_non_null(lookup("get", 3));
	assert_null(lookup("get\0", 4));
	assert_null(lookup("g`t", 3));
	assert_null(lookup("G@T", 3));
	assert_null(lookup("", 0));
	assert_null(lookup("getgetgetgetgetgetgetgetgetgetgetget", 36));

	/* Through a connection, which tries its previous command first: the
	 * same answers, each asked right after another name. */
	struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
	const struct cmd *get = lookup("get", 3);
	const char *after_get[] = { "GET", "get\0", "g`t", "G@T", "ge", "gets", "Get" };
	const struct cmd *want[] = { get, NULL, NULL, NULL, NULL, NULL, get };
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(tab[i].name);
		struct ss_arg a = { .p = tab[i].name, .len = len };
		assert_ptr_equal(cmd_resp_lookup_conn(c, &a), &tab[i]);
		assert_ptr_equal(cmd_resp_lookup_conn(c, &a), &tab[i]);
		a.len = len - 1;
		assert_ptr_equal(cmd_resp_lookup_conn(c, &a), lookup(tab[i].name, len - 1));
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct ss_arg g = { .p = "get", .len = 3 };
		struct ss_arg a = { .p = after_get[i], .len = i == 1 ? 4 : strlen(after_get[i]) };
		assert_ptr_equal(cmd_resp_lookup_conn(c, &g), get);
		assert_ptr_equal(cmd_resp_lookup_conn(c, &a), want[i]);
	}
	conn_release(c);
}

/* Subcommands: COMMAND INFO of a container lists them; "a|b" names one. */
static void test_command_subcommands(void **state)
{
	(void)state;
	check_script(PROTO_RESP, "COMMAND INFO client|id CONFIG|nosuch nosuch|id\r\n",
		"*3\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n*3\r\n+noscript\r\n+loading\r\n"
		"+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
		"$-1\r\n$-1\r\n", false);
	check_script(PROTO_RESP, "COMMAND INFO config\r\n",
		"*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n"
		"*0\r\n*0\r\n*4\r\n"
		"*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n"
		"+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n"
		"*0\r\n*0\r\n"
		"*10\r\n$10\r\nconfig|set\r\n:-4\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n"
		"+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*2\r\n"
		"$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n"
		"*0\r\n*0\r\n"
		"*10\r\n$11\r\nconfig|help\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n"
		"*1\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n"
		"*10\r\n$16\r\nconfig|resetstat\r\n:2\r\n*4\r\n+admin\r\n+noscript\r\n"
		"+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n"
		"+@dangerous\r\n*0\r\n*0\r\n*0\r\n", false);
	check_script(PROTO_RESP, "COMMAND DOCS client|getname\r\n",
		"*2\r\n$14\r\nclient|getname\r\n*8\r\n$7\r\nsummary\r\n"
		"$31\r\nGet the current connection name\r\n$5\r\nsince\r\n$5\r\n2.6.9\r\n"
		"$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n", false);
}

static void test_config(void **state)
{
	(void)state;
	check_script(PROTO_RESP,
		"CONFIG GET maxmemory\r\nCONFIG GET MAXMEMORY*\r\nCONFIG GET nosuch\r\n"
		"CONFIG GET maxmemory maxmem*\r\nCONFIG GET d?r dbfile[a-n]ame\r\n"
		"CONFIG GET *port* [^a-z]\r\nCONFIG GET\r\n",
		"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
		"*6\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
		"$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n"
		"*0\r\n"
		"*6\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
		"$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n"
		"*4\r\n$3\r\ndir\r\n$1\r\n.\r\n$10\r\ndbfilename\r\n$8\r\ndump.rdb\r\n"
		"*8\r\n$4\r\nport\r\n$4\r\n6379\r\n$13\r\nmemcache-port\r\n$5\r\n11211\r\n"
		"$12\r\nmetrics-port\r\n$4\r\n9121\r\n"
		"$20\r\nrdb-load-unsupported\r\n$4\r\nfail\r\n"
		"-ERR wrong number of arguments for 'config|get' command\r\n", false);
	check_script(PROTO_RESP, "HELLO 3\r\nCONFIG GET maxmemory-policy\r\n",
		HELLO3 "%1\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n", false);
	/* All or nothing: a bad value in the second pair undoes the first. */
	check_script(PROTO_RESP,
		"CONFIG SET maxmemory 1mb maxmemory-policy bogus\r\nCONFIG GET maxmemory\r\n"
		"CONFIG SET port 1\r\nCONFIG SET nosuch 1 port 1\r\n"
		"CONFIG SET maxmemory 1 MAXMEMORY 2\r\nCONFIG SET maxmemory\r\n"
		"CONFIG SET maxmemory 1 x\r\nCONFIG SET maxmemory abc\r\nCONFIG RESETSTAT\r\n"
		"CONFIG RESETSTAT x\r\nCONFIG BOGUS\r\n",
		"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
		"'bogus' is not one of noeviction|allkeys-lru|allkeys-lfu|allkeys-random|"
		"volatile-lru|volatile-lfu|volatile-random|volatile-ttl\r\n"
		"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
		"-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n"
		"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
		"-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter\r\n"
		"-ERR wrong number of arguments for 'config|set' command\r\n"
		"-ERR syntax error\r\n"
		"-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
		"'abc' is not a size from 0 to 1125899906842624 bytes (a number with an "
		"optional k, kb, m, mb, g or gb suffix)\r\n"
		"+OK\r\n"
		"-ERR wrong number of arguments for 'config|resetstat' command\r\n"
		"-ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.\r\n", false);
	check_script(PROTO_RESP,
		"CONFIG SET maxmemory-policy allkeys-lru idle-sleep-us 50\r\n"
		"CONFIG GET maxmemory-policy idle-sleep-us\r\n"
		"CONFIG SET maxmemory-policy noeviction idle-sleep-us 100\r\n",
		"+OK\r\n*4\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"
		"$13\r\nidle-sleep-us\r\n$2\r\n50\r\n+OK\r\n", false);
}

static void test_dbsize_time(void **state)
{
	(void)state;
	clear_keys();
	check_script(PROTO_RESP,
		"DBSIZE\r\nSET @ a\r\nSET ~ b\r\nDBSIZE\r\nDEL @\r\nDBSIZE\r\nDBSIZE x\r\n"
		"TIME\r\nTIME x\r\n",
		":0\r\n+OK\r\n+OK\r\n:2\r\n:1\r\n:1\r\n"
		"-ERR wrong number of arguments for 'dbsize' command\r\n"
		"*2\r\n$#\r\n#\r\n$#\r\n#\r\n"
		"-ERR wrong number of arguments for 'time' command\r\n", false);
}


#define RO "-READONLY You can't write against a read only replica.\r\n"
#define MC_RO "SERVER_ERROR write refused: this node is a read-only replica\r\n"

/* A replica refuses client writes on both protocols (reads go on), but not
 * its primary's stream; REPLICAOF NO ONE takes writes again. */
static void test_replica_read_only(void **state)
{
	char err[64];

	(void)state;
	clear_keys();
	assert_int_equal(repl_target_set("127.0.0.1", 1), 0);
	check_script(PROTO_RESP,
		"SET @ x\r\nGET @\r\nGET ~\r\nSET ~ x\r\nINCR @\r\nDEL @ ~\r\nFLUSHALL\r\n"
		"PING\r\nHELLO 3\r\nREPLICAOF 127.0.0.1 1\r\nROLE\r\n",
		RO "$-1\r\n$-1\r\n" RO RO RO RO "+PONG\r\n"
		"%7\r\n$6\r\nserver\r\n$10\r\nslipstream\r\n$7\r\nversion\r\n$#\r\n" SS_VERSION
		"\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:#\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
		"$4\r\nrole\r\n$7\r\nreplica\r\n$7\r\nmodules\r\n*0\r\n"
		"+OK Already connected to specified master\r\n"
		"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:1\r\n$7\r\nconnect\r\n:-1\r\n", false);
	check_script(PROTO_MEMCACHE,
		"set @ 0 0 1\r\nx\r\nset @ 0 0 1 noreply\r\nx\r\nget @\r\ndelete ~\r\n"
		"touch @ 10\r\nflush_all\r\nincr @ 1\r\nms @ 1\r\nx\r\nmd ~\r\nmg @ v\r\n",
		MC_RO "END\r\n" MC_RO MC_RO MC_RO MC_RO MC_RO MC_RO "EN\r\n", false);
	/* replica-read-only no: taken */
	assert_int_equal(opt_set(OPT_replica_read_only, "no", err, sizeof(err)), 0);
	check_script(PROTO_RESP, "SET @ y\r\nGET @\r\n", "+OK\r\n$1\r\ny\r\n", false);
	clear_keys();
	assert_int_equal(opt_set(OPT_replica_read_only, "yes", err, sizeof(err)), 0);
	/* the primary's stream writes, at every split */
	{
		const char *in = "*3\r\n$3\r\nSET\r\n$3\r\nk00\r\n$1\r\nz\r\n";
		for (size_t chunk = 1; chunk <= strlen(in); chunk++) {
			struct conn *c = conn_create(PROTO_RESP, 0, kick, NULL);
			c->repl_master = true;
			for (size_t off = 0; off < strlen(in); off += chunk) {
				size_t n = strlen(in) - off < chunk ? strlen(in) - off : chunk;
				buf_append(conn_in(c), in + off, n);
				conn_process_local(c);
				pump();
			}
			assert_int_equal(buf_len(conn_in(c)), 0);
			assert_memory_equal(buf_rptr(conn_out(c)), "+OK\r\n", 5);
			conn_release(c);
		}
	}
	/* read back (the keys stay: a replica's DEL is refused, clear_keys' too) */
	check_script(PROTO_RESP, "GET k00\r\nDEL k00\r\n", "$1\r\nz\r\n" RO, false);
	/* promoted: writes again, and ROLE says so */
	assert_int_equal(repl_target_set(NULL, 0), 0);
	check_script(PROTO_RESP, "DEL k00\r\nSET @ v\r\nROLE\r\nHELLO 2\r\n",
		":#\r\n+OK\r\n*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n" HELLO2, false);
	clear_keys();
}

/* CLIENT LIST on a worker thread that then exits: its part of the reply
 * was built in a bare __thread buffer that nobody freed (LeakSanitizer
 * in the ASan build reports it); now in the thread's kop scratch, freed
 * at thread exit. */
static void *client_list_thread(void *arg)
{
	bool closed;
	static const char in[] = "*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n";
	char *got = run(PROTO_RESP, in, strlen(in), strlen(in), &closed);

	*(bool *)arg = strncmp(got, "$", 1) == 0 && strstr(got, " cmd=client ") != NULL;
	free(got);
	return NULL;
}

static void test_client_list_thread_exit(void **state)
{
	pthread_t t;
	bool ok = false;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, client_list_thread, &ok), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_resp3),
		cmocka_unit_test(test_auth_without_password),
		cmocka_unit_test(test_auth_requirepass),
		cmocka_unit_test(test_config_set_requirepass),
		cmocka_unit_test(test_select_reset),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_command_lookup),
		cmocka_unit_test(test_command_all),
		cmocka_unit_test(test_command_subcommands),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_dbsize_time),
		cmocka_unit_test(test_replica_read_only),
		cmocka_unit_test(test_client_list_thread_exit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
