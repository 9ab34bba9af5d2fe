/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-request statistics: latency from "parsed" to "reply complete" into
 * the command's histogram (INFO commandstats/latencystats, /metrics), the
 * failed/rejected counts, the slow log and the latency monitor. All on the
 * connection's worker; the stores are that core's own.
 *
 * Whether a call failed is read off the first bytes of its reply (an error
 * reply), captured as they are written: a reply that waits for a remote
 * kop may be partly sent before it completes.
 */
#include <stdio.h>
#include <string.h>

#include "dataplane/conn_priv.h"
#include "platform/clock.h"
#include "platform/cmdstat.h"
#include "platform/latency_mon.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/slowlog.h"

static int stat_id(const struct conn *c, const struct cmd *cmd)
{
	char name[64];

	if (c->proto == PROTO_RESP)
		return cmdstat_id_local(cmd, cmd->name);
	/* memcached commands apart from Redis's in the same registry */
	snprintf(name, sizeof(name), "memcached|%s", cmd->name);
	return cmdstat_id_local(cmd, name);
}

void conn_stat_begin(struct conn *c)
{
	c->t0 = clock_tsc();
	c->out_mark = buf_len(&c->out);
	c->headlen = 0;
	c->last_cmd = c->cmd->name;
}

void conn_stat_note(struct conn *c)
{
	size_t len = buf_len(&c->out), want;

	if (c->headlen >= sizeof(c->head) || len <= c->out_mark)
		return;
	want = len - c->out_mark;
	if (want > sizeof(c->head) - c->headlen)
		want = sizeof(c->head) - c->headlen;
	memcpy(c->head + c->headlen, buf_rptr(&c->out) + c->out_mark, want);
	c->headlen = (uint8_t)(c->headlen + want);
	c->out_mark += want;
}

static int prefix(const struct conn *c, const char *p)
{
	size_t n = strlen(p);

	return c->headlen >= n && memcmp(c->head, p, n) == 0;
}

static int failed(const struct conn *c)
{
	if (c->proto == PROTO_RESP)
		return c->headlen > 0 && c->head[0] == '-';
	return prefix(c, "ERROR") || prefix(c, "CLIENT_ERROR") || prefix(c, "SERVER_ERROR");
}

/* SLOWLOG keeps the arguments (RESP; a memcached request is logged by its
 * command name and keys are not split out here). */
static void log_slow(struct conn *c, uint64_t us)
{
	const char *argv[SLOWLOG_MAX_ARGC];
	size_t arglen[SLOWLOG_MAX_ARGC];
	unsigned argc = 0;

	if (c->proto == PROTO_RESP) {
		/* slowlog_add reads at most SLOWLOG_MAX_ARGC of them and says
		 * how many more there were */
		for (uint32_t i = 0; i < c->resp.argc && i < SLOWLOG_MAX_ARGC; i++) {
			argv[i] = c->resp.argv[i].p;
			arglen[i] = c->resp.argv[i].len;
		}
		argc = c->resp.argc;
	} else {
		argv[0] = c->cmd->name;
		arglen[0] = strlen(c->cmd->name);
		argc = 1;
	}
	slowlog_add(argv, arglen, argc, us, c->peer, c->name);
}

void conn_stat_end(struct conn *c)
{
	uint64_t ns = clock_tsc_to_ns(clock_tsc() - c->t0);
	uint64_t us = ns / 1000;

	conn_stat_note(c);
	metric_add_local(METRIC_commands_processed, 1);
	cmdstat_call_local(stat_id(c, c->cmd), ns, failed(c), opt_bool(OPT_latency_tracking));
	c->last_cmd = c->cmd->name;
	c->last_ms = clock_unix_ms();
	if (slowlog_wanted(us))
		log_slow(c, us);
	latency_mon_add((c->cmd->flags & CMD_FAST) ? "fast-command" : "command", us / 1000);
}

void conn_stat_reject(struct conn *c, const struct cmd *cmd)
{
	cmdstat_reject_local(stat_id(c, cmd));
}
