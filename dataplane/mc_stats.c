/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached "stats": the general group, settings, items and conns, each a
 * subset of memcached 1.6's names in memcached's order, with values from
 * what the engine has (the metric table, the storage totals, the options).
 * Names memcached has for its own machinery (slabs, LRU segments, libevent,
 * extstore, TLS) are left out rather than invented. Runs on the
 * connection's worker; every value read here is a relaxed read of
 * counters other cores write.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/cmd_mc.h"
#include "dataplane/conn_priv.h"
#include "dataplane/steer.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "storage/storage.h"

/* Process start, for uptime: taken before main() so that it does not
 * depend on set-up order. */
static time_t started;

__attribute__((constructor)) static void mc_stats_start_clock(void)
{
	started = time(NULL);
}

/*
 * "stats reset": memcached zeroes its counters. Ours are the per-core
 * counters /metrics also exports, which must only grow: a reset records
 * their totals here and stats shows the growth since.
 */
static uint64_t baseline[METRIC__COUNT];

static uint64_t counter(enum metric_id id)
{
	return metric_total(id) - __atomic_load_n(&baseline[id], __ATOMIC_RELAXED);
}

static const enum metric_id resettable[] = {
	METRIC_connections_received, METRIC_net_input_bytes, METRIC_net_output_bytes,
	METRIC_mc_cmd_get, METRIC_mc_get_hits, METRIC_mc_get_misses, METRIC_mc_cmd_set,
	METRIC_mc_total_items, METRIC_mc_cmd_flush, METRIC_mc_cmd_touch, METRIC_mc_touch_hits,
	METRIC_mc_touch_misses, METRIC_mc_cmd_meta, METRIC_mc_delete_hits,
	METRIC_mc_delete_misses, METRIC_mc_incr_hits, METRIC_mc_incr_misses,
	METRIC_mc_decr_hits, METRIC_mc_decr_misses, METRIC_mc_cas_hits, METRIC_mc_cas_misses,
	METRIC_mc_cas_badval, METRIC_mc_store_too_large, METRIC_mc_store_no_memory,
	METRIC_evicted_keys,
};

static void stats_reset(struct conn *c)
{
	for (size_t i = 0; i < sizeof(resettable) / sizeof(resettable[0]); i++)
		__atomic_store_n(&baseline[resettable[i]], metric_total(resettable[i]),
				 __ATOMIC_RELAXED);
	buf_append(&c->out, "RESET\r\n", 7);
}

static void stat_u64(struct conn *c, const char *name, uint64_t v)
{
	buf_appendf(&c->out, "STAT %s %" PRIu64 "\r\n", name, v);
}

static void stat_str(struct conn *c, const char *name, const char *v)
{
	buf_appendf(&c->out, "STAT %s %s\r\n", name, v);
}

static void stats_general(struct conn *c)
{
	static const struct { const char *name; enum metric_id id; } counters[] = {
		{ "cmd_get", METRIC_mc_cmd_get }, { "cmd_set", METRIC_mc_cmd_set },
		{ "cmd_flush", METRIC_mc_cmd_flush }, { "cmd_touch", METRIC_mc_cmd_touch },
		{ "cmd_meta", METRIC_mc_cmd_meta }, { "get_hits", METRIC_mc_get_hits },
		{ "get_misses", METRIC_mc_get_misses },
		{ "delete_misses", METRIC_mc_delete_misses }, { "delete_hits", METRIC_mc_delete_hits },
		{ "incr_misses", METRIC_mc_incr_misses }, { "incr_hits", METRIC_mc_incr_hits },
		{ "decr_misses", METRIC_mc_decr_misses }, { "decr_hits", METRIC_mc_decr_hits },
		{ "cas_misses", METRIC_mc_cas_misses }, { "cas_hits", METRIC_mc_cas_hits },
		{ "cas_badval", METRIC_mc_cas_badval }, { "touch_hits", METRIC_mc_touch_hits },
		{ "touch_misses", METRIC_mc_touch_misses },
		{ "store_too_large", METRIC_mc_store_too_large },
		{ "store_no_memory", METRIC_mc_store_no_memory },
	};
	struct rusage ru;
	time_t now = time(NULL);

	getrusage(RUSAGE_SELF, &ru);
	stat_u64(c, "pid", (uint64_t)getpid());
	stat_u64(c, "uptime", (uint64_t)(now - started));
	stat_u64(c, "time", (uint64_t)now);
	stat_str(c, "version", MC_VERSION_STRING);
	stat_u64(c, "pointer_size", sizeof(void *) * 8);
	buf_appendf(&c->out, "STAT rusage_user %ld.%06ld\r\n", (long)ru.ru_utime.tv_sec,
		    (long)ru.ru_utime.tv_usec);
	buf_appendf(&c->out, "STAT rusage_system %ld.%06ld\r\n", (long)ru.ru_stime.tv_sec,
		    (long)ru.ru_stime.tv_usec);
	/* Connections and bytes count both protocols: one engine serves them. */
	stat_u64(c, "curr_connections", metric_total(METRIC_connected_clients));
	stat_u64(c, "total_connections", counter(METRIC_connections_received));
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		stat_u64(c, counters[i].name, counter(counters[i].id));
	stat_u64(c, "bytes_read", counter(METRIC_net_input_bytes));
	stat_u64(c, "bytes_written", counter(METRIC_net_output_bytes));
	/* maxmemory; 0 means no limit (memcached has no such setting). */
	stat_u64(c, "limit_maxbytes", (uint64_t)opt_int(OPT_maxmemory));
	stat_u64(c, "threads", steer_workers());
	stat_u64(c, "bytes", storage_used_memory());
	stat_u64(c, "curr_items", storage_keys());
	stat_u64(c, "total_items", counter(METRIC_mc_total_items));
	/* Keys the storage engine evicted to stay under maxmemory. */
	stat_u64(c, "evictions", counter(METRIC_evicted_keys));
}

static void stats_settings(struct conn *c)
{
	stat_u64(c, "maxbytes", (uint64_t)opt_int(OPT_maxmemory));
	stat_u64(c, "tcpport", (uint64_t)opt_int(OPT_memcache_port));
	stat_u64(c, "verbosity", cmd_mc_verbosity());
	/* memcached's "evictions on" is its -M off; ours is the policy. */
	stat_str(c, "evictions", opt_enum(OPT_maxmemory_policy) == 0 ? "off" : "on");
	stat_u64(c, "num_threads", steer_workers());
	stat_str(c, "cas_enabled", "yes");
	stat_u64(c, "item_size_max", MC_ITEM_MAX_DEFAULT);
	stat_str(c, "flush_enabled", "yes");
}

/* Items are not in slab classes here: all of them are reported as class
 * 1, and, as memcached does for an empty cache, nothing when there are
 * none. */
static void stats_items(struct conn *c)
{
	uint64_t n = storage_keys();

	if (n > 0)
		stat_u64(c, "items:1:number", n);
}

/* The engine keeps no registry of connections across workers (each lives
 * on its own worker, unshared); the asking connection is the one it
 * knows, and it is reported under its id, in memcached's words for a
 * connection that is running a command. */
static void stats_conns(struct conn *c)
{
	buf_appendf(&c->out, "STAT %" PRIu64 ":state conn_parse_cmd\r\n", c->id);
	buf_appendf(&c->out, "STAT %" PRIu64 ":secs_since_last_cmd 0\r\n", c->id);
}

void mc_stats_finish(struct conn *c)
{
	const struct ss_arg *g = &c->mc.stats_arg;
	static const struct { const char *name; void (*fn)(struct conn *c); } groups[] = {
		{ "settings", stats_settings }, { "items", stats_items }, { "conns", stats_conns },
	};

	if (g->p == NULL) {
		stats_general(c);
		buf_append(&c->out, "END\r\n", 5);
		return;
	}
	if (g->len == 5 && memcmp(g->p, "reset", 5) == 0) {
		stats_reset(c);
		return;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (g->len == strlen(groups[i].name) && memcmp(g->p, groups[i].name, g->len) == 0) {
			groups[i].fn(c);
			buf_append(&c->out, "END\r\n", 5);
			return;
		}
	}
	/* memcached: a group neither it nor its engine knows. */
	buf_append(&c->out, "ERROR\r\n", 7);
}
