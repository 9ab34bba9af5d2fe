/* SPDX-License-Identifier: BSD-3-Clause */
/* The RESP command table: Redis 7 names, arities, replies and errors. */
#include <stdio.h>
#include <string.h>

#include "dataplane/cmd_resp_data.h"
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
	/* Strings and keys (cmd_resp_string.c, cmd_resp_keys.c). RENAME and
	 * RENAMENX have two key specs in Redis (source, target); COMMAND INFO
	 * here shows one spec, the source's flags over both keys. */
	{ .name = "get", .arity = 2, CMD_FNS(get),
	  .flags = CMD_READONLY | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@read @string @fast",
	  .key_flags = "RO access",
	  .group = "string", .since = "1.0.0",
	  .summary = "Get the value of a key",
	  .complexity = "O(1)" },
	{ .name = "set", .arity = -3, CMD_FNS(set),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @slow",
	  .key_flags = "RW access update variable_flags",
	  .key_notes = "RW and ACCESS due to the optional `GET` argument",
	  .group = "string", .since = "1.0.0",
	  .summary = "Set the string value of a key",
	  .complexity = "O(1)" },
	{ .name = "setnx", .arity = 3, CMD_FNS(setnx),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "OW insert",
	  .group = "string", .since = "1.0.0",
	  .summary = "Set the value of a key, only if the key does not exist",
	  .complexity = "O(1)" },
	{ .name = "setex", .arity = 4, CMD_FNS(setex),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @slow",
	  .key_flags = "OW update",
	  .group = "string", .since = "2.0.0",
	  .summary = "Set the value and expiration of a key",
	  .complexity = "O(1)" },
	{ .name = "psetex", .arity = 4, CMD_FNS(psetex),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @slow",
	  .key_flags = "OW update",
	  .group = "string", .since = "2.6.0",
	  .summary = "Set the value and expiration in milliseconds of a key",
	  .complexity = "O(1)" },
	{ .name = "getset", .arity = 3, CMD_FNS(getset),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "1.0.0",
	  .summary = "Set the string value of a key and return its old value",
	  .complexity = "O(1)" },
	{ .name = "getdel", .arity = 2, CMD_FNS(getdel),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access delete",
	  .group = "string", .since = "6.2.0",
	  .summary = "Get the value of a key and delete the key",
	  .complexity = "O(1)" },
	{ .name = "getex", .arity = -2, CMD_FNS(getex),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .key_notes = "RW and UPDATE because it changes the TTL",
	  .group = "string", .since = "6.2.0",
	  .summary = "Get the value of a key and optionally set its expiration",
	  .complexity = "O(1)" },
	{ .name = "mget", .arity = -2, CMD_FNS(mget),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@read @string @fast",
	  .tips = "request_policy:multi_shard",
	  .key_flags = "RO access",
	  .group = "string", .since = "1.0.0",
	  .summary = "Get the values of all the given keys",
	  .complexity = "O(N) where N is the number of keys to retrieve." },
	{ .name = "mset", .arity = -3, CMD_FNS(mset),
	  .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
	  .acl = "@write @string @slow",
	  .tips = "request_policy:multi_shard response_policy:all_succeeded",
	  .key_flags = "OW update",
	  .group = "string", .since = "1.0.1",
	  .summary = "Set multiple keys to multiple values",
	  .complexity = "O(N) where N is the number of keys to set." },
	{ .name = "msetnx", .arity = -3, CMD_FNS(msetnx),
	  .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
	  .acl = "@write @string @slow",
	  .tips = "request_policy:multi_shard response_policy:agg_min",
	  .key_flags = "OW insert",
	  .group = "string", .since = "1.0.1",
	  .summary = "Set multiple keys to multiple values, only if none of the keys exist",
	  .complexity = "O(N) where N is the number of keys to set." },
	{ .name = "append", .arity = 3, CMD_FNS(append),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW insert",
	  .group = "string", .since = "2.0.0",
	  .summary = "Append a value to a key",
	  .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation." },
	{ .name = "strlen", .arity = 2, CMD_FNS(strlen),
	  .flags = CMD_READONLY | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@read @string @fast",
	  .key_flags = "RO",
	  .group = "string", .since = "2.2.0",
	  .summary = "Get the length of the value stored in a key",
	  .complexity = "O(1)" },
	{ .name = "incr", .arity = 2, CMD_FNS(incr),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "1.0.0",
	  .summary = "Increment the integer value of a key by one",
	  .complexity = "O(1)" },
	{ .name = "decr", .arity = 2, CMD_FNS(decr),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "1.0.0",
	  .summary = "Decrement the integer value of a key by one",
	  .complexity = "O(1)" },
	{ .name = "incrby", .arity = 3, CMD_FNS(incrby),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "1.0.0",
	  .summary = "Increment the integer value of a key by the given amount",
	  .complexity = "O(1)" },
	{ .name = "decrby", .arity = 3, CMD_FNS(decrby),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST | CMD_PIPELINED, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "1.0.0",
	  .summary = "Decrement the integer value of a key by the given number",
	  .complexity = "O(1)" },
	{ .name = "incrbyfloat", .arity = 3, CMD_FNS(incrbyfloat),
	  .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @fast",
	  .key_flags = "RW access update",
	  .group = "string", .since = "2.6.0",
	  .summary = "Increment the float value of a key by the given amount",
	  .complexity = "O(1)" },
	{ .name = "getrange", .arity = 4, CMD_FNS(getrange),
	  .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@read @string @slow",
	  .key_flags = "RO access",
	  .group = "string", .since = "2.4.0",
	  .summary = "Get a substring of the string stored at a key",
	  .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings." },
	{ .name = "setrange", .arity = 4, CMD_FNS(setrange),
	  .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@write @string @slow",
	  .key_flags = "RW update",
	  .group = "string", .since = "2.2.0",
	  .summary = "Overwrite part of a string at key starting at the specified offset",
	  .complexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument." },
	{ .name = "del", .arity = -2, CMD_FNS(del),
	  .flags = CMD_WRITE, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@keyspace @write @slow",
	  .tips = "request_policy:multi_shard response_policy:agg_sum",
	  .key_flags = "RM delete",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Delete a key",
	  .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1)." },
	{ .name = "unlink", .arity = -2, CMD_FNS(unlink),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .tips = "request_policy:multi_shard response_policy:agg_sum",
	  .key_flags = "RM delete",
	  .group = "generic", .since = "4.0.0",
	  .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
	  .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of." },
	{ .name = "exists", .arity = -2, CMD_FNS(exists),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .tips = "request_policy:multi_shard response_policy:agg_sum",
	  .key_flags = "RO",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Determine if a key exists",
	  .complexity = "O(N) where N is the number of keys to check." },
	{ .name = "type", .arity = 2, CMD_FNS(type),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .key_flags = "RO",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Determine the type stored at key",
	  .complexity = "O(1)" },
	{ .name = "expire", .arity = -3, CMD_FNS(expire),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW update",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Set a key's time to live in seconds",
	  .complexity = "O(1)" },
	{ .name = "pexpire", .arity = -3, CMD_FNS(pexpire),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW update",
	  .group = "generic", .since = "2.6.0",
	  .summary = "Set a key's time to live in milliseconds",
	  .complexity = "O(1)" },
	{ .name = "expireat", .arity = -3, CMD_FNS(expireat),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW update",
	  .group = "generic", .since = "1.2.0",
	  .summary = "Set the expiration for a key as a UNIX timestamp",
	  .complexity = "O(1)" },
	{ .name = "pexpireat", .arity = -3, CMD_FNS(pexpireat),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW update",
	  .group = "generic", .since = "2.6.0",
	  .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
	  .complexity = "O(1)" },
	{ .name = "ttl", .arity = 2, CMD_FNS(ttl),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .tips = "nondeterministic_output",
	  .key_flags = "RO access",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Get the time to live for a key in seconds",
	  .complexity = "O(1)" },
	{ .name = "pttl", .arity = 2, CMD_FNS(pttl),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .tips = "nondeterministic_output",
	  .key_flags = "RO access",
	  .group = "generic", .since = "2.6.0",
	  .summary = "Get the time to live for a key in milliseconds",
	  .complexity = "O(1)" },
	{ .name = "expiretime", .arity = 2, CMD_FNS(expiretime),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .key_flags = "RO access",
	  .group = "generic", .since = "7.0.0",
	  .summary = "Get the expiration Unix timestamp for a key",
	  .complexity = "O(1)" },
	{ .name = "pexpiretime", .arity = 2, CMD_FNS(pexpiretime),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .key_flags = "RO access",
	  .group = "generic", .since = "7.0.0",
	  .summary = "Get the expiration Unix timestamp for a key in milliseconds",
	  .complexity = "O(1)" },
	{ .name = "persist", .arity = 2, CMD_FNS(persist),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW update",
	  .group = "generic", .since = "2.2.0",
	  .summary = "Remove the expiration from a key",
	  .complexity = "O(1)" },
	{ .name = "rename", .arity = 3, CMD_FNS(rename),
	  .flags = CMD_WRITE, .first_key = 1, .last_key = 2, .key_step = 1,
	  .acl = "@keyspace @write @slow",
	  .key_flags = "RW access delete",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Rename a key",
	  .complexity = "O(1)" },
	{ .name = "renamenx", .arity = 3, CMD_FNS(renamenx),
	  .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 2, .key_step = 1,
	  .acl = "@keyspace @write @fast",
	  .key_flags = "RW access delete",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Rename a key, only if the new key does not exist",
	  .complexity = "O(1)" },
	{ .name = "keys", .arity = 2, CMD_FNS(keys),
	  .flags = CMD_READONLY, .first_key = 0, .last_key = 0, .key_step = 0,
	  .acl = "@keyspace @read @slow @dangerous",
	  .tips = "request_policy:all_shards nondeterministic_output_order",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Find all keys matching the given pattern",
	  .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length." },
	{ .name = "scan", .arity = -2, CMD_FNS(scan),
	  .flags = CMD_READONLY, .first_key = 0, .last_key = 0, .key_step = 0,
	  .acl = "@keyspace @read @slow",
	  .tips = "nondeterministic_output request_policy:special",
	  .group = "generic", .since = "2.8.0",
	  .summary = "Incrementally iterate the keys space",
	  .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection." },
	{ .name = "randomkey", .arity = 1, CMD_FNS(randomkey),
	  .flags = CMD_READONLY, .first_key = 0, .last_key = 0, .key_step = 0,
	  .acl = "@keyspace @read @slow",
	  .tips = "request_policy:all_shards nondeterministic_output",
	  .group = "generic", .since = "1.0.0",
	  .summary = "Return a random key from the keyspace",
	  .complexity = "O(1)" },
	{ .name = "touch", .arity = -2, CMD_FNS(touch),
	  .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
	  .acl = "@keyspace @read @fast",
	  .tips = "request_policy:multi_shard response_policy:agg_sum",
	  .key_flags = "RO",
	  .group = "generic", .since = "3.2.1",
	  .summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
	  .complexity = "O(N) where N is the number of keys that will be touched." },
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
	{ .name = "bgsave", .arity = -1, .finish = cmd_bgsave_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Asynchronously save the dataset to disk", .complexity = "O(1)" },
	{ .name = "lastsave", .arity = 1, .finish = cmd_lastsave_finish,
	  .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
	  .tips = "nondeterministic_output",
	  .acl = "@admin @fast @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Get the UNIX time stamp of the last successful save to disk",
	  .complexity = "O(1)" },
	{ .name = "wait", .arity = 3, .plan = cmd_plan_one_wait, .emit = cmd_wait_emit,
	  .wait = cmd_wait_wait, .flags = CMD_NOSCRIPT,
	  .tips = "request_policy:all_shards response_policy:agg_min",
	  .acl = "@slow @connection", .group = "generic", .since = "3.0.0",
	  .summary = "Wait for the synchronous replication of all the write commands sent in "
		     "the context of the current connection",
	  .complexity = "O(1)" },
	{ .name = "replconf", .arity = -1, .finish = cmd_replconf_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "3.0.0",
	  .summary = "An internal command for configuring the replication stream",
	  .complexity = "O(1)" },
	{ .name = "psync", .arity = -3, .finish = cmd_psync_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "2.8.0",
	  .summary = "Internal command used for replication" },
	{ .name = "sync", .arity = 1, .finish = cmd_sync_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Internal command used for replication" },
	{ .name = "save", .arity = 1, .plan = cmd_plan_one_wait, .emit = cmd_save_emit,
	  .wait = cmd_save_wait,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Synchronously save the dataset to disk",
	  .complexity = "O(N) where N is the total number of keys in all databases" },
	{ .name = "shutdown", .arity = -1, .finish = cmd_shutdown_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Synchronously save the dataset to disk and then shut down the server",
	  .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)" },
	{ .name = "debug", .arity = -2, .finish = cmd_debug_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "A container for debugging commands", .complexity = "Depends on subcommand." },
	{ .name = "time", .arity = 1, .finish = cmd_time_finish,
	  .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
	  .tips = "nondeterministic_output",
	  .acl = "@fast", .group = "server", .since = "2.6.0",
	  .summary = "Return the current server time", .complexity = "O(1)" },
	/* Replication, the replica side (cmd_resp_repl.c). */
	{ .name = "replicaof", .arity = 3, .finish = cmd_replicaof_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "5.0.0",
	  .summary = "Make the server a replica of another instance, or promote it as master.",
	  .complexity = "O(1)" },
	{ .name = "slaveof", .arity = 3, .finish = cmd_replicaof_finish,
	  .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING,
	  .acl = "@admin @slow @dangerous", .group = "server", .since = "1.0.0",
	  .summary = "Make the server a replica of another instance, or promote it as master.",
	  .complexity = "O(1)" },
	{ .name = "role", .arity = 1, .finish = cmd_role_finish,
	  .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST,
	  .acl = "@admin @fast @dangerous", .group = "server", .since = "2.8.12",
	  .summary = "Return the role of the instance in the context of replication",
	  .complexity = "O(1)" },
};

const struct cmd *cmd_resp_table(size_t *n)
{
	*n = sizeof(resp_cmds) / sizeof(resp_cmds[0]);
	return resp_cmds;
}

/*
 * Name -> command: an open-addressing table over the lowercased name,
 * built once at load time (every request looks its command up; a scan of
 * the table costs a strncasecmp per entry). A slot keeps the name's length
 * beside the command, so a probe compares bytes only when lengths match,
 * and the compare folds case through a table: table names are lowercase.
 */
#define LOOKUP_SLOTS 256   /* a power of two, over twice the commands */
#define NAME_MAX_LEN 32

static struct {
	const struct cmd *cmd;
	size_t len;
} lookup_tab[LOOKUP_SLOTS];

static uint8_t lower_tab[256];   /* ASCII tolower(), one load per byte */

static uint8_t lower(uint8_t c)
{
	return lower_tab[c];
}

static uint32_t name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;   /* FNV-1a over ASCII-lowercased bytes */

	for (size_t i = 0; i < n; i++)
		h = (h ^ lower((uint8_t)p[i])) * 16777619u;
	return h;
}

__attribute__((constructor)) static void lookup_build(void)
{
	_Static_assert(sizeof(resp_cmds) / sizeof(resp_cmds[0]) * 2 <= LOOKUP_SLOTS,
		       "the command lookup table must stay under half full");
	for (unsigned c = 0; c < 256; c++)
		lower_tab[c] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	for (size_t i = 0; i < sizeof(resp_cmds) / sizeof(resp_cmds[0]); i++) {
		const char *n = resp_cmds[i].name;
		size_t len = strlen(n);
		uint32_t s = name_hash(n, len) & (LOOKUP_SLOTS - 1);

		while (lookup_tab[s].cmd != NULL)
			s = (s + 1) & (LOOKUP_SLOTS - 1);
		lookup_tab[s].cmd = &resp_cmds[i];
		lookup_tab[s].len = len;
	}
}

static bool name_is(const char *lc, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)lc[i] != lower((uint8_t)p[i]))
			return false;
	return true;
}

const struct cmd *cmd_resp_lookup(const struct ss_arg *name)
{
	uint32_t s;

	if (name->len == 0 || name->len > NAME_MAX_LEN)
		return NULL;
	for (s = name_hash(name->p, name->len) & (LOOKUP_SLOTS - 1); lookup_tab[s].cmd != NULL;
	     s = (s + 1) & (LOOKUP_SLOTS - 1))
		if (lookup_tab[s].len == name->len && name_is(lookup_tab[s].cmd->name, name->p, name->len))
			return lookup_tab[s].cmd;
	return NULL;
}

const struct cmd *cmd_resp_lookup_conn(struct conn *c, const struct ss_arg *name)
{
	if (c->seen_cmd != NULL && name->len == c->seen_cmd_len &&
	    name_is(c->seen_cmd->name, name->p, name->len))
		return c->seen_cmd;
	const struct cmd *cmd = cmd_resp_lookup(name);
	if (cmd != NULL) {
		c->seen_cmd = cmd;
		c->seen_cmd_len = name->len;
	}
	return cmd;
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
