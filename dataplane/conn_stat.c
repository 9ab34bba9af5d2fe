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
#include <stdbool.h>
#include <string.h>

#include "dataplane/conn_priv.h"
#include "platform/clock.h"
#include "platform/cmdstat.h"
#include "platform/latency_mon.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/slowlog.h"

static int stat_id(struct conn *c, const struct cmd *cmd)
{
	/* Pipelines repeat a command: remember the last one's id. */
	if (cmd == c->stat_cmd)
		return c->stat_id;
	c->stat_cmd = cmd;
	/* memcached commands apart from Redis's in the same registry */
	return c->stat_id = cmdstat_id_local(cmd, c->proto == PROTO_RESP ? "" : "memcached|",
					     cmd->name);
}

void conn_stat_begin(struct conn *c)
{
	c->t0 = clock_tsc();
	c->t_rx = c->rx_tsc;
	c->out_mark = buf_len(&c->out);
	c->headlen = 0;
	c->last_cmd = c->cmd->name;
}

void conn_stat_note_slow(struct conn *c)
{
	size_t want = buf_len(&c->out) - c->out_mark;

	if (want > sizeof(c->head) - c->headlen)
		want = sizeof(c->head) - c->headlen;
	memcpy(c->head + c->headlen, buf_rptr(&c->out) + c->out_mark, want);
	c->headlen = (uint8_t)(c->headlen + want);
	c->out_mark += want;
}

/* The options the request path reads, cached per worker until CONFIG SET. */
static __thread struct {
	unsigned gen;
	int64_t slow_us;          /* slowlog-log-slower-than; -1 = off */
	uint64_t lat_ms;          /* latency-monitor-threshold; 0 = off */
	bool tracking;
	bool loaded;
} cfg;

static void cfg_refresh(void)
{
	unsigned gen = opt_generation();

	if (cfg.loaded && cfg.gen == gen)
		return;
	cfg.gen = gen;
	cfg.slow_us = opt_int(OPT_slowlog_max_len) > 0 ? opt_int(OPT_slowlog_log_slower_than) : -1;
	cfg.lat_ms = (uint64_t)opt_int(OPT_latency_monitor_threshold);
	cfg.tracking = opt_bool(OPT_latency_tracking);
	cfg.loaded = true;
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
	cfg_refresh();
	metric_add_local(METRIC_commands_processed, 1);
	cmdstat_call_local(stat_id(c, c->cmd), ns, failed(c), cfg.tracking);
	if (cfg.tracking && c->t_rx != 0)
		cmdstat_e2e_local(clock_tsc_to_ns(c->t0 - c->t_rx) + ns);
	/* CLIENT LIST idle: coarse is enough, from the TSC we already read */
	c->last_ms = c->created_ms + (int64_t)(clock_tsc_to_ns(c->t0 - c->created_tsc) / 1000000);
	if (cfg.slow_us >= 0 && us >= (uint64_t)cfg.slow_us)
		log_slow(c, us);
	if (cfg.lat_ms > 0 && us / 1000 >= cfg.lat_ms)
		latency_mon_add((c->cmd->flags & CMD_FAST) ? "fast-command" : "command", us / 1000);
}

void conn_stat_reject(struct conn *c, const struct cmd *cmd)
{
	cmdstat_reject_local(stat_id(c, cmd));
}
