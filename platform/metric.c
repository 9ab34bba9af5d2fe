/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/metric.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/mem.h"
#include "platform/status.h"

struct metric_desc {
	const char *name;
	enum metric_type type;
	const char *help;
};

static const struct metric_desc descs[METRIC__COUNT] = {
#define METRIC_DESC_(id, name, type, help) [METRIC_##id] = { name, type, help },
	SS_METRICS(METRIC_DESC_)
#undef METRIC_DESC_
};

/* Writes before metric_thread_init land here, not in lcore 0's block. */
static struct metric_block spare;
static struct metric_block *blocks;
static unsigned n_blocks;

__thread struct metric_block *metric_local_block = &spare;

int metric_setup(unsigned ncores)
{
	blocks = mem_calloc_lines(ncores, sizeof(*blocks));
	if (blocks == NULL)
		return -ENOMEM;
	n_blocks = ncores;
	return SS_OK;
}

void metric_teardown(void)
{
	free(blocks);
	blocks = NULL;
	n_blocks = 0;
	metric_local_block = &spare;
}

unsigned metric_cores(void) { return n_blocks; }

void metric_thread_init(unsigned lcore)
{
	metric_local_block = lcore < n_blocks ? &blocks[lcore] : &spare;
}

uint64_t metric_read(unsigned lcore, enum metric_id id)
{
	return lcore < n_blocks ? __atomic_load_n(&blocks[lcore].v[id], __ATOMIC_RELAXED) : 0;
}

uint64_t metric_total(enum metric_id id)
{
	uint64_t sum = 0;

	for (unsigned c = 0; c < n_blocks; c++)
		sum += metric_read(c, id);
	return sum;
}

/* CONFIG RESETSTAT's baseline: INFO shows counters since the reset while
 * /metrics keeps raw monotonic counters (Prometheus handles resets, but a
 * scraper should not see one that never happened on the workers). */
static uint64_t baseline[METRIC__COUNT];

void metric_reset_counters(void)
{
	for (unsigned id = 0; id < METRIC__COUNT; id++)
		if (descs[id].type == METRIC_COUNTER)
			__atomic_store_n(&baseline[id], metric_total((enum metric_id)id),
					 __ATOMIC_RELAXED);
}

uint64_t metric_total_since_reset(enum metric_id id)
{
	return metric_total(id) - __atomic_load_n(&baseline[id], __ATOMIC_RELAXED);
}

const char *metric_name(enum metric_id id) { return descs[id].name; }
const char *metric_help(enum metric_id id) { return descs[id].help; }
enum metric_type metric_type_of(enum metric_id id) { return descs[id].type; }

int metric_is_ns(enum metric_id id)
{
	size_t n = strlen(descs[id].name), s = strlen("_seconds_total");
	return n > s && strcmp(descs[id].name + n - s, "_seconds_total") == 0;
}
