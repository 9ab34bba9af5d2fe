/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP connection and server commands: HELLO AUTH SELECT RESET CLIENT
 * COMMAND CONFIG DBSIZE TIME FLUSHDB FLUSHALL. Replies, error strings and order of checks
 * follow Redis 7.0 (src/networking.c, acl.c, config.c, server.c).
 *
 * Runs on the connection's worker. CONFIG SET writes the option table from
 * that worker: there is no management core command path yet (DESIGN.md says
 * run-time writes belong there). opt_set() frees a string option's old value,
 * so every read and write of the table made here holds opt_lock_strings(); readers
 * elsewhere of mutable string options would need the same (none on workers
 * today). Not on the request path: connect, AUTH, HELLO, RESET, CONFIG.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "dataplane/glob.h"
#include "dataplane/steer.h"
#include "platform/cmdstat.h"
#include "platform/errstat.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/persist.h"
#include "storage/repl.h"
#include "storage/shard.h"
#include "storage/storage.h"

static char *arg_dup(const struct ss_arg *a)
{
	return strndup(a->p, a->len);
}

/* requirepass is set (false before opt_setup(), in engine tests). */
static bool have_pass(void)
{
	const char *p;
	bool set;

	opt_lock_strings();
	p = opt_str(OPT_requirepass);
	set = p != NULL && p[0] != '\0';
	opt_unlock_strings();
	return set;
}

void conn_resp_reset(struct conn *c)
{
	c->w.proto = 2;
	c->authed = !have_pass();
	c->no_evict = false;
	free(c->name);
	c->name = NULL;
}

bool cmd_resp_auth_ok(struct conn *c, const struct cmd *cmd)
{
	if (c->authed || (cmd->flags & CMD_NO_AUTH))
		return true;
	resp_error(&c->w, "NOAUTH Authentication required.");
	return false;
}

/* ACLAuthenticateUser() for the one user we have, "default". Compared in
 * time independent of where the bytes differ. */
static bool auth_check(const struct ss_arg *user, const struct ss_arg *pass)
{
	if (!arg_is(user, "default"))
		return false;
	return opt_password_ok(OPT_requirepass, pass->p, pass->len);
}

static void wrongpass(struct conn *c)
{
	resp_error(&c->w, "WRONGPASS invalid username-password pair or user is disabled.");
}

void cmd_auth_finish(struct conn *c)
{
	static const struct ss_arg deflt = { "default", 7 };
	const struct ss_arg *user = &deflt, *pass = ARGV(c, 1);

	if (ARGC(c) > 3) {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	if (ARGC(c) == 2) {
		if (!have_pass()) {
			resp_error(&c->w, "ERR AUTH <password> called without any password "
				   "configured for the default user. Are you sure your "
				   "configuration is correct?");
			return;
		}
	} else {
		user = ARGV(c, 1);
		pass = ARGV(c, 2);
	}
	if (!auth_check(user, pass)) {
		wrongpass(c);
		return;
	}
	c->authed = true;
	resp_simple(&c->w, "OK");
}

/* clientSetName(): printable ASCII without spaces; empty clears. Replies
 * the error and returns false when the name is not acceptable. */
static bool valid_name(const struct ss_arg *a)
{
	for (size_t i = 0; i < a->len; i++)
		if (a->p[i] < '!' || a->p[i] > '~')
			return false;
	return true;
}

static bool set_name(struct conn *c, const struct ss_arg *a)
{
	if (!valid_name(a)) {
		resp_error(&c->w, "ERR Client names cannot contain spaces, newlines or "
			   "special characters.");
		return false;
	}
	free(c->name);
	c->name = a->len > 0 ? arg_dup(a) : NULL;
	return true;
}

void cmd_hello_finish(struct conn *c)
{
	const struct ss_arg *user = NULL, *pass = NULL, *name = NULL;
	long long ver = 0;
	uint32_t j = 1;

	if (ARGC(c) >= 2) {
		if (!arg_ll(ARGV(c, 1), &ver)) {
			resp_error(&c->w, "ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3) {
			resp_error(&c->w, "NOPROTO unsupported protocol version");
			return;
		}
		j = 2;
	}
	for (; j < ARGC(c); j++) {
		uint32_t more = ARGC(c) - 1 - j;
		if (arg_is(ARGV(c, j), "AUTH") && more >= 2) {
			user = ARGV(c, j + 1);
			pass = ARGV(c, j + 2);
			j += 2;
		} else if (arg_is(ARGV(c, j), "SETNAME") && more >= 1) {
			name = ARGV(c, j + 1);
			j++;
		} else {
			resp_error(&c->w, "ERR Syntax error in HELLO option '%.*s'",
				   (int)ARGV(c, j)->len, ARGV(c, j)->p);
			return;
		}
	}
	if (user != NULL) {
		if (!auth_check(user, pass)) {
			wrongpass(c);
			return;
		}
		c->authed = true;
	}
	if (!c->authed) {
		resp_error(&c->w, "NOAUTH HELLO must be called with the client already "
			   "authenticated, otherwise the HELLO AUTH <user> <pass> "
			   "option can be used to authenticate the client and select the "
			   "RESP protocol version at the same time");
		return;
	}
	if (name != NULL && !set_name(c, name))
		return;
	if (ver != 0)
		c->w.proto = (int)ver;
	resp_map(&c->w, 7);
	resp_cstr(&c->w, "server");
	resp_cstr(&c->w, "slipstream");
	resp_cstr(&c->w, "version");
	resp_cstr(&c->w, SS_VERSION);
	resp_cstr(&c->w, "proto");
	resp_int(&c->w, c->w.proto);
	resp_cstr(&c->w, "id");
	resp_int(&c->w, (long long)c->id);
	resp_cstr(&c->w, "mode");
	resp_cstr(&c->w, "standalone");
	resp_cstr(&c->w, "role");
	resp_cstr(&c->w, repl_is_replica() ? "replica" : "master");
	resp_cstr(&c->w, "modules");
	resp_array(&c->w, 0);
}

/* One keyspace: db 0 only (Redis has 16 by default). */
void cmd_select_finish(struct conn *c)
{
	long long id;

	if (!arg_ll(ARGV(c, 1), &id) || id < -2147483648LL || id > 2147483647LL)
		resp_error(&c->w, "ERR value is not an integer or out of range");
	else if (id != 0)
		resp_error(&c->w, "ERR DB index is out of range");
	else
		resp_simple(&c->w, "OK");
}

void cmd_reset_finish(struct conn *c)
{
	conn_resp_reset(c);
	resp_simple(&c->w, "RESET");
}

/* A container's subcommand named a, or NULL. */
static const struct cmd *find_sub(const struct cmd *container, const struct ss_arg *a)
{
	for (const struct cmd *s = container->subs; s != NULL && s->name != NULL; s++)
		if (arg_is(a, strchr(s->name, '|') + 1))
			return s;
	return NULL;
}

/* Container commands: look up the subcommand, check its arity, run it;
 * Redis's errors for each. */
/* Before AUTH, as Redis's processCommand: an unknown subcommand or a
 * subcommand's wrong arity is answered even to an unauthenticated client. */
bool cmd_resp_sub_ok(struct conn *c)
{
	const struct cmd *sub;

	if (c->cmd->subs == NULL || ARGC(c) < 2)
		return true;
	sub = find_sub(c->cmd, ARGV(c, 1));
	if (sub != NULL && (sub->arity > 0 ? ARGC(c) == (uint32_t)sub->arity
					   : ARGC(c) >= (uint32_t)-sub->arity))
		return true;
	cmd_run_subcmd(c);   /* replies the error */
	return false;
}

/* The command's name in capitals, as Redis's messages show it ("CLIENT"). */
static void upper_name(const struct cmd *cmd, char *out, size_t n)
{
	size_t i;

	for (i = 0; cmd->name[i] && i + 1 < n; i++)
		out[i] = (char)(cmd->name[i] - ('a' <= cmd->name[i] && cmd->name[i] <= 'z' ? 32 : 0));
	out[i] = '\0';
}

void cmd_run_subcmd(struct conn *c)
{
	const struct cmd *sub = find_sub(c->cmd, ARGV(c, 1));
	const struct ss_arg *a = ARGV(c, 1);
	char upper[16];

	if (sub == NULL) {
		upper_name(c->cmd, upper, sizeof(upper));
		resp_error(&c->w, "ERR unknown subcommand '%.*s'. Try %s HELP.",
			   (int)(a->len < 128 ? a->len : 128), a->p, upper);
		return;
	}
	if ((sub->arity > 0 && ARGC(c) != (uint32_t)sub->arity) ||
	    (sub->arity < 0 && ARGC(c) < (uint32_t)-sub->arity)) {
		resp_error(&c->w, "ERR wrong number of arguments for '%s' command", sub->name);
		return;
	}
	sub->finish(c);
}

/* Redis's addReplyHelp: a header naming the container, the given lines,
 * then HELP's own two lines, each a status reply. */
void cmd_reply_help(struct conn *c, const char *const *lines)
{
	char head[128], upper[32];
	size_t n = 0, i;

	upper_name(c->cmd, upper, sizeof(upper));
	while (lines[n] != NULL)
		n++;
	resp_array(&c->w, n + 3);
	snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		 upper);
	resp_simple(&c->w, head);
	for (i = 0; i < n; i++)
		resp_simple(&c->w, lines[i]);
	resp_simple(&c->w, "HELP");
	resp_simple(&c->w, "    Prints this help.");
}

static const char *const client_help[] = {
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"    * ID <client-id> [<client-id> ...]",
	"      Return clients of specified IDs only.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	NULL,
};

static void client_help_cmd(struct conn *c)
{
	cmd_reply_help(c, client_help);
}

static const char *const command_help[] = {
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	NULL,
};

static void command_help_cmd(struct conn *c)
{
	cmd_reply_help(c, command_help);
}

static const char *const config_help[] = {
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	NULL,
};

static void config_help_cmd(struct conn *c)
{
	cmd_reply_help(c, config_help);
}

static bool sub_arity_ok(const struct conn *c, const struct cmd *sub)
{
	return (sub->arity > 0 && ARGC(c) == (uint32_t)sub->arity) ||
	       (sub->arity < 0 && ARGC(c) >= (uint32_t)-sub->arity);
}

int cmd_sub_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct cmd *sub = find_sub(c->cmd, ARGV(c, 1));

	/* errors (unknown subcommand, arity) are replied by the finish */
	if (sub == NULL || sub->plan == NULL || !sub_arity_ok(c, sub))
		return 1;
	return sub->plan(c, i, op);
}

void cmd_sub_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	find_sub(c->cmd, ARGV(c, 1))->emit(c, i, op, r);
}

static void client_id(struct conn *c)
{
	resp_int(&c->w, (long long)c->id);
}

static void client_setname(struct conn *c)
{
	if (set_name(c, ARGV(c, 2)))
		resp_simple(&c->w, "OK");
}

static void client_getname(struct conn *c)
{
	if (c->name != NULL)
		resp_cstr(&c->w, c->name);
	else
		resp_null(&c->w);
}

/* Redis 7.2's CLIENT SETINFO (7.0 has none): LIB-NAME without spaces,
 * LIB-VER anything printable; shown by CLIENT LIST/INFO once those exist. */
static void client_setinfo(struct conn *c)
{
	const struct ss_arg *attr = ARGV(c, 2), *val = ARGV(c, 3);
	char **slot;

	if (arg_is(attr, "lib-name"))
		slot = &c->lib_name;
	else if (arg_is(attr, "lib-ver"))
		slot = &c->lib_ver;
	else {
		resp_error(&c->w, "ERR Unrecognized option '%.*s'", (int)attr->len, attr->p);
		return;
	}
	for (size_t i = 0; i < val->len; i++) {
		if (val->p[i] < '!' || val->p[i] > '~') {
			resp_error(&c->w, "ERR %s cannot contain spaces, newlines or special "
				   "characters.", slot == &c->lib_name ? "lib-name" : "lib-ver");
			return;
		}
	}
	free(*slot);
	*slot = val->len > 0 ? arg_dup(val) : NULL;
	resp_simple(&c->w, "OK");
}

/* No client eviction exists yet (there is no maxmemory-clients); the flag
 * is kept so that it takes effect when it does. */
static void client_no_evict(struct conn *c)
{
	if (arg_is(ARGV(c, 2), "on")) {
		c->no_evict = true;
	} else if (arg_is(ARGV(c, 2), "off")) {
		c->no_evict = false;
	} else {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	resp_simple(&c->w, "OK");
}

#define SUB_CONN (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

/* LIST, INFO and KILL: cmd_resp_clients.c */
const struct cmd cmd_client_subs[] = {
	{ .name = "client|list", .arity = -2, .plan = cmd_client_list_plan,
	  .emit = cmd_client_list_emit, .finish = cmd_client_list_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
	  .acl = "@admin @slow @dangerous @connection", .group = "connection",
	  .tips = "nondeterministic_output", .since = "2.4.0",
	  .summary = "Get the list of client connections",
	  .complexity = "O(N) where N is the number of client connections" },
	{ .name = "client|info", .arity = 2, .finish = cmd_client_info_finish,
	  .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
	  .acl = "@slow @connection", .group = "connection",
	  .tips = "nondeterministic_output", .since = "6.2.0",
	  .summary = "Returns information about the current client connection.",
	  .complexity = "O(1)" },
	{ .name = "client|kill", .arity = -3, .plan = cmd_client_kill_plan,
	  .emit = cmd_client_kill_emit, .finish = cmd_client_kill_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
	  .acl = "@admin @slow @dangerous @connection", .group = "connection",
	  .since = "2.4.0", .summary = "Kill the connection of a client",
	  .complexity = "O(N) where N is the number of client connections" },
	{ .name = "client|id", .arity = 2, .finish = client_id, .flags = SUB_CONN,
	  .acl = "@slow @connection", .group = "connection", .since = "5.0.0",
	  .summary = "Returns the client ID for the current connection", .complexity = "O(1)" },
	{ .name = "client|setname", .arity = 3, .finish = client_setname, .flags = SUB_CONN,
	  .acl = "@slow @connection", .group = "connection", .since = "2.6.9",
	  .summary = "Set the current connection name", .complexity = "O(1)" },
	{ .name = "client|getname", .arity = 2, .finish = client_getname, .flags = SUB_CONN,
	  .acl = "@slow @connection", .group = "connection", .since = "2.6.9",
	  .summary = "Get the current connection name", .complexity = "O(1)" },
	{ .name = "client|setinfo", .arity = 4, .finish = client_setinfo, .flags = SUB_CONN,
	  .acl = "@slow @connection", .group = "connection", .since = "7.2.0",
	  .summary = "Set client or connection specific info", .complexity = "O(1)" },
	{ .name = "client|help", .arity = 2, .finish = client_help_cmd,
	  .flags = CMD_LOADING | CMD_STALE, .acl = "@slow @connection", .group = "connection",
	  .since = "5.0.0", .summary = "Show helpful text about the different subcommands",
	  .complexity = "O(1)" },
	{ .name = "client|no-evict", .arity = 3, .finish = client_no_evict,
	  .flags = CMD_ADMIN | SUB_CONN, .acl = "@admin @slow @dangerous @connection",
	  .group = "connection", .since = "7.0.0",
	  .summary = "Set client eviction mode for the current connection", .complexity = "O(1)" },
	{ .name = NULL },
};

void cmd_client_finish(struct conn *c)
{
	cmd_run_subcmd(c);
}

/* ---- COMMAND ---- */

static const char *const flag_names[CMD__NFLAGS] = {
	"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
	"loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
	"no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
};

/* Words of a space separated list, as a set of status replies. */
static size_t count_words(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s; s++)
		if (*s != ' ' && (s[1] == ' ' || s[1] == '\0'))
			n++;
	return n;
}

static void reply_words(struct conn *c, const char *s)
{
	resp_set(&c->w, count_words(s));
	while (s != NULL && *s) {
		char word[64];
		size_t n = strcspn(s, " ");
		if (n > 0) {
			snprintf(word, sizeof(word), "%.*s", (int)n, s);
			resp_simple(&c->w, word);
		}
		s += n;
		s += *s == ' ';
	}
}

static size_t count_subs(const struct cmd *cmd)
{
	size_t n = 0;

	for (const struct cmd *s = cmd->subs; s != NULL && s->name != NULL; s++)
		n++;
	return n;
}

/* COMMAND INFO and DOCS also take "container|subcommand". */
static const struct cmd *lookup_full(const struct ss_arg *a)
{
	const char *bar = memchr(a->p, '|', a->len);
	struct ss_arg head, tail;
	const struct cmd *cmd;

	if (bar == NULL)
		return cmd_resp_lookup(a);
	head.p = a->p;
	head.len = (size_t)(bar - a->p);
	tail.p = bar + 1;
	tail.len = a->len - head.len - 1;
	cmd = cmd_resp_lookup(&head);
	return cmd != NULL ? find_sub(cmd, &tail) : NULL;
}

static void command_info(struct conn *c, const struct cmd *cmd)
{
	size_t nflags = 0;

	if (cmd == NULL) {
		resp_null(&c->w);
		return;
	}
	resp_array(&c->w, 10);
	resp_cstr(&c->w, cmd->name);
	resp_int(&c->w, cmd->arity);
	for (int i = 0; i < CMD__NFLAGS; i++)
		nflags += (cmd->flags >> i) & 1;
	resp_set(&c->w, nflags);
	for (int i = 0; i < CMD__NFLAGS; i++)
		if (cmd->flags & (1u << i))
			resp_simple(&c->w, flag_names[i]);
	resp_int(&c->w, cmd->first_key);
	resp_int(&c->w, cmd->last_key);
	resp_int(&c->w, cmd->key_step);
	reply_words(c, cmd->acl);
	resp_set(&c->w, count_words(cmd->tips));
	for (const char *t = cmd->tips; t != NULL && *t;) {
		size_t n = strcspn(t, " ");
		resp_bulk(&c->w, t, n);
		t += n;
		t += *t == ' ';
	}
	/* Key specs: one index/range spec made from first, last and step. */
	if (cmd->first_key == 0) {
		resp_set(&c->w, 0);
	} else {
		resp_set(&c->w, 1);
		resp_map(&c->w, cmd->key_notes != NULL ? 4 : 3);
		if (cmd->key_notes != NULL) {
			resp_cstr(&c->w, "notes");
			resp_cstr(&c->w, cmd->key_notes);
		}
		resp_cstr(&c->w, "flags");
		reply_words(c, cmd->key_flags);
		resp_cstr(&c->w, "begin_search");
		resp_map(&c->w, 2);
		resp_cstr(&c->w, "type");
		resp_cstr(&c->w, "index");
		resp_cstr(&c->w, "spec");
		resp_map(&c->w, 1);
		resp_cstr(&c->w, "index");
		resp_int(&c->w, cmd->first_key);
		resp_cstr(&c->w, "find_keys");
		resp_map(&c->w, 2);
		resp_cstr(&c->w, "type");
		resp_cstr(&c->w, "range");
		resp_cstr(&c->w, "spec");
		resp_map(&c->w, 3);
		resp_cstr(&c->w, "lastkey");
		resp_int(&c->w, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
		resp_cstr(&c->w, "keystep");
		resp_int(&c->w, cmd->key_step);
		resp_cstr(&c->w, "limit");
		resp_int(&c->w, 0);
	}
	resp_set(&c->w, count_subs(cmd));
	for (const struct cmd *sub = cmd->subs; sub != NULL && sub->name != NULL; sub++)
		command_info(c, sub);
}

static void command_docs(struct conn *c, const struct cmd *cmd)
{
	resp_cstr(&c->w, cmd->name);
	/* Redis leaves out what a command's doc does not give (PSYNC: no complexity) */
	resp_map(&c->w, 3 + (cmd->complexity != NULL) + (cmd->subs != NULL));
	resp_cstr(&c->w, "summary");
	resp_cstr(&c->w, cmd->summary);
	resp_cstr(&c->w, "since");
	resp_cstr(&c->w, cmd->since);
	resp_cstr(&c->w, "group");
	resp_cstr(&c->w, cmd->group);
	if (cmd->complexity != NULL) {
		resp_cstr(&c->w, "complexity");
		resp_cstr(&c->w, cmd->complexity);
	}
	if (cmd->subs != NULL) {
		resp_cstr(&c->w, "subcommands");
		resp_map(&c->w, count_subs(cmd));
		for (const struct cmd *sub = cmd->subs; sub->name != NULL; sub++)
			command_docs(c, sub);
	}
}

static void command_all(struct conn *c)
{
	size_t n;
	const struct cmd *t = cmd_resp_table(&n);

	resp_array(&c->w, n);
	for (size_t i = 0; i < n; i++)
		command_info(c, &t[i]);
}

static void command_count(struct conn *c)
{
	size_t n;

	cmd_resp_table(&n);
	resp_int(&c->w, (long long)n);
}


/* COMMAND LIST FILTERBY ACLCAT cat | PATTERN glob | MODULE name. */
static bool list_filter(struct conn *c, const struct cmd *cmd)
{
	const struct ss_arg *how, *arg;

	if (ARGC(c) == 2)
		return true;
	how = ARGV(c, 3);
	arg = ARGV(c, 4);
	if (arg_is(how, "pattern"))
		return ss_glob_match(arg->p, arg->len, cmd->name, strlen(cmd->name), true);
	if (arg_is(how, "aclcat")) {
		for (const char *w = cmd->acl; w != NULL && *w;) {
			size_t n = strcspn(w, " ");
			if (n == arg->len + 1 && w[0] == '@' &&
			    strncasecmp(w + 1, arg->p, arg->len) == 0)
				return true;
			w += n;
			w += *w == ' ';
		}
		return false;
	}
	return false;   /* MODULE: no modules */
}

/* Every command and subcommand, each container followed by its subcommands
 * (Redis's order is its hash table's; ours is the table's). */
static void command_list(struct conn *c)
{
	size_t n, count = 0;
	const struct cmd *t = cmd_resp_table(&n);

	if (ARGC(c) != 2 &&
	    !(ARGC(c) == 5 && arg_is(ARGV(c, 2), "filterby") &&
	      (arg_is(ARGV(c, 3), "pattern") || arg_is(ARGV(c, 3), "aclcat") ||
	       arg_is(ARGV(c, 3), "module")))) {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			resp_array(&c->w, count);
		for (size_t i = 0; i < n; i++) {
			if (list_filter(c, &t[i])) {
				if (pass == 0)
					count++;
				else
					resp_cstr(&c->w, t[i].name);
			}
			for (const struct cmd *sub = t[i].subs; sub != NULL && sub->name; sub++) {
				if (!list_filter(c, sub))
					continue;
				if (pass == 0)
					count++;
				else
					resp_cstr(&c->w, sub->name);
			}
		}
	}
}

static void command_info_cmd(struct conn *c)
{
	if (ARGC(c) == 2) {
		command_all(c);
		return;
	}
	resp_array(&c->w, ARGC(c) - 2);
	for (uint32_t i = 2; i < ARGC(c); i++)
		command_info(c, lookup_full(ARGV(c, i)));
}

static void command_docs_cmd(struct conn *c)
{
	size_t n, found = 0;
	const struct cmd *t = cmd_resp_table(&n);

	if (ARGC(c) == 2) {
		resp_map(&c->w, n);
		for (size_t i = 0; i < n; i++)
			command_docs(c, &t[i]);
		return;
	}
	for (uint32_t i = 2; i < ARGC(c); i++)
		found += lookup_full(ARGV(c, i)) != NULL;
	resp_map(&c->w, found);
	for (uint32_t i = 2; i < ARGC(c); i++) {
		const struct cmd *cmd = lookup_full(ARGV(c, i));
		if (cmd != NULL)
			command_docs(c, cmd);
	}
}

#define SUB_COMMAND .flags = CMD_LOADING | CMD_STALE, .acl = "@slow @connection", \
	.group = "server"

const struct cmd cmd_command_subs[] = {
	{ .name = "command|help", .arity = 2, .finish = command_help_cmd, SUB_COMMAND,
	  .since = "5.0.0", .summary = "Show helpful text about the different subcommands",
	  .complexity = "O(1)" },
	{ .name = "command|count", .arity = 2, .finish = command_count, SUB_COMMAND,
	  .since = "2.8.13", .summary = "Get total number of Redis commands",
	  .complexity = "O(1)" },
	{ .name = "command|list", .arity = -2, .finish = command_list, SUB_COMMAND,
	  .tips = "nondeterministic_output_order", .since = "7.0.0",
	  .summary = "Get an array of Redis command names",
	  .complexity = "O(N) where N is the total number of Redis commands" },
	{ .name = "command|info", .arity = -2, .finish = command_info_cmd, SUB_COMMAND,
	  .tips = "nondeterministic_output_order", .since = "2.8.13",
	  .summary = "Get array of specific Redis command details, or all when no argument is given.",
	  .complexity = "O(N) where N is the number of commands to look up" },
	{ .name = "command|docs", .arity = -2, .finish = command_docs_cmd, SUB_COMMAND,
	  .tips = "nondeterministic_output_order", .since = "7.0.0",
	  .summary = "Get array of specific Redis command documentation",
	  .complexity = "O(N) where N is the number of commands to look up" },
	{ .name = NULL },
};

void cmd_command_finish(struct conn *c)
{
	if (ARGC(c) == 1)
		command_all(c);
	else
		cmd_run_subcmd(c);
}

/* ---- CONFIG ---- */


static void config_get(struct conn *c)
{
	bool hit[OPT__COUNT] = { false };
	size_t n = 0;
	char val[1024];

	for (uint32_t i = 2; i < ARGC(c); i++)
		for (int id = 0; id < OPT__COUNT; id++) {
			const char *name = opt_name((enum opt_id)id);
			if (!hit[id] && ss_glob_match(ARGV(c, i)->p, ARGV(c, i)->len,
						   name, strlen(name), 1)) {
				hit[id] = true;
				n++;
			}
		}
	resp_map(&c->w, n);
	for (int id = 0; id < OPT__COUNT; id++) {
		if (!hit[id])
			continue;
		resp_cstr(&c->w, opt_name((enum opt_id)id));
		if (id == OPT_replicaof) {
			/* REPLICAOF changes it at run time, as in Redis */
			struct repl_status st;
			repl_status_get(&st);
			if (st.replica)
				snprintf(val, sizeof(val), "%s %d", st.host, st.port);
			else
				val[0] = '\0';
		} else {
			opt_lock_strings();
			opt_format((enum opt_id)id, val, sizeof(val));
			opt_unlock_strings();
		}
		resp_cstr(&c->w, val);
	}
}

static void config_set(struct conn *c)
{
	uint32_t npairs = (ARGC(c) - 2) / 2;
	int ids[64];
	char *old[64] = { NULL };
	const struct ss_arg *unknown = NULL;
	const struct ss_arg *bad = NULL;
	const char *why = NULL;
	char err[256], name[128];
	uint32_t done = 0;

	if (ARGC(c) % 2 != 0) {   /* a name without a value (arity says >= 4) */
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	if (npairs > sizeof(ids) / sizeof(ids[0])) {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	for (uint32_t i = 0; i < npairs && why == NULL; i++) {
		const struct ss_arg *a = ARGV(c, 2 + 2 * i);
		snprintf(name, sizeof(name), "%.*s", (int)(a->len < 127 ? a->len : 127), a->p);
		ids[i] = a->len < 127 ? opt_find(name) : -1;
		if (ids[i] < 0) {
			if (unknown == NULL)
				unknown = a;
			continue;
		}
		if (!(opt_flags((enum opt_id)ids[i]) & OPT_F_MUTABLE)) {
			bad = a;
			why = "can't set immutable config";
			break;
		}
		for (uint32_t j = 0; j < i; j++)
			if (ids[j] == ids[i]) {
				bad = a;
				why = "duplicate parameter";
			}
	}
	if (unknown != NULL) {
		resp_error(&c->w, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
			   (int)unknown->len, unknown->p);
		return;
	}
	if (why != NULL) {
		resp_error(&c->w, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
			   (int)bad->len, bad->p, why);
		return;
	}
	/* All or nothing: keep each old value, put them back on a failure. */
	opt_lock_strings();
	for (; done < npairs; done++) {
		const struct ss_arg *a = ARGV(c, 2 + 2 * done), *v = ARGV(c, 3 + 2 * done);
		char vbuf[1024];
		enum opt_id id = (enum opt_id)ids[done];

		old[done] = malloc(1024);
		if (old[done] == NULL)
			break;
		opt_format(id, old[done], 1024);
		if (v->len >= sizeof(vbuf) || memchr(v->p, '\0', v->len) != NULL) {
			bad = a;
			snprintf(err, sizeof(err), "argument is too long or holds NUL");
			break;
		}
		memcpy(vbuf, v->p, v->len);
		vbuf[v->len] = '\0';
		if (opt_set(id, vbuf, err, sizeof(err)) != 0) {
			bad = a;
			break;
		}
	}
	if (done < npairs) {
		char ignored[64];
		for (uint32_t i = 0; i < done; i++)
			opt_set((enum opt_id)ids[i], old[i], ignored, sizeof(ignored));
		opt_unlock_strings();
		if (bad != NULL)
			resp_error(&c->w, "ERR CONFIG SET failed (possibly related to argument "
				   "'%.*s') - %s", (int)bad->len, bad->p, err);
		else
			resp_error(&c->w, "ERR out of memory");
	} else {
		opt_unlock_strings();
		resp_simple(&c->w, "OK");
	}
	for (uint32_t i = 0; i < npairs; i++)
		free(old[i]);
}

/* As Redis: the INFO stats counters, commandstats and latency histograms
 * start again from zero (the slow log and LATENCY keep theirs). */
static void config_resetstat(struct conn *c)
{
	metric_reset_counters();
	cmdstat_reset();
	errstat_reset();
	resp_simple(&c->w, "OK");
}

#define SUB_CONFIG .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, \
	.acl = "@admin @slow @dangerous", .group = "server", .since = "2.0.0"

const struct cmd cmd_config_subs[] = {
	{ .name = "config|get", .arity = -3, .finish = config_get, SUB_CONFIG,
	  .summary = "Get the values of configuration parameters",
	  .complexity = "O(N) when N is the number of configuration parameters provided" },
	{ .name = "config|set", .arity = -4, .finish = config_set, SUB_CONFIG,
	  .tips = "request_policy:all_nodes response_policy:all_succeeded",
	  .summary = "Set configuration parameters to the given values",
	  .complexity = "O(N) when N is the number of configuration parameters provided" },
	{ .name = "config|help", .arity = 2, .finish = config_help_cmd,
	  .flags = CMD_LOADING | CMD_STALE, .acl = "@slow", .group = "server",
	  .since = "5.0.0", .summary = "Show helpful text about the different subcommands",
	  .complexity = "O(1)" },
	{ .name = "config|resetstat", .arity = 2, .finish = config_resetstat, SUB_CONFIG,
	  .summary = "Reset the stats returned by INFO", .complexity = "O(1)" },
	{ .name = NULL },
};

void cmd_config_finish(struct conn *c)
{
	cmd_run_subcmd(c);
}

/* ---- FLUSHDB / FLUSHALL ---- */

/* On each worker in turn: drop its shard's items now. */
static void flush_now(struct shard *s, const struct kop *op, struct kop_result *res,
		      int64_t now_ms)
{
	(void)op;
	shard_flush_local(s, now_ms, now_ms);
	res->status = SS_OK;
}

/* [ASYNC|SYNC]: both free synchronously, worker by worker; the reply comes
 * once every shard is empty, which satisfies either. */
int cmd_flush_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (ARGC(c) > 2 || (ARGC(c) == 2 && !arg_is(ARGV(c, 1), "async") &&
			    !arg_is(ARGV(c, 1), "sync")))
		return 1;
	if (i >= steer_workers())
		return 1;
	op->fn = flush_now;
	op->target = (int)i;
	return 0;
}

void cmd_flush_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	(void)c;
	(void)i;
	(void)op;
	(void)r;
}

void cmd_flush_finish(struct conn *c)
{
	if (ARGC(c) > 2 || (ARGC(c) == 2 && !arg_is(ARGV(c, 1), "async") &&
			    !arg_is(ARGV(c, 1), "sync")))
		resp_error(&c->w, "ERR syntax error");
	else
		resp_simple(&c->w, "OK");
}

/* ---- BGSAVE, LASTSAVE ---- */

/* The management core takes the snapshot; the workers copy their items
 * as of its start between requests (storage/persist.h). */
void cmd_bgsave_finish(struct conn *c)
{
	bool schedule = ARGC(c) == 2 && arg_is(ARGV(c, 1), "schedule");

	if (ARGC(c) > 2 || (ARGC(c) == 2 && !schedule)) {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	if (persist_request() == SS_OK) {
		resp_simple(&c->w, "Background saving started");
		return;
	}
	if (schedule) {
		/* Redis runs it once the current one ends: so does the request
		 * flag, which the management core takes after it finishes. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		persist_request_after();
		resp_simple(&c->w, "Background saving scheduled");
		return;
	}
	resp_error(&c->w, "ERR Background save already in progress");
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: the management core shuts
 * down (with a last snapshot as the mode says); the caller's connection
 * closes without a reply, as Redis's does when it exits. NOW is accepted
 * (there are no replicas to wait for). */
void cmd_shutdown_finish(struct conn *c)
{
	int mode = PERSIST_SHUTDOWN_DEFAULT;
	bool force = false, abort_ = false;

	for (uint32_t i = 1; i < ARGC(c); i++) {
		const struct ss_arg *a = ARGV(c, i);
		if (arg_is(a, "nosave") && mode == PERSIST_SHUTDOWN_DEFAULT)
			mode = PERSIST_SHUTDOWN_NOSAVE;
		else if (arg_is(a, "save") && mode == PERSIST_SHUTDOWN_DEFAULT)
			mode = PERSIST_SHUTDOWN_SAVE;
		else if (arg_is(a, "now"))
			;
		else if (arg_is(a, "force"))
			force = true;
		else if (arg_is(a, "abort"))
			abort_ = true;
		else {
			resp_error(&c->w, "ERR syntax error");
			return;
		}
	}
	if (abort_) {
		if (ARGC(c) != 2)
			resp_error(&c->w, "ERR syntax error");
		else
			resp_error(&c->w, "ERR No shutdown in progress.");
		return;
	}
	persist_shutdown_request(mode, force);
	c->closing = true;
}

/* SAVE: the same snapshot as BGSAVE, and the caller waits for it to be on
 * disk. Only the caller: its worker and every other client go on (Redis
 * blocks the whole server). */
int cmd_save_wait(struct conn *c, bool first, struct kop_result *res)
{
	struct persist_info i;

	persist_info_get(&i);
	if (first) {
		if (i.in_progress) {
			res->status = -EBUSY;
			return 1;
		}
		/* The first snapshot to begin after this one's count did begin
		 * after SAVE came: it holds every write before it. One asked for
		 * already (BGSAVE, not yet begun) serves as well as a new one. */
		c->wait_arg = i.begun;
		(void)persist_request();
		return 0;
	}
	if (i.ended <= c->wait_arg)
		return 0;
	res->status = i.last_ok ? SS_OK : -EIO;
	return 1;
}

void cmd_save_emit(struct conn *c, uint32_t i, const struct kop *op,
		   const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == SS_OK)
		resp_simple(&c->w, "OK");
	else if (r->status == -EBUSY)
		resp_error(&c->w, "ERR Background save already in progress");
	else
		resp_error(&c->w, "ERR");   /* Redis's shared.err; the log says why */
}

void cmd_lastsave_finish(struct conn *c)
{
	struct persist_info i;

	persist_info_get(&i);
	resp_int(&c->w, (long long)i.last_save_s);
}

void cmd_dbsize_finish(struct conn *c)
{
	resp_int(&c->w, (long long)storage_keys());
}

void cmd_time_finish(struct conn *c)
{
	struct timespec ts;
	char s[32], us[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(s, sizeof(s), "%lld", (long long)ts.tv_sec);
	snprintf(us, sizeof(us), "%ld", ts.tv_nsec / 1000);
	resp_array(&c->w, 2);
	resp_cstr(&c->w, s);
	resp_cstr(&c->w, us);
}
