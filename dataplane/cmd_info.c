/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INFO [section ...]: Redis 7's sections and field names, from the one
 * metric table, the command statistics, the storage totals and the option
 * table. Runs on the worker that received it; every number is read with
 * relaxed loads of other cores' blocks, so the request path never waits.
 *
 * Fields are only those whose value is true here: e.g. no rdb_* fields
 * that would claim a snapshot ran (persistence is not built yet).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/conn_priv.h"
#include "platform/clock.h"
#include "platform/cmdstat.h"
#include "platform/errstat.h"
#include "platform/instant.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "storage/persist.h"
#include "storage/repl_log.h"
#include "storage/repl.h"
#include "storage/shard.h"
#include "storage/storage.h"

/* What clients see as the Redis version: the Redis 7.0 command set and
 * reply formats this server follows (clients gate features on it). */
#define SS_REDIS_COMPAT    "7.0.0"

struct out {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = 1;
			return;
		}
		if (o->p != NULL && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *p = realloc(o->p, cap);
		if (p == NULL) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
}

/* Redis's bytesToHuman. */
static void human(char *s, size_t n, double b)
{
	static const char *const unit = "BKMGTPE";
	unsigned i = 0;

	while (b >= 1024 && i < 6) {
		b /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(s, n, "%lluB", (unsigned long long)b);
	else
		snprintf(s, n, "%.2f%c", b, unit[i]);
}

static const char *run_id(void)
{
	static char id[41];
	static int done;

	/* A random 40-hex id per process, as Redis's run_id. The first INFO
	 * makes it; a race between two first calls writes equal-length ids,
	 * so the worst case is two readers seeing different ids once. */
	if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		FILE *f = fopen("/dev/urandom", "rb");
		unsigned char r[20] = { 0 };
		if (f != NULL) {
			if (fread(r, 1, sizeof(r), f) != sizeof(r))
				memset(r, 0, sizeof(r));
			fclose(f);
		}
		for (int i = 0; i < 20; i++)
			snprintf(id + 2 * i, 3, "%02x", r[i]);
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return id;
}

static void sec_server(struct out *o)
{
	struct utsname u;
	struct timeval tv;
	uint64_t up = clock_uptime_ms() / 1000;
	char exe[512] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0)
		exe[n] = '\0';
	uname(&u);
	put(o, "# Server\r\n");
	put(o, "redis_version:%s\r\n", SS_REDIS_COMPAT);
	put(o, "slipstream_version:%s\r\n", SS_VERSION);
	put(o, "redis_mode:standalone\r\n");
	put(o, "os:%s %s %s\r\n", u.sysname, u.release, u.machine);
	put(o, "arch_bits:%d\r\n", (int)(sizeof(void *) * 8));
	put(o, "multiplexing_api:%s\r\n", opt_enum(OPT_io) == 1 ? "dpdk" : "epoll");
	put(o, "process_id:%d\r\n", (int)getpid());
	put(o, "run_id:%s\r\n", run_id());
	put(o, "tcp_port:%lld\r\n", opt_int(OPT_port));
	gettimeofday(&tv, NULL);
	put(o, "server_time_usec:%lld\r\n", (long long)tv.tv_sec * 1000000 + tv.tv_usec);
	put(o, "uptime_in_seconds:%llu\r\n", (unsigned long long)up);
	put(o, "uptime_in_days:%llu\r\n", (unsigned long long)(up / 86400));
	put(o, "executable:%s\r\n", exe);
	put(o, "io_threads_active:0\r\n");
	put(o, "worker_cores:%u\r\n", storage_shards());
}

static void sec_clients(struct out *o)
{
	put(o, "# Clients\r\n");
	put(o, "connected_clients:%lld\r\n", (long long)metric_total(METRIC_connected_clients));
	put(o, "blocked_clients:0\r\n");
	put(o, "tracking_clients:0\r\n");
}

static uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void sec_memory(struct out *o)
{
	static uint64_t peak;
	uint64_t used = storage_used_memory(), rss = rss_bytes();
	long long max = opt_int(OPT_maxmemory);
	char h1[32], h2[32], h3[32], h4[32];
	char pol[64];
	uint64_t p = __atomic_load_n(&peak, __ATOMIC_RELAXED);

	/* The peak as INFO has observed it (sampled here, not per write). */
	while (used > p && !__atomic_compare_exchange_n(&peak, &p, used, 0, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED)) {
	}
	if (used > p)
		p = used;
	opt_format(OPT_maxmemory_policy, pol, sizeof(pol));
	human(h1, sizeof(h1), (double)used);
	human(h2, sizeof(h2), (double)rss);
	human(h3, sizeof(h3), (double)p);
	human(h4, sizeof(h4), (double)max);
	put(o, "# Memory\r\n");
	put(o, "used_memory:%llu\r\n", (unsigned long long)used);
	put(o, "used_memory_human:%s\r\n", h1);
	put(o, "used_memory_rss:%llu\r\n", (unsigned long long)rss);
	put(o, "used_memory_rss_human:%s\r\n", h2);
	put(o, "used_memory_peak:%llu\r\n", (unsigned long long)p);
	put(o, "used_memory_peak_human:%s\r\n", h3);
	put(o, "maxmemory:%lld\r\n", max);
	put(o, "maxmemory_human:%s\r\n", h4);
	put(o, "maxmemory_policy:%s\r\n", pol);
	if (max > 0)
		put(o, "used_memory_percent_of_maxmemory:%.2f%%\r\n", 100.0 * (double)used / (double)max);
	put(o, "mem_allocator:%s\r\n", mem_allocator_name());
}

static void sec_persistence(struct out *o)
{
	struct persist_info i;
	int64_t now = (int64_t)time(NULL);

	persist_info_get(&i);
	put(o, "# Persistence\r\n");
	put(o, "loading:0\r\n");
	put(o, "async_loading:0\r\n");
	put(o, "rdb_changes_since_last_save:%llu\r\n",
	    (unsigned long long)(storage_dirty() - i.dirty_at_save));
	put(o, "rdb_bgsave_in_progress:%d\r\n", i.in_progress ? 1 : 0);
	put(o, "rdb_last_save_time:%lld\r\n", (long long)i.last_save_s);
	put(o, "rdb_last_bgsave_status:%s\r\n", i.last_ok ? "ok" : "err");
	put(o, "rdb_last_bgsave_time_sec:%lld\r\n", (long long)i.last_time_s);
	put(o, "rdb_current_bgsave_time_sec:%lld\r\n",
	    i.in_progress ? (long long)(now - i.current_start_s) : -1LL);
	put(o, "rdb_saves:%llu\r\n", (unsigned long long)i.saves);
	put(o, "aof_enabled:0\r\n");
	put(o, "aof_rewrite_in_progress:0\r\n");
}

static void sec_stats(struct out *o)
{
	put(o, "# Stats\r\n");
	put(o, "total_connections_received:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_connections_received));
	put(o, "total_commands_processed:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_commands_processed));
	put(o, "instantaneous_ops_per_sec:%lld\r\n", (long long)(instant_rate(INSTANT_OPS) + 0.5));
	put(o, "total_net_input_bytes:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_net_input_bytes));
	put(o, "total_net_output_bytes:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_net_output_bytes));
	put(o, "instantaneous_input_kbps:%.2f\r\n", instant_rate(INSTANT_NET_IN) / 1024);
	put(o, "instantaneous_output_kbps:%.2f\r\n", instant_rate(INSTANT_NET_OUT) / 1024);
	put(o, "expired_keys:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_expired_keys));
	put(o, "evicted_keys:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_evicted_keys));
	put(o, "keyspace_hits:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_keyspace_hits));
	put(o, "keyspace_misses:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_keyspace_misses));
	put(o, "total_error_replies:%llu\r\n", (unsigned long long)errstat_total());
	put(o, "steered_ops:%llu\r\n",
	    (unsigned long long)metric_total_since_reset(METRIC_steer_sent));
}

/* Redis 7.0's fields and order. A primary has no replicas yet (no
 * backlog): its offset is 0, or where it was promoted. */
static void sec_replication(struct out *o)
{
	struct repl_status s;
	struct repl_primary_info p;
	int64_t now = clock_unix_ms();

	repl_status_get(&s);
	repl_primary_info_get(&p);
	put(o, "# Replication\r\n");
	put(o, "role:%s\r\n", s.replica ? "slave" : "master");
	if (s.replica) {
		bool up = s.link == REPL_LINK_CONNECTED;
		put(o, "master_host:%s\r\n", s.host);
		put(o, "master_port:%d\r\n", s.port);
		put(o, "master_link_status:%s\r\n", up ? "up" : "down");
		put(o, "master_last_io_seconds_ago:%d\r\n",
		    up && s.last_io_ms > 0 ? (int)((now - s.last_io_ms) / 1000) : -1);
		put(o, "master_sync_in_progress:%d\r\n", s.link == REPL_LINK_SYNC);
		put(o, "slave_read_repl_offset:%lld\r\n", s.synced ? (long long)s.read_offset : 1);
		put(o, "slave_repl_offset:%lld\r\n", s.synced ? (long long)s.offset : 1);
		if (s.link == REPL_LINK_SYNC) {
			put(o, "master_sync_total_bytes:%lld\r\n", (long long)s.sync_total);
			put(o, "master_sync_read_bytes:%lld\r\n", (long long)s.sync_read);
			put(o, "master_sync_left_bytes:%lld\r\n",
			    (long long)(s.sync_total - s.sync_read));
			put(o, "master_sync_perc:%.2f\r\n", s.sync_total > 0 ?
			    (double)s.sync_read / (double)s.sync_total * 100 : 0.0);
			put(o, "master_sync_last_io_seconds_ago:%d\r\n",
			    (int)((now - s.sync_last_io_ms) / 1000));
		}
		if (!up)
			put(o, "master_link_down_since_seconds:%lld\r\n",
			    s.down_since_ms > 0 ? (long long)((now - s.down_since_ms) / 1000) : -1LL);
		put(o, "slave_priority:100\r\n");
		put(o, "slave_read_only:%d\r\n", opt_bool(OPT_replica_read_only) ? 1 : 0);
		put(o, "replica_announced:1\r\n");
	}
	/* this node's own replicas (repl_primary.c), whatever its role */
	put(o, "connected_slaves:%u\r\n", p.connected);
	for (unsigned i = 0; i < p.connected && i < REPL_INFO_REPLICAS; i++)
		put(o, "slave%u:ip=%s,port=%d,state=%s,offset=%llu,lag=%lld\r\n", i, p.r[i].ip,
		    p.r[i].port, p.r[i].state, (unsigned long long)p.r[i].offset,
		    (long long)p.r[i].lag_s);
	put(o, "master_failover_state:no-failover\r\n");
	put(o, "master_replid:%s\r\n", s.replid);
	put(o, "master_replid2:%s\r\n", s.replid2);
	/* a replica: what it applied of its primary's stream; a primary: its own,
	 * which a promotion continues from the old primary's (the management
	 * core takes that up on its next tick) */
	long long off = (long long)p.offset;
	if (s.replica)
		off = s.synced ? (long long)s.offset : 0;
	else if (s.second_offset > 0 && off < s.second_offset - 1)
		off = s.second_offset - 1;
	put(o, "master_repl_offset:%lld\r\n", off);
	put(o, "second_repl_offset:%lld\r\n", (long long)s.second_offset);
	put(o, "repl_backlog_active:%d\r\n", p.backlog_active ? 1 : 0);
	put(o, "repl_backlog_size:%llu\r\n", (unsigned long long)(p.backlog_size ? p.backlog_size :
		(unsigned long long)opt_int(OPT_repl_backlog_size)));
	put(o, "repl_backlog_first_byte_offset:%llu\r\n",
	    (unsigned long long)(p.backlog_active ? p.backlog_first : 0));
	put(o, "repl_backlog_histlen:%llu\r\n", (unsigned long long)p.backlog_histlen);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void sec_cpu(struct out *o)
{
	struct rusage self;
	unsigned cores = metric_cores();

	getrusage(RUSAGE_SELF, &self);
	put(o, "# CPU\r\n");
	put(o, "used_cpu_sys:%.6f\r\n", tv_s(self.ru_stime));
	put(o, "used_cpu_user:%.6f\r\n", tv_s(self.ru_utime));
	put(o, "used_cpu_sys_children:0.000000\r\n");
	put(o, "used_cpu_user_children:0.000000\r\n");
	/* Each worker loop's busy share since start (ElastiCache's per-core
	 * CPUUtilization; /metrics has the counters for rates). */
	for (unsigned c = 1; c < cores; c++) {
		uint64_t busy = metric_read(c, METRIC_loop_busy_ns);
		uint64_t idle = metric_read(c, METRIC_loop_idle_ns);
		put(o, "worker%u_busy_percent:%.2f\r\n", c - 1,
		    busy + idle ? 100.0 * (double)busy / (double)(busy + idle) : 0.0);
	}
}

/* Redis INFO lists RESP commands only; memcached's live under their
 * "memcached|" names in /metrics. */
static int is_resp(const char *name)
{
	return strncmp(name, "memcached|", 10) != 0;
}

static void sec_commandstats(struct out *o)
{
	unsigned n = cmdstat_count();

	put(o, "# Commandstats\r\n");
	for (unsigned id = 0; id < n; id++) {
		struct cmdstat_sum s;
		const char *name = cmdstat_name((int)id);

		cmdstat_read((int)id, &s);
		if (!is_resp(name) || (s.calls == 0 && s.rejected == 0))
			continue;
		put(o, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
		    "failed_calls=%llu\r\n", name, (unsigned long long)s.calls,
		    (unsigned long long)(s.ns / 1000),
		    s.calls ? (double)s.ns / 1000.0 / (double)s.calls : 0.0,
		    (unsigned long long)s.rejected, (unsigned long long)s.failed);
	}
}

static void sec_latencystats(struct out *o)
{
	unsigned n = cmdstat_count();
	struct hist *h = malloc(sizeof(*h));

	put(o, "# Latencystats\r\n");
	if (h == NULL) {
		o->oom = 1;
		return;
	}
	for (unsigned id = 0; id < n; id++) {
		const char *name = cmdstat_name((int)id);

		if (!is_resp(name))
			continue;
		cmdstat_hist((int)id, h);
		if (h->count == 0)
			continue;
		/* Redis's default latency-tracking-info-percentiles "50 99 99.9" */
		put(o, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n", name,
		    (double)hist_quantile(h, 0.50) / 1000.0, (double)hist_quantile(h, 0.99) / 1000.0,
		    (double)hist_quantile(h, 0.999) / 1000.0);
	}
	free(h);
}

static void sec_errorstats(struct out *o)
{
	static char codes[ERRSTAT_MAX][ERRSTAT_CODELEN];
	static uint64_t counts[ERRSTAT_MAX];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned n;

	put(o, "# Errorstats\r\n");
	pthread_mutex_lock(&lock);   /* the static snapshot arrays */
	n = errstat_snapshot(codes, counts, ERRSTAT_MAX);
	for (unsigned i = 0; i < n; i++)
		put(o, "errorstat_%s:count=%llu\r\n", codes[i], (unsigned long long)counts[i]);
	pthread_mutex_unlock(&lock);
}

static void sec_keyspace(struct out *o)
{
	uint64_t keys = storage_keys();

	put(o, "# Keyspace\r\n");
	if (keys > 0)
		put(o, "db0:keys=%llu,expires=%llu,avg_ttl=%lld\r\n", (unsigned long long)keys,
		    (unsigned long long)storage_volatile_keys(), (long long)storage_avg_ttl_ms());
}

/* Per worker core (Slipstream's own section; slipstream-top reads it):
 * its counters, so rates and busy % per core come from two readings. */
static void sec_workers(struct out *o)
{
	unsigned cores = metric_cores();

	put(o, "# Workers\r\n");
	for (unsigned c = 1; c < cores; c++) {
		struct shard *s = storage_shard(c - 1);
		long long conns = (long long)metric_read(c, METRIC_connected_clients);
		put(o, "worker%u:ops=%llu,hits=%llu,misses=%llu,busy_ns=%llu,idle_ns=%llu,"
		    "net_in=%llu,net_out=%llu,connections=%lld,keys=%llu,used_memory=%llu,steered=%llu,"
		    "p99_usec_1s=%.3f\r\n",
		    c - 1, (unsigned long long)metric_read(c, METRIC_commands_processed),
		    (unsigned long long)metric_read(c, METRIC_keyspace_hits),
		    (unsigned long long)metric_read(c, METRIC_keyspace_misses),
		    (unsigned long long)metric_read(c, METRIC_loop_busy_ns),
		    (unsigned long long)metric_read(c, METRIC_loop_idle_ns),
		    (unsigned long long)metric_read(c, METRIC_net_input_bytes),
		    (unsigned long long)metric_read(c, METRIC_net_output_bytes),
		    conns < 0 ? 0 : conns,   /* a connection closed on another core */
		    (unsigned long long)(s ? shard_count(s) : 0),
		    (unsigned long long)(s ? shard_used_memory(s) : 0),
		    (unsigned long long)metric_read(c, METRIC_steer_sent),
		    (double)instant_p99_ns(c) / 1000.0);
	}
}

struct section {
	const char *name;
	void (*fn)(struct out *o);
	int in_default;
};

static const struct section sections[] = {
	{ "server", sec_server, 1 },
	{ "clients", sec_clients, 1 },
	{ "memory", sec_memory, 1 },
	{ "persistence", sec_persistence, 1 },
	{ "stats", sec_stats, 1 },
	{ "replication", sec_replication, 1 },
	{ "cpu", sec_cpu, 1 },
	{ "commandstats", sec_commandstats, 0 },
	{ "latencystats", sec_latencystats, 0 },
	{ "errorstats", sec_errorstats, 1 },
	{ "keyspace", sec_keyspace, 1 },
	{ "workers", sec_workers, 0 },
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* Which sections the arguments ask for (Redis 7: several, any case;
 * "default", "all", "everything"; unknown names are ignored). */
static void pick(struct conn *c, int *want)
{
	if (c->resp.argc == 1) {
		for (unsigned i = 0; i < N_SECTIONS; i++)
			want[i] = sections[i].in_default;
		return;
	}
	for (uint32_t a = 1; a < c->resp.argc; a++) {
		const struct ss_arg *arg = &c->resp.argv[a];
		for (unsigned i = 0; i < N_SECTIONS; i++) {
			int all = (arg->len == 3 && strncasecmp(arg->p, "all", 3) == 0) ||
				  (arg->len == 10 && strncasecmp(arg->p, "everything", 10) == 0);
			int def = arg->len == 7 && strncasecmp(arg->p, "default", 7) == 0;
			size_t l = strlen(sections[i].name);
			if (all || (def && sections[i].in_default) ||
			    (arg->len == l && strncasecmp(arg->p, sections[i].name, l) == 0))
				want[i] = 1;
		}
	}
}

void cmd_info_finish(struct conn *c)
{
	struct out o = { 0 };
	int want[N_SECTIONS] = { 0 }, first = 1;

	pick(c, want);
	put(&o, "%s", "");
	for (unsigned i = 0; i < N_SECTIONS; i++) {
		if (!want[i])
			continue;
		if (!first)
			put(&o, "\r\n");
		first = 0;
		sections[i].fn(&o);
	}
	if (o.oom) {
		resp_error(&c->w, "ERR out of memory");
	} else {
		resp_verbatim(&c->w, "txt", o.p, o.len);
	}
	free(o.p);
}
