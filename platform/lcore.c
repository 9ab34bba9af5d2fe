/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/lcore.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/mem.h"
#include "platform/cmdstat.h"
#include "platform/metric.h"
#include "platform/status.h"

struct worker_slot {
	pthread_t thread;
	unsigned worker;
	lcore_fn fn;
	void *arg;
	int rc;
};

static __thread unsigned self;
static struct worker_slot slots[LCORE_MAX];
static unsigned n_workers;

unsigned lcore_self(void) { return self; }
unsigned lcore_workers(void) { return n_workers; }

unsigned lcore_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 1 ? (unsigned)(n - 1) : 1;
}

int lcore_run_worker(unsigned w, lcore_fn fn, void *arg)
{
	char name[16];
	int rc;

	self = w + 1;
	log_set_role('W', w);
	metric_thread_init(self);
	cmdstat_thread_init(self);
	snprintf(name, sizeof(name), "ss-worker-%u", w);
	pthread_setname_np(pthread_self(), name);
	if ((rc = mem_thread_init(self)) == SS_OK) {
		rc = fn(w, arg);
		mem_thread_fini();
	}
	return rc;
}

static void *worker_main(void *p)
{
	struct worker_slot *s = p;

	s->rc = lcore_run_worker(s->worker, s->fn, s->arg);
	return NULL;
}

int lcore_launch_workers(unsigned n, lcore_fn fn, void *arg, bool pin)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (n == 0 || n >= LCORE_MAX)
		return -EINVAL;
	for (unsigned w = 0; w < n; w++) {
		struct worker_slot *s = &slots[w];
		pthread_attr_t attr;
		int rc;

		s->worker = w;
		s->fn = fn;
		s->arg = arg;
		s->rc = 0;
		pthread_attr_init(&attr);
		if (pin && ncpu > 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET((int)((w + 1) % (unsigned long)ncpu), &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		rc = pthread_create(&s->thread, &attr, worker_main, s);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			n_workers = w;
			lcore_wait_workers();
			return -rc;
		}
	}
	n_workers = n;
	return SS_OK;
}

int lcore_wait_workers(void)
{
	int first = 0;

	for (unsigned w = 0; w < n_workers; w++) {
		pthread_join(slots[w].thread, NULL);
		if (first == 0 && slots[w].rc != 0)
			first = slots[w].rc;
	}
	n_workers = 0;
	return first;
}
