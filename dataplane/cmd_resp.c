/* SPDX-License-Identifier: BSD-3-Clause */
/* The RESP command table: Redis 7 names, arities, replies and errors. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dataplane/conn_priv.h"
#include "dataplane/proto/resp_reply.h"
#include "platform/status.h"

#define ARGV(c, i) (&(c)->resp.argv[i])

static void ping_finish(struct conn *c)
{
	if (c->resp.argc > 2)
		resp_error(&c->w, "ERR wrong number of arguments for 'ping' command");
	else if (c->resp.argc == 2)
		resp_bulk(&c->w, ARGV(c, 1)->p, ARGV(c, 1)->len);
	else
		resp_simple(&c->w, "PONG");
}

static void echo_finish(struct conn *c)
{
	resp_bulk(&c->w, ARGV(c, 1)->p, ARGV(c, 1)->len);
}

static void quit_finish(struct conn *c)
{
	resp_simple(&c->w, "OK");
	c->closing = true;
}

static int get_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_get;
	op->key = *ARGV(c, 1);
	return 0;
}

static void get_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == 1)
		resp_bulk(&c->w, r->val.p, r->val.len);
	else if (r->status == 0)
		resp_null(&c->w);
	else
		resp_error(&c->w, "ERR out of memory");
}

static int set_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || c->resp.argc != 3)
		return 1;
	op->fn = kop_set;
	op->key = *ARGV(c, 1);
	op->val = *ARGV(c, 2);
	op->flags = 0;
	op->expire_ms = 0;
	return 0;
}

static void set_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == SS_OK)
		resp_simple(&c->w, "OK");
	else
		resp_error(&c->w, "OOM command not allowed when used memory > 'maxmemory'.");
}

/* SET's options (EX, PX, NX, XX, GET, KEEPTTL ...) arrive with the protocol
 * work; until then anything after the value is a syntax error, as Redis
 * says for options it does not know. */
static void set_finish(struct conn *c)
{
	if (c->resp.argc != 3)
		resp_error(&c->w, "ERR syntax error");
}

static int del_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i + 1 >= c->resp.argc)
		return 1;
	op->fn = kop_del;
	op->key = *ARGV(c, i + 1);
	return 0;
}

static void del_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	(void)op;
	c->acc += r->status == 1;
}

static void del_finish(struct conn *c)
{
	resp_int(&c->w, c->acc);
}

#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY)

/* Metadata as Redis 7.0 reports it in COMMAND INFO and COMMAND DOCS. */
static const struct cmd resp_cmds[] = {
	{ .name = "ping", .arity = -1, .finish = ping_finish, .flags = CMD_FAST,
	  .tips = "request_policy:all_shards response_policy:all_succeeded",
	  .acl = "@fast @connection", .group = "connection", .since = "1.0.0",
	  .summary = "Ping the server", .complexity = "O(1)" },
	{ .name = "echo", .arity = 2, .finish = echo_finish,
	  .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
	  .acl = "@fast @connection", .group = "connection", .since = "1.0.0",
	  .summary = "Echo the given string", .complexity = "O(1)" },
	{ .name = "quit", .arity = -1, .finish = quit_finish,
	  .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
	  .acl = "@fast @connection", .group = "connection", .since = "1.0.0",
	  .summary = "Close the connection", .complexity = "O(1)" },
	{ .name = "get", .arity = 2, .plan = get_plan, .emit = get_emit,
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@read @string @fast", .key_flags = "RO access", .group = "string",
	  .since = "1.0.0", .summary = "Get the value of a key", .complexity = "O(1)" },
	{ .name = "set", .arity = -3, .plan = set_plan, .emit = set_emit, .finish = set_finish,
	  .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @slow", .key_flags = "RW access update variable_flags",
	  .key_notes = "RW and ACCESS due to the optional `GET` argument",
	  .group = "string", .since = "1.0.0", .summary = "Set the string value of a key",
	  .complexity = "O(1)" },
	{ .name = "del", .arity = -2, .plan = del_plan, .emit = del_emit, .finish = del_finish,
	  .flags = CMD_WRITE, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@keyspace @write @slow", .key_flags = "RM delete", .group = "generic",
	  .tips = "request_policy:multi_shard response_policy:agg_sum",
	  .since = "1.0.0", .summary = "Delete a key",
	  .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1)." },
	{ .name = "hello", .arity = -1, .finish = cmd_hello_finish, .flags = CONN_FLAGS,
	  .acl = "@fast @connection", .group = "connection", .since = "6.0.0",
	  .summary = "Handshake with Redis", .complexity = "O(1)" },
	{ .name = "auth", .arity = -2, .finish = cmd_auth_finish, .flags = CONN_FLAGS,
	  .acl = "@fast @connection", .group = "connection", .since = "1.0.0",
	  .summary = "Authenticate to the server",
	  .complexity = "O(N) where N is the number of passwords defined for the user" },
	{ .name = "select", .arity = 2, .finish = cmd_select_finish,
	  .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
	  .acl = "@fast @connection", .group = "connection", .since = "1.0.0",
	  .summary = "Change the selected database for the current connection",
	  .complexity = "O(1)" },
	{ .name = "reset", .arity = 1, .finish = cmd_reset_finish, .flags = CONN_FLAGS,
	  .acl = "@fast @connection", .group = "connection", .since = "6.2.0",
	  .summary = "Reset the connection", .complexity = "O(1)" },
	{ .name = "client", .arity = -2, .plan = cmd_sub_plan, .emit = cmd_sub_emit,
	  .finish = cmd_client_finish, .subs = cmd_client_subs,
	  .acl = "@slow", .group = "connection", .since = "2.4.0",
	  .summary = "A container for client connection commands",
	  .complexity = "Depends on subcommand." },
	{ .name = "command", .arity = -1, .finish = cmd_command_finish, .subs = cmd_command_subs,
	  .flags = CMD_LOADING | CMD_STALE,
	  .tips = "nondeterministic_output_order",
	  .acl = "@slow @connection", .group = "server", .since = "2.8.13",
	  .summary = "Get array of Redis command details",
	  .complexity = "O(N) where N is the total number of Redis commands" },
	{ .name = "config", .arity = -2, .finish = cmd_config_finish, .subs = cmd_config_subs,
	  .acl = "@slow", .group = "server", .since = "2.0.0",
	  .summary = "A container for server configuration commands",
	  .complexity = "Depends on subcommand." },
	{ .name = "dbsize", .arity = 1, .finish = cmd_dbsize_finish,
	  .flags = CMD_READONLY | CMD_FAST,
	  .tips = "request_policy:all_shards response_policy:agg_sum",
	  .acl = "@keyspace @read @fast", .group = "server", .since = "1.0.0",
	  .summary = "Return the number of keys in the selected database",
	  .complexity = "O(1)" },
	{ .name = "info", .arity = -1, .finish = cmd_info_finish,
	  .flags = CMD_LOADING | CMD_STALE,
	  .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
	  .acl = "@slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Get information and statistics about the server",
	  .complexity = "O(1)" },
	{ .name = "flushdb", .arity = -1, .plan = cmd_flush_plan, .emit = cmd_flush_emit,
	  .finish = cmd_flush_finish, .flags = CMD_WRITE,
	  .tips = "request_policy:all_shards response_policy:all_succeeded",
	  .acl = "@keyspace @write @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Remove all keys from the current database",
	  .complexity = "O(N) where N is the number of keys in the selected database" },
	{ .name = "flushall", .arity = -1, .plan = cmd_flush_plan, .emit = cmd_flush_emit,
	  .finish = cmd_flush_finish, .flags = CMD_WRITE,
	  .tips = "request_policy:all_shards response_policy:all_succeeded",
	  .acl = "@keyspace @write @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Remove all keys from all databases",
	  .complexity = "O(N) where N is the total number of keys in all databases" },
	{ .name = "slowlog", .arity = -2, .finish = cmd_slowlog_finish, .subs = cmd_slowlog_subs,
	  .acl = "@slow", .group = "server", .since = "2.2.12",
	  .summary = "A container for slow log commands", .complexity = "Depends on subcommand." },
	{ .name = "latency", .arity = -2, .finish = cmd_latency_finish, .subs = cmd_latency_subs,
	  .acl = "@slow", .group = "server", .since = "2.8.13",
	  .summary = "A container for latency diagnostics commands",
	  .complexity = "Depends on subcommand." },
	{ .name = "debug", .arity = -2, .finish = cmd_debug_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "A container for debugging commands", .complexity = "Depends on subcommand." },
	{ .name = "time", .arity = 1, .finish = cmd_time_finish,
	  .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
	  .tips = "nondeterministic_output",
	  .acl = "@fast", .group = "server", .since = "2.6.0",
	  .summary = "Return the current server time", .complexity = "O(1)" },
};

const struct cmd *cmd_resp_table(size_t *n)
{
	*n = sizeof(resp_cmds) / sizeof(resp_cmds[0]);
	return resp_cmds;
}

const struct cmd *cmd_resp_lookup(const struct ss_arg *name)
{
	for (size_t i = 0; i < sizeof(resp_cmds) / sizeof(resp_cmds[0]); i++) {
		const struct cmd *cmd = &resp_cmds[i];
		if (strlen(cmd->name) == name->len &&
		    strncasecmp(cmd->name, name->p, name->len) == 0)
			return cmd;
	}
	return NULL;
}

void cmd_resp_reject(struct conn *c, const struct cmd *cmd)
{
	char args[256];
	size_t n = 0;

	if (cmd != NULL) {
		resp_error(&c->w, "ERR wrong number of arguments for '%s' command",
			   cmd->name);
		return;
	}
	/* Redis 7: quote arguments while fewer than 128 characters are shown. */
	args[0] = '\0';
	for (uint32_t i = 1; i < c->resp.argc && n < 128; i++) {
		const struct ss_arg *a = ARGV(c, i);
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(a->len < 128 - n ? a->len : 128 - n), a->p);
		if (w > 0)
			n += (size_t)w;
	}
	resp_error(&c->w, "ERR unknown command '%.*s', with args beginning with: %s",
		   (int)(ARGV(c, 0)->len < 128 ? ARGV(c, 0)->len : 128), ARGV(c, 0)->p, args);
}
