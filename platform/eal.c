/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/eal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "platform/eal_unmap.h"
#include "platform/splitargs.h"
#include "platform/status.h"

#define EAL_ARGS_MAX 64

struct eal_worker {
	unsigned w;
	lcore_fn fn;
	void *arg;
	unsigned lcore_id;
};

static struct eal_worker eal_workers[LCORE_MAX];
static unsigned n_eal_workers;
static int eal_up;

static int names_lcores(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "-c") == 0 ||
		    strncmp(argv[i], "--lcores", 8) == 0 || strncmp(argv[i], "-l", 2) == 0)
			return 1;
	return 0;
}

int eal_setup(const char *dpdk_args, unsigned workers, char *err, size_t errlen)
{
	char **args, *argv[EAL_ARGS_MAX + 4], lcores[32];
	int n = splitargs(dpdk_args, &args), argc = 0, rc;

	if (n < 0 || n > EAL_ARGS_MAX) {
		snprintf(err, errlen, "dpdk-args: %s", n < 0 ? "unbalanced quotes" : "too many arguments");
		if (n >= 0)
			splitargs_free(args, n);
		return -EINVAL;
	}
	argv[argc++] = (char *)"slipstream";
	for (int i = 0; i < n; i++)
		argv[argc++] = args[i];
	if (!names_lcores(args, n)) {
		snprintf(lcores, sizeof(lcores), "0-%u", workers);
		argv[argc++] = (char *)"-l";
		argv[argc++] = lcores;
	}
	argv[argc] = NULL;
	/* rte_eal_init permutes argv; the strings stay ours to free. */
	rc = rte_eal_init(argc, argv);
	splitargs_free(args, n);
	if (rc < 0) {
		snprintf(err, errlen, "dpdk-args: EAL initialisation failed: %s",
			 rte_strerror(rte_errno));
		return -EINVAL;
	}
	eal_up = 1;
	eal_unmap_guard_arm();   /* a memif peer's disconnect waits for the workers' bursts */
	if (rte_lcore_count() < workers + 1) {
		snprintf(err, errlen, "dpdk-args: EAL has %u lcores, %u workers need %u "
			 "(one more for management)", rte_lcore_count(), workers, workers + 1);
		return -EINVAL;
	}
	return SS_OK;
}

void eal_teardown(void)
{
	if (eal_up)
		rte_eal_cleanup();
	eal_up = 0;
}

static int eal_worker_main(void *p)
{
	struct eal_worker *ew = p;

	return lcore_run_worker(ew->w, ew->fn, ew->arg);
}

int eal_launch_workers(unsigned workers, lcore_fn fn, void *arg)
{
	unsigned lc, w = 0;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (w == workers)
			break;
		eal_workers[w] = (struct eal_worker){ w, fn, arg, lc };
		if (rte_eal_remote_launch(eal_worker_main, &eal_workers[w], lc) != 0)
			return -EBUSY;
		w++;
	}
	n_eal_workers = w;
	return w == workers ? SS_OK : -EINVAL;
}

int eal_wait_workers(void)
{
	int first = 0;

	for (unsigned w = 0; w < n_eal_workers; w++) {
		int rc = rte_eal_wait_lcore(eal_workers[w].lcore_id);
		if (first == 0 && rc != 0)
			first = rc;
	}
	n_eal_workers = 0;
	return first;
}
