/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slipstream: the process. The main thread is the management core; it sets
 * up every module in one ordered list, starts the workers, runs the
 * management loop until SIGINT/SIGTERM, and tears down in reverse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/io_dpdk.h"
#include "dataplane/io_kernel.h"
#include "dataplane/steer.h"
#include "mgmt/metrics_http.h"
#include "mgmt/mgmt.h"
#include "mgmt/persist_writer.h"
#include "mgmt/repl_primary.h"
#include "mgmt/repl_replica.h"
#include "platform/clock.h"
#include "platform/eal.h"
#include "platform/lcore.h"
#include "platform/log.h"
#include "platform/mem.h"
#include "platform/cmdstat.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/storage.h"

#define EXIT_USAGE 2   /* bad option or value: nothing was started */

static int usage_error(const char *msg)
{
	fprintf(stderr, "slipstream: %s\n", msg);
	return EXIT_USAGE;
}

/* Options whose values are valid alone but not together or here. */
static int check_options(char *err, size_t errlen)
{
	if (opt_int(OPT_port) == 0 && opt_int(OPT_memcache_port) == 0) {
		snprintf(err, errlen, "port and memcache-port are both 0: "
			 "at least one must be a port from 1 to 65535");
		return -EINVAL;
	}
	if (opt_int(OPT_port) != 0 && opt_int(OPT_port) == opt_int(OPT_memcache_port)) {
		snprintf(err, errlen, "port and memcache-port are both %lld: they must differ",
			 opt_int(OPT_port));
		return -EINVAL;
	}
	if (persist_schedule_check(opt_str(OPT_save), err, errlen) < 0)
		return -EINVAL;
	{
		char host[256];
		int port;
		if (repl_replica_parse_target(opt_str(OPT_replicaof), host, sizeof(host), &port,
					      err, errlen) < 0)
			return -EINVAL;
	}
	if (chdir(opt_str(OPT_dir)) != 0) {
		snprintf(err, errlen, "dir: cannot use '%s' as the working directory: %s",
			 opt_str(OPT_dir), strerror(errno));
		return -EINVAL;
	}
	return SS_OK;
}

/* An I/O backend, chosen once at start-up. */
struct backend {
	const char *name;
	int (*setup)(unsigned workers, char *err, size_t errlen);
	int (*launch)(unsigned workers, lcore_fn fn, void *arg);
	lcore_fn worker;
	bool (*wait_ready)(void);
	void (*stop)(void);
	int (*wait)(void);
	void (*teardown)(void);
};

static int kernel_launch(unsigned workers, lcore_fn fn, void *arg)
{
	return lcore_launch_workers(workers, fn, arg, opt_bool(OPT_cpu_pin));
}

/* io=dpdk: the EAL first (it creates the worker lcores), then the port. */
static int dpdk_setup(unsigned workers, char *err, size_t errlen)
{
	int rc = eal_setup(opt_str(OPT_dpdk_args), workers, err, errlen);
	return rc < 0 ? rc : io_dpdk_setup(workers, err, errlen);
}

static void dpdk_teardown(void)
{
	io_dpdk_teardown();
	eal_teardown();
}

static const struct backend backends[] = {
	{ "kernel", io_kernel_setup, kernel_launch, io_kernel_worker, io_kernel_wait_ready,
	  io_kernel_stop, lcore_wait_workers, io_kernel_teardown },
	{ "dpdk", dpdk_setup, eal_launch_workers, io_dpdk_worker, io_dpdk_wait_ready,
	  io_dpdk_stop, eal_wait_workers, dpdk_teardown },
};

static void announce(const struct backend *be, unsigned workers)
{
	char ip[16];
	uint32_t a = opt_ipv4(OPT_ip);

	log_notice("Slipstream %s, io=%s, %u worker%s, allocator %s", SS_VERSION, be->name,
		   workers, workers == 1 ? "" : "s", mem_allocator_name());
	if (opt_enum(OPT_io) == 1) {
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
		log_notice("io=dpdk: ARP and ping answered on %s", ip);
		if (opt_int(OPT_port) != 0)
			log_notice("Redis (RESP) clients:   redis-cli -h %s -p %lld", ip,
				   opt_int(OPT_port));
		if (opt_int(OPT_memcache_port) != 0)
			log_notice("memcached clients:      %s:%lld", ip, opt_int(OPT_memcache_port));
	} else {
		if (opt_int(OPT_port) != 0)
			log_notice("Redis (RESP) clients:   redis-cli -h %s -p %lld",
				   opt_str(OPT_bind), opt_int(OPT_port));
		if (opt_int(OPT_memcache_port) != 0)
			log_notice("memcached clients:      %s:%lld (e.g. memccat --servers=%s:%lld KEY)",
				   opt_str(OPT_bind), opt_int(OPT_memcache_port),
				   opt_str(OPT_bind), opt_int(OPT_memcache_port));
	}
	if (opt_int(OPT_metrics_port) != 0)
		log_notice("Prometheus metrics:     http://%s:%lld/metrics",
			   opt_str(OPT_bind), opt_int(OPT_metrics_port));
	if (opt_enum(OPT_io) == 1 && repl_primary_listening())
		log_notice("Replicas (replicaof):   %s:%lld on the kernel's interfaces",
			   opt_str(OPT_bind), opt_int(OPT_port));
	log_notice(opt_enum(OPT_io) == 1 ? "Dataplane ready" : "Ready to accept connections tcp");
}

static int serve(unsigned workers)
{
	const struct backend *be = &backends[opt_enum(OPT_io)];
	char err[256];
	int rc;

	if ((rc = be->setup(workers, err, sizeof(err))) < 0) {
		log_warn("%s", err);
		be->teardown();
		return 1;
	}
	storage_start_rcu_thread();
	metrics_http_add_renderer(steer_render_metrics);
	repl_primary_setup();
	/* io=dpdk: replicas reach the management core on the kernel's side */
	if (opt_enum(OPT_io) == 1 &&
	    repl_primary_listen(opt_str(OPT_bind), (int)opt_int(OPT_port), err, sizeof(err)) < 0)
		log_warn("%s: no replicas can attach", err);
	metrics_http_add_renderer(repl_primary_render_metrics);
	/* Each worker loads the keys it owns from the last snapshot. */
	storage_load_at_start(opt_str(OPT_dbfilename), opt_enum(OPT_rdb_load_unsupported) == 1);
	if ((rc = metrics_http_setup(opt_str(OPT_bind), (int)opt_int(OPT_metrics_port),
				     err, sizeof(err))) < 0) {
		log_warn("%s", err);
		be->teardown();
		return 1;
	}
	if ((rc = be->launch(workers, be->worker, NULL)) < 0) {
		log_warn("cannot start workers: %s", strerror(-rc));
		be->stop();
	} else if (be->wait_ready()) {
		announce(be, workers);
		mgmt_run();
	}
	persist_abort();   /* a snapshot cut short leaves the last complete one */
	be->stop();
	rc = be->wait();
	repl_primary_teardown();
	metrics_http_teardown();
	be->teardown();
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	char err[512];
	unsigned workers;
	int rc;

	if (opt_setup() < 0)
		return usage_error("out of memory");
	rc = opt_parse_cmdline(argc, argv, err, sizeof(err));
	if (rc < 0)
		return usage_error(err);
	if (rc == OPT_HELP) {
		opt_print_help(stdout, "slipstream");
		return 0;
	}
	if (rc == OPT_VERSION) {
		printf("slipstream %s\n", SS_VERSION);
		return 0;
	}
	if (check_options(err, sizeof(err)) < 0)
		return usage_error(err);
	if ((rc = log_setup((enum log_level)opt_enum(OPT_loglevel), opt_str(OPT_logfile))) < 0) {
		snprintf(err, sizeof(err), "logfile: cannot open '%s': %s",
			 opt_str(OPT_logfile), strerror(-rc));
		return usage_error(err);
	}
	workers = opt_int(OPT_workers) > 0 ? (unsigned)opt_int(OPT_workers)
					   : lcore_default_workers();

	/* Setup in dependency order; teardown in reverse. */
	clock_setup();
	if ((rc = mem_setup(workers + 1)) < 0 || (rc = mem_thread_init(0)) < 0 ||
	    (rc = metric_setup(workers + 1)) < 0 || (rc = cmdstat_setup(workers + 1)) < 0 ||
	    (rc = storage_setup(workers)) < 0 || (rc = steer_setup(workers)) < 0 ||
	    (rc = mgmt_setup()) < 0) {
		log_warn("start-up failed: %s", strerror(-rc));
		return 1;
	}
	metric_thread_init(0);
	cmdstat_thread_init(0);
	rc = serve(workers);
	mgmt_teardown();
	steer_teardown();
	storage_teardown();
	cmdstat_teardown();
	metric_teardown();
	mem_thread_fini();
	mem_teardown();
	log_notice("Slipstream is now ready to exit, bye bye...");
	log_teardown();
	opt_teardown();
	return rc;
}
