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
		resp_error(&c->out, "ERR wrong number of arguments for 'ping' command");
	else if (c->resp.argc == 2)
		resp_bulk(&c->out, ARGV(c, 1)->p, ARGV(c, 1)->len);
	else
		resp_simple(&c->out, "PONG");
}

static void echo_finish(struct conn *c)
{
	resp_bulk(&c->out, ARGV(c, 1)->p, ARGV(c, 1)->len);
}

static void quit_finish(struct conn *c)
{
	resp_simple(&c->out, "OK");
	c->closing = true;
}

static int get_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->kind = KOP_GET;
	op->key = *ARGV(c, 1);
	return 0;
}

static void get_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == 1)
		resp_bulk(&c->out, r->val.p, r->val.len);
	else if (r->status == 0)
		resp_null(&c->out);
	else
		resp_error(&c->out, "ERR out of memory");
}

static int set_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || c->resp.argc != 3)
		return 1;
	op->kind = KOP_SET;
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
		resp_simple(&c->out, "OK");
	else
		resp_error(&c->out, "OOM command not allowed when used memory > 'maxmemory'.");
}

/* SET's options (EX, PX, NX, XX, GET, KEEPTTL ...) arrive with the protocol
 * work; until then anything after the value is a syntax error, as Redis
 * says for options it does not know. */
static void set_finish(struct conn *c)
{
	if (c->resp.argc != 3)
		resp_error(&c->out, "ERR syntax error");
}

static int del_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i + 1 >= c->resp.argc)
		return 1;
	op->kind = KOP_DEL;
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
	resp_int(&c->out, c->acc);
}

static const struct cmd resp_cmds[] = {
	{ "ping", -1, NULL, NULL, ping_finish },
	{ "echo", 2, NULL, NULL, echo_finish },
	{ "quit", -1, NULL, NULL, quit_finish },
	{ "get", 2, get_plan, get_emit, NULL },
	{ "set", -3, set_plan, set_emit, set_finish },
	{ "del", -2, del_plan, del_emit, del_finish },
};

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
		resp_error(&c->out, "ERR wrong number of arguments for '%s' command",
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
	resp_error(&c->out, "ERR unknown command '%.*s', with args beginning with: %s",
		   (int)(ARGV(c, 0)->len < 128 ? ARGV(c, 0)->len : 128), ARGV(c, 0)->p, args);
}
