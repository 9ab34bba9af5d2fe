/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SLOWLOG GET/LEN/RESET and LATENCY LATEST/HISTORY/RESET: Redis 7.0's
 * replies (slowlog.c, latency.c) over platform/slowlog and latency_mon.
 * Not on the request path: diagnostics.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "platform/latency_mon.h"
#include "platform/opt.h"
#include "platform/slowlog.h"

static void slowlog_get_cmd(struct conn *c)
{
	long long n = 10;
	struct slowlog_entry *e;
	size_t cnt;

	if (ARGC(c) == 3) {
		if (!arg_ll(ARGV(c, 2), &n) || n < -1) {
			resp_error(&c->w, "ERR count should be greater than or equal to -1");
			return;
		}
	}
	cnt = slowlog_get(n, &e);
	resp_array(&c->w, cnt);
	for (size_t i = 0; i < cnt; i++) {
		resp_array(&c->w, 6);
		resp_int(&c->w, (long long)e[i].id);
		resp_int(&c->w, (long long)e[i].time_s);
		resp_int(&c->w, (long long)e[i].duration_us);
		resp_array(&c->w, e[i].argc);
		for (unsigned a = 0; a < e[i].argc; a++)
			resp_bulk(&c->w, e[i].argv[a], e[i].arglen[a]);
		resp_cstr(&c->w, e[i].peer);
		resp_cstr(&c->w, e[i].name);
	}
	slowlog_free(e, cnt);
}

static void slowlog_len_cmd(struct conn *c)
{
	resp_int(&c->w, (long long)slowlog_len());
}

static void slowlog_reset_cmd(struct conn *c)
{
	slowlog_reset();
	resp_simple(&c->w, "OK");
}

static const char *const slowlog_help[] = {
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	NULL,
};

static void slowlog_help_cmd(struct conn *c)
{
	cmd_reply_help(c, slowlog_help);
}

#define SUB_SLOWLOG .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE, \
	.acl = "@admin @slow @dangerous", .group = "server"

const struct cmd cmd_slowlog_subs[] = {
	{ .name = "slowlog|get", .arity = -2, .finish = slowlog_get_cmd, SUB_SLOWLOG,
	  .tips = "request_policy:all_nodes nondeterministic_output",
	  .since = "2.2.12", .summary = "Get the slow log's entries",
	  .complexity = "O(N) where N is the number of entries returned" },
	{ .name = "slowlog|help", .arity = 2, .finish = slowlog_help_cmd,
	  .flags = CMD_LOADING | CMD_STALE, .acl = "@slow", .group = "server",
	  .since = "6.2.0", .summary = "Show helpful text about the different subcommands",
	  .complexity = "O(1)" },
	{ .name = "slowlog|len", .arity = 2, .finish = slowlog_len_cmd, SUB_SLOWLOG,
	  .tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
	  .since = "2.2.12", .summary = "Get the slow log's length", .complexity = "O(1)" },
	{ .name = "slowlog|reset", .arity = 2, .finish = slowlog_reset_cmd, SUB_SLOWLOG,
	  .tips = "request_policy:all_nodes response_policy:all_succeeded",
	  .since = "2.2.12", .summary = "Clear all entries from the slow log",
	  .complexity = "O(N) where N is the number of entries in the slowlog" },
	{ .name = NULL },
};

void cmd_slowlog_finish(struct conn *c)
{
	cmd_run_subcmd(c);
}

static void latency_latest(struct conn *c)
{
	struct latency_event ev[LATENCY_EVENTS_MAX];
	unsigned n = latency_mon_snapshot(ev, LATENCY_EVENTS_MAX);

	resp_array(&c->w, n);
	for (unsigned i = 0; i < n; i++) {
		const struct latency_sample *last = &ev[i].s[ev[i].n - 1];
		resp_array(&c->w, 4);
		resp_cstr(&c->w, ev[i].name);
		resp_int(&c->w, (long long)last->time_s);
		resp_int(&c->w, (long long)last->ms);
		resp_int(&c->w, (long long)ev[i].max_ms);
	}
}

static void latency_history(struct conn *c)
{
	struct latency_event ev[LATENCY_EVENTS_MAX];
	unsigned n = latency_mon_snapshot(ev, LATENCY_EVENTS_MAX);
	const struct ss_arg *want = ARGV(c, 2);

	for (unsigned i = 0; i < n; i++) {
		if (strlen(ev[i].name) != want->len ||
		    strncasecmp(ev[i].name, want->p, want->len) != 0)
			continue;
		resp_array(&c->w, ev[i].n);
		for (unsigned j = 0; j < ev[i].n; j++) {
			resp_array(&c->w, 2);
			resp_int(&c->w, (long long)ev[i].s[j].time_s);
			resp_int(&c->w, (long long)ev[i].s[j].ms);
		}
		return;
	}
	resp_array(&c->w, 0);   /* an event with no samples, as Redis */
}

static void latency_reset(struct conn *c)
{
	char *names[64] = { 0 };
	unsigned n = 0;

	for (uint32_t i = 2; i < ARGC(c) && n < 64; i++) {
		const struct ss_arg *a = ARGV(c, i);
		names[n] = strndup(a->p, a->len);
		if (names[n] != NULL)
			n++;
	}
	resp_int(&c->w, (long long)latency_mon_reset((const char *const *)names, n));
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
}

static const char *const latency_help[] = {
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	NULL,
};

static void latency_help_cmd(struct conn *c)
{
	cmd_reply_help(c, latency_help);
}

#define SUB_LATENCY .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, \
	.acl = "@admin @slow @dangerous", .group = "server", .since = "2.8.13"

const struct cmd cmd_latency_subs[] = {
	{ .name = "latency|latest", .arity = 2, .finish = latency_latest, SUB_LATENCY,
	  .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
	  .summary = "Return the latest latency samples for all events.", .complexity = "O(1)" },
	{ .name = "latency|help", .arity = 2, .finish = latency_help_cmd,
	  .flags = CMD_LOADING | CMD_STALE, .acl = "@slow", .group = "server",
	  .since = "2.8.13", .summary = "Show helpful text about the different subcommands.",
	  .complexity = "O(1)" },
	{ .name = "latency|history", .arity = 3, .finish = latency_history, SUB_LATENCY,
	  .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
	  .summary = "Return timestamp-latency samples for the event.", .complexity = "O(1)" },
	{ .name = "latency|reset", .arity = -2, .finish = latency_reset, SUB_LATENCY,
	  .tips = "request_policy:all_nodes response_policy:all_succeeded",
	  .summary = "Reset latency data for one or more events.", .complexity = "O(1)" },
	{ .name = NULL },
};

void cmd_latency_finish(struct conn *c)
{
	cmd_run_subcmd(c);
}

/* ---- DEBUG (only what tests and operators need: SLEEP) ---- */

static const char *const debug_help[] = {
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	NULL,
};

static bool debug_allowed(const struct conn *c)
{
	int mode = opt_enum(OPT_enable_debug_command);   /* no|yes|local */

	if (mode == 1)
		return true;
	if (mode == 2)
		return strncmp(c->peer, "127.", 4) == 0 || strncmp(c->peer, "::1:", 4) == 0;
	return false;
}

/* Redis checks protected commands before AUTH (processCommand). */
bool cmd_resp_protected_ok(struct conn *c)
{
	if (c->cmd->finish != cmd_debug_finish || debug_allowed(c))
		return true;
	resp_error(&c->w, "ERR DEBUG command not allowed. If the enable-debug-command option "
		   "is set to \"local\", you can run it from a local connection, otherwise "
		   "you need to set this option in the configuration file, and then restart "
		   "the server.");
	return false;
}

/* As Redis: blocks this worker for the time asked (a known delay for
 * latency tests and for rehearsing slow-command alarms). */
void cmd_debug_finish(struct conn *c)
{
	const struct ss_arg *sub = ARGV(c, 1);

	if (ARGC(c) == 2 && sub->len == 4 && strncasecmp(sub->p, "help", 4) == 0) {
		cmd_reply_help(c, debug_help);
		return;
	}
	if (ARGC(c) == 3 && sub->len == 5 && strncasecmp(sub->p, "sleep", 5) == 0) {
		char tmp[64];
		size_t n = ARGV(c, 2)->len < sizeof(tmp) - 1 ? ARGV(c, 2)->len : sizeof(tmp) - 1;
		memcpy(tmp, ARGV(c, 2)->p, n);
		tmp[n] = '\0';
		double secs = atof(tmp);   /* Redis: strtod, junk reads as 0 */
		if (secs > 0) {
			struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
			while (nanosleep(&ts, &ts) != 0) {
			}
		}
		resp_simple(&c->w, "OK");
		return;
	}
	resp_error(&c->w, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
		   "Try DEBUG HELP.", (int)(sub->len < 128 ? sub->len : 128), sub->p);
}
