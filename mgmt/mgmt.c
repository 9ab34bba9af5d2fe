/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/mgmt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "platform/clock.h"
#include "mgmt/metrics_http.h"
#include "mgmt/persist_writer.h"
#include "mgmt/repl_primary.h"
#include "mgmt/repl_replica.h"
#include "platform/instant.h"
#include "platform/log.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/persist.h"
#include "storage/storage.h"

#define MGMT_TICK_MS        INSTANT_PERIOD_MS   /* the rate sampler's period */
#define MGMT_KEYSPACE_LOG_S 5     /* as Redis's verbose "DB 0: N keys" line */
#define MGMT_NICE           19
#define MGMT_REPLICAS_MAX   64    /* replicas' sockets polled (more still get served, by tick) */

static int sig_fd = -1;

int mgmt_setup(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -EINVAL;
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return sig_fd < 0 ? -errno : SS_OK;
}

void mgmt_teardown(void)
{
	if (sig_fd >= 0)
		close(sig_fd);
	sig_fd = -1;
}

static void log_keyspace(void)
{
	log_verbose("DB 0: %llu keys, %llu bytes in use, %llu clients connected",
		    (unsigned long long)storage_keys(),
		    (unsigned long long)storage_used_memory(),
		    (unsigned long long)metric_total(METRIC_connected_clients));
}

static void sample_rates(void)
{
	uint64_t now = clock_mono_ms();

	instant_track(INSTANT_OPS, metric_total(METRIC_commands_processed), now);
	instant_track(INSTANT_NET_IN, metric_total(METRIC_net_input_bytes), now);
	instant_track(INSTANT_NET_OUT, metric_total(METRIC_net_output_bytes), now);
	instant_latency_tick(now);
	persist_tick(now);
}

/* Redis's shutdown: with save points configured (or SHUTDOWN SAVE), a last
 * snapshot first, while the workers still serve. A failed one cancels a
 * SHUTDOWN (not FORCE) as in Redis; a signal shuts down anyway. */
static bool shutdown_save(int mode, bool from_signal)
{
	char one[2];
	bool want = mode == PERSIST_SHUTDOWN_SAVE ||
		    (mode == PERSIST_SHUTDOWN_DEFAULT &&
		     opt_str_copy(OPT_save, one, sizeof(one)) > 0);
	struct persist_info i;

	if (!want)
		return true;
	log_notice("Saving the final RDB snapshot before exiting.");
	persist_save_now();
	persist_info_get(&i);
	if (i.last_ok) {
		log_notice("DB saved on disk");
		return true;
	}
	if (from_signal || persist_shutdown_force()) {
		log_warn("Error trying to save the DB, exiting anyway.");
		return true;
	}
	log_warn("Error trying to save the DB, can't exit.");
	return false;
}

int mgmt_run(void)
{
	struct pollfd pfds[2 + METRICS_HTTP_MAX_FDS + MGMT_REPLICAS_MAX];
	uint64_t last_log = clock_mono_ms();
	char err[256];

	/* Where the management thread shares a CPU with a worker (a small
	 * machine, a container's quota), the request path comes first: at
	 * nice 19 it gets little of a contended CPU, and all of an idle one.
	 * Linux applies it to this thread only; the workers started before it
	 * keep theirs. */
	if (setpriority(PRIO_PROCESS, 0, MGMT_NICE) != 0)
		log_verbose("management thread: setpriority: %s", strerror(errno));
	if (repl_replica_setup(err, sizeof(err)) < 0)
		log_warn("%s", err);   /* main checked the option: cannot happen */
	for (;;) {
		unsigned nh = metrics_http_pollfds(pfds + 1);
		/* the replica's link to its primary, then this primary's replicas */
		unsigned nl = repl_replica_pollfd(&pfds[1 + nh]);
		unsigned nr = repl_primary_pollfds(pfds + 1 + nh + nl, MGMT_REPLICAS_MAX);
		pfds[0] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		/* while a snapshot runs, drain the workers' chunks promptly; with
		 * replicas, their stream lags by at most a tick; while a replica
		 * loads or applies, answer its primary promptly */
		int n = poll(pfds, 1 + nh + nl + nr, repl_primary_active() ? 1 :
				persist_active() ? 2 : repl_replica_busy() ? 10 : MGMT_TICK_MS);
		if (n > 0 && nh > 0)
			metrics_http_serve(pfds + 1, nh);
		repl_replica_step(n > 0 && nl > 0 ? pfds[1 + nh].revents : 0);
		if (n > 0 && pfds[0].revents != 0) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				log_warn("Received %s scheduling shutdown...",
					 si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
				shutdown_save(PERSIST_SHUTDOWN_DEFAULT, true);
				repl_replica_teardown();
				return (int)si.ssi_signo;
			}
		} else if (n < 0 && errno != EINTR) {
			log_warn("management loop: poll: %s", strerror(errno));
			return -errno;
		}
		sample_rates();
		repl_primary_tick(pfds + 1 + nh + nl, nr, clock_mono_ms());
		int mode = persist_shutdown_take();
		if (mode != PERSIST_SHUTDOWN_NONE) {
			log_warn("User requested shutdown...");
			if (shutdown_save(mode, false)) {
				repl_replica_teardown();
				return 0;
			}
		}
		if (clock_mono_ms() - last_log >= MGMT_KEYSPACE_LOG_S * 1000) {
			last_log = clock_mono_ms();
			log_keyspace();
		}
	}
}
