/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memcached classic text commands: memcached 1.6 replies, byte for
 * byte. The meta commands are in cmd_mc_meta.c, stats in mc_stats.c, the
 * owner-side work in kop_mc.c.
 */
#include <inttypes.h>
#include <stdio.h>

#include "dataplane/cmd_mc.h"
#include "dataplane/conn_priv.h"
#include "dataplane/kop_mc.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/fmt.h"
#include "platform/metric.h"
#include "platform/status.h"

static void reply(struct conn *c, const char *line, size_t len)
{
	if (!c->mc.noreply)
		buf_append(&c->out, line, len);
}
#define REPLY(c, lit) reply((c), lit "\r\n", sizeof(lit "\r\n") - 1)

static int64_t expire_ms(int64_t exptime)
{
	return mc_exptime_to_ms(exptime, clock_unix_ms());
}

/* get, gets, gat, gats: one kop per key, on whichever worker owns it. */
static int get_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i >= c->mc.nkeys)
		return 1;
	op->fn = kop_mc_get;
	op->key = c->mc.keys[i];
	if (c->mc.cmd == MC_GAT || c->mc.cmd == MC_GATS) {
		op->mode = MC_GET_TOUCH;
		op->expire_ms = expire_ms(c->mc.exptime);
	}
	return 0;
}

static void get_emit(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r)
{
	bool touch = c->mc.cmd == MC_GAT || c->mc.cmd == MC_GATS;

	(void)i;
	metric_add_local(METRIC_mc_cmd_get, 1);
	if (touch)
		metric_add_local(METRIC_mc_cmd_touch, 1);
	if (r->status != 1) {
		metric_add_local(touch ? METRIC_mc_touch_misses : METRIC_mc_get_misses, 1);
		return;
	}
	metric_add_local(touch ? METRIC_mc_touch_hits : METRIC_mc_get_hits, 1);
	/* "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n", one reservation */
	if (buf_reserve(&c->out, op->key.len + r->val.len + 3 * (FMT_U64_MAX + 1) + 10) != 0)
		return;
	char *d = buf_wptr(&c->out);
	size_t l = 6;

	memcpy(d, "VALUE ", 6);
	memcpy(d + l, op->key.p, op->key.len);
	l += op->key.len;
	d[l++] = ' ';
	l += fmt_u64(d + l, r->flags);
	d[l++] = ' ';
	l += fmt_u64(d + l, r->val.len);
	if (c->mc.cmd == MC_GETS || c->mc.cmd == MC_GATS) {
		d[l++] = ' ';
		l += fmt_u64(d + l, r->cas);
	}
	d[l++] = '\r';
	d[l++] = '\n';
	if (r->val.len > 0)
		memcpy(d + l, r->val.p, r->val.len);
	l += r->val.len;
	d[l++] = '\r';
	d[l++] = '\n';
	c->out.wpos += l;
}

static void get_finish(struct conn *c)
{
	buf_append(&c->out, "END\r\n", 5);
}

/* set, add, replace, append, prepend, cas. */
static int store_plan(struct conn *c, uint32_t i, struct kop *op)
{
	static const unsigned modes[] = {
		[MC_SET] = MC_ST_SET, [MC_ADD] = MC_ST_ADD, [MC_REPLACE] = MC_ST_REPLACE,
		[MC_APPEND] = MC_ST_APPEND, [MC_PREPEND] = MC_ST_PREPEND, [MC_CAS] = MC_ST_CAS,
	};

	if (i > 0)
		return 1;
	op->fn = kop_mc_store;
	op->mode = modes[c->mc.cmd];
	op->key = c->mc.keys[0];
	op->val = c->mc.data;
	op->flags = c->mc.flags;
	op->expire_ms = expire_ms(c->mc.exptime);
	op->cas = c->mc.cas;
	return 0;
}

static void store_emit(struct conn *c, uint32_t i, const struct kop *op,
		       const struct kop_result *r)
{
	(void)i;
	(void)op;
	metric_add_local(METRIC_mc_cmd_set, 1);
	if (c->mc.cmd == MC_CAS)
		metric_add_local(r->status == MC_R_OK ? METRIC_mc_cas_hits :
				 r->status == MC_R_MISS ? METRIC_mc_cas_misses : METRIC_mc_cas_badval, 1);
	switch (r->status) {
	case MC_R_OK:
		metric_add_local(METRIC_mc_total_items, 1);
		REPLY(c, "STORED");
		break;
	case MC_R_NOT_STORED:
		REPLY(c, "NOT_STORED");
		break;
	case MC_R_EXISTS:
		REPLY(c, "EXISTS");
		break;
	case MC_R_MISS:
		REPLY(c, "NOT_FOUND");
		break;
	default:
		metric_add_local(METRIC_mc_store_no_memory, 1);
		REPLY(c, "SERVER_ERROR out of memory storing object");
		break;
	}
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
	if (r->status == 1) {
		metric_add_local(METRIC_mc_delete_hits, 1);
		REPLY(c, "DELETED");
	} else {
		metric_add_local(METRIC_mc_delete_misses, 1);
		REPLY(c, "NOT_FOUND");
	}
}

/* incr, decr <key> <delta>: 64-bit unsigned; incr wraps, decr stops at 0. */
static int arith_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_mc_arith;
	op->key = c->mc.keys[0];
	op->num = (int64_t)c->mc.delta;
	op->mode = c->mc.cmd == MC_DECR ? MC_AR_DECR : 0;
	return 0;
}

static void arith_emit(struct conn *c, uint32_t i, const struct kop *op,
		       const struct kop_result *r)
{
	bool decr = c->mc.cmd == MC_DECR;

	(void)i;
	(void)op;
	switch (r->status) {
	case MC_R_OK:
		metric_add_local(decr ? METRIC_mc_decr_hits : METRIC_mc_incr_hits, 1);
		if (!c->mc.noreply) {
			buf_append(&c->out, r->val.p, r->val.len);
			buf_append(&c->out, "\r\n", 2);
		}
		break;
	case MC_R_MISS:
		metric_add_local(decr ? METRIC_mc_decr_misses : METRIC_mc_incr_misses, 1);
		REPLY(c, "NOT_FOUND");
		break;
	case MC_R_NON_NUMERIC:
		REPLY(c, "CLIENT_ERROR cannot increment or decrement non-numeric value");
		break;
	default:
		REPLY(c, "SERVER_ERROR out of memory");
		break;
	}
}

static int touch_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_mc_touch;
	op->key = c->mc.keys[0];
	op->expire_ms = expire_ms(c->mc.exptime);
	return 0;
}

static void touch_emit(struct conn *c, uint32_t i, const struct kop *op,
		       const struct kop_result *r)
{
	(void)i;
	(void)op;
	metric_add_local(METRIC_mc_cmd_touch, 1);
	if (r->status == 1) {
		metric_add_local(METRIC_mc_touch_hits, 1);
		REPLY(c, "TOUCHED");
	} else {
		metric_add_local(METRIC_mc_touch_misses, 1);
		REPLY(c, "NOT_FOUND");
	}
}

/*
 * flush_all [delay]: one kop per worker. A delay is an exptime (relative,
 * or absolute past 30 days); 0 or negative means now. memcached turns an
 * absolute time already past into "items older than the epoch", which
 * drops nothing: so do we.
 */
static int flush_plan(struct conn *c, uint32_t i, struct kop *op)
{
	int64_t now = clock_unix_ms(), at = now;

	if (i >= steer_workers())
		return 1;
	if (c->mc.delay > 0) {
		at = mc_exptime_to_ms(c->mc.delay, now);
		if (at < 0)
			return 1;
	}
	op->fn = kop_mc_flush;
	op->target = (int)i;
	op->expire_ms = at;
	return 0;
}

static void flush_emit(struct conn *c, uint32_t i, const struct kop *op,
		       const struct kop_result *r)
{
	(void)c;
	(void)i;
	(void)op;
	(void)r;
}

static void flush_finish(struct conn *c)
{
	metric_add_local(METRIC_mc_cmd_flush, 1);
	REPLY(c, "OK");
}

/*
 * Value over the item size limit: memcached answers SERVER_ERROR and, for
 * set (and every ms mode), unlinks the key so a stale value does not
 * outlive a failed overwrite.
 */
static int too_large_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0 || (c->mc.cmd != MC_SET && c->mc.cmd != MC_MS))
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
	metric_add_local(METRIC_mc_store_too_large, 1);
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
	buf_append(&c->out, "VERSION " MC_VERSION_STRING "\r\n",
		   sizeof("VERSION " MC_VERSION_STRING "\r\n") - 1);
}

/* memcached keeps the level (capped at 2) for its own logging; ours has
 * its own loglevel, so the level is only remembered for stats settings. */
static unsigned verbosity_level;

unsigned cmd_mc_verbosity(void)
{
	return __atomic_load_n(&verbosity_level, __ATOMIC_RELAXED);
}

static void verbosity_finish(struct conn *c)
{
	unsigned v = c->mc.delay > 2 ? 2 : (unsigned)c->mc.delay;

	__atomic_store_n(&verbosity_level, v, __ATOMIC_RELAXED);
	REPLY(c, "OK");
}

static void quit_finish(struct conn *c)
{
	c->closing = true;
}

/* CMD_PIPELINED: one key, one kop, replies from the request and the
 * result only; such requests may wait in a connection's flight (conn.c).
 * get/gets take several keys, so they run one at a time. */
static const struct cmd mc_cmds[] = {
	[MC_GET] = { "get", 0, get_plan, get_emit, get_finish, CMD_PREFETCH },
	[MC_GETS] = { "gets", 0, get_plan, get_emit, get_finish, CMD_PREFETCH },
	[MC_GAT] = { "gat", 0, get_plan, get_emit, get_finish, CMD_PREFETCH },
	[MC_GATS] = { "gats", 0, get_plan, get_emit, get_finish, CMD_PREFETCH },
	[MC_SET] = { "set", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_ADD] = { "add", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_REPLACE] = { "replace", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_APPEND] = { "append", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_PREPEND] = { "prepend", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_CAS] = { "cas", 0, store_plan, store_emit, NULL, CMD_PIPELINED },
	[MC_DELETE] = { "delete", 0, delete_plan, delete_emit, NULL, CMD_PIPELINED },
	[MC_INCR] = { "incr", 0, arith_plan, arith_emit, NULL, CMD_PIPELINED },
	[MC_DECR] = { "decr", 0, arith_plan, arith_emit, NULL, CMD_PIPELINED },
	[MC_TOUCH] = { "touch", 0, touch_plan, touch_emit, NULL, CMD_PIPELINED },
	[MC_FLUSH_ALL] = { "flush_all", 0, flush_plan, flush_emit, flush_finish },
	[MC_VERSION] = { "version", 0, NULL, NULL, version_finish },
	[MC_VERBOSITY] = { "verbosity", 0, NULL, NULL, verbosity_finish },
	[MC_STATS] = { "stats", 0, NULL, NULL, mc_stats_finish },
	[MC_QUIT] = { "quit", 0, NULL, NULL, quit_finish },
};

const struct cmd *cmd_mc_lookup(enum mc_cmd cmd)
{
	const struct cmd *meta = cmd_mc_meta_lookup(cmd);

	if (meta != NULL)
		return meta;
	if ((size_t)cmd >= sizeof(mc_cmds) / sizeof(mc_cmds[0]) || mc_cmds[cmd].name == NULL)
		return NULL;
	return &mc_cmds[cmd];
}
