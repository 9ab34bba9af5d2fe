/* SPDX-License-Identifier: BSD-3-Clause */
/* The memcached text command table: memcached 1.6 replies. */
#include <inttypes.h>
#include <stdio.h>

#include "dataplane/conn_priv.h"
#include "platform/clock.h"
#include "platform/status.h"

#define MC_REALTIME_MAXDELTA (60 * 60 * 24 * 30)   /* 30 days */

/* memcached exptime -> absolute Unix ms: 0 never; up to 30 days relative;
 * beyond, an absolute Unix time; negative or past, already expired (-1). */
static int64_t mc_expire_ms(int64_t exptime)
{
	int64_t now = clock_unix_ms();

	if (exptime == 0)
		return 0;
	if (exptime < 0)
		return -1;
	if (exptime <= MC_REALTIME_MAXDELTA)
		return now + exptime * 1000;
	return exptime * 1000 <= now ? -1 : exptime * 1000;
}

static void reply(struct conn *c, const char *line, size_t len)
{
	if (!c->mc.noreply)
		buf_append(&c->out, line, len);
}
#define REPLY(c, lit) reply((c), lit "\r\n", sizeof(lit "\r\n") - 1)

static int get_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i >= c->mc.nkeys)
		return 1;
	op->fn = kop_get;
	op->key = c->mc.keys[i];
	return 0;
}

static void get_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	if (r->status != 1)
		return;
	buf_appendf(&c->out, "VALUE %.*s %" PRIu32 " %zu", (int)op->key.len, op->key.p,
		    r->flags, r->val.len);
	if (c->mc.cmd == MC_GETS)
		buf_appendf(&c->out, " %" PRIu64, r->cas);
	buf_append(&c->out, "\r\n", 2);
	buf_append(&c->out, r->val.p, r->val.len);
	buf_append(&c->out, "\r\n", 2);
}

static void get_finish(struct conn *c)
{
	buf_append(&c->out, "END\r\n", 5);
}

static int set_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_set;
	op->key = c->mc.keys[0];
	op->val = c->mc.data;
	op->flags = c->mc.flags;
	op->expire_ms = mc_expire_ms(c->mc.exptime);
	return 0;
}

static void set_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == SS_OK)
		REPLY(c, "STORED");
	else
		REPLY(c, "SERVER_ERROR out of memory storing object");
}

static int delete_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_del;
	op->key = c->mc.keys[0];
	return 0;
}

static void delete_emit(struct conn *c, uint32_t i, const struct kop *op,
			const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == 1)
		REPLY(c, "DELETED");
	else
		REPLY(c, "NOT_FOUND");
}

/*
 * Value over the item size limit: memcached answers SERVER_ERROR and, for
 * set only, unlinks the key so a stale value does not outlive a failed
 * overwrite.
 */
static int too_large_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || c->mc.cmd != MC_SET)
		return 1;
	op->fn = kop_del;
	op->key = c->mc.keys[0];
	return 0;
}

static void too_large_emit(struct conn *c, uint32_t i, const struct kop *op,
			   const struct kop_result *r)
{
	(void)c;
	(void)i;
	(void)op;
	(void)r;
}

static void too_large_finish(struct conn *c)
{
	REPLY(c, "SERVER_ERROR object too large for cache");
}

static const struct cmd mc_too_large = {
	"too-large", 0, too_large_plan, too_large_emit, too_large_finish
};

const struct cmd *cmd_mc_too_large(void)
{
	return &mc_too_large;
}

static void version_finish(struct conn *c)
{
	buf_append(&c->out, "VERSION " SS_VERSION "\r\n", sizeof("VERSION " SS_VERSION "\r\n") - 1);
}

static void quit_finish(struct conn *c)
{
	c->closing = true;
}

/* Commands not listed here (add, replace, cas, incr, meta ...) arrive with
 * the protocol work; until then they are answered as unknown: "ERROR". */
static const struct cmd mc_cmds[] = {
	[MC_GET] = { "get", 0, get_plan, get_emit, get_finish },
	[MC_GETS] = { "gets", 0, get_plan, get_emit, get_finish },
	[MC_SET] = { "set", 0, set_plan, set_emit, NULL },
	[MC_DELETE] = { "delete", 0, delete_plan, delete_emit, NULL },
	[MC_VERSION] = { "version", 0, NULL, NULL, version_finish },
	[MC_QUIT] = { "quit", 0, NULL, NULL, quit_finish },
};

const struct cmd *cmd_mc_lookup(enum mc_cmd cmd)
{
	if ((size_t)cmd >= sizeof(mc_cmds) / sizeof(mc_cmds[0]) || mc_cmds[cmd].name == NULL)
		return NULL;
	return &mc_cmds[cmd];
}
