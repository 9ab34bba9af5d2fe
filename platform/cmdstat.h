/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-command statistics (Redis INFO commandstats and latencystats, the
 * per-command latency histograms of /metrics): calls, time, failed and
 * rejected calls, and a latency histogram, per core and per command.
 *
 * A command is known by an opaque key (its table entry) and a name; ids
 * are handed out on first use. Each core keeps its own key -> id map and
 * its own counters (single writer, relaxed stores, no atomics on the
 * request path); only a command's first use anywhere takes a lock. Readers
 * on any thread sum over cores.
 */
#ifndef SS_PLATFORM_CMDSTAT_H
#define SS_PLATFORM_CMDSTAT_H

#include <stdint.h>
#include "platform/hist.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CMDSTAT_MAX 512   /* distinct commands (with subcommands) */

int cmdstat_setup(unsigned ncores);
void cmdstat_teardown(void);

/* The id of the command `key` called prefix + name (e.g. "" + "get",
 * "memcached|" + "get"), or -1 when the table is full. Found by `key`
 * alone once known: the name is only read the first time, so a request
 * path can call it per request. _local: calling core's map. Call
 * cmdstat_thread_init(lcore) first on each core. */
void cmdstat_thread_init(unsigned lcore);
int cmdstat_id_local(const void *key, const char *prefix, const char *name);

/* A call that ran: its latency in ns, whether it replied an error, and
 * whether to record the latency in its histogram (latency-tracking). */
void cmdstat_call_local(int id, uint64_t ns, int failed, int track);
/* End to end: from the bytes' receive to the reply queued, all commands
 * of the core together (the backend stamps the receive). */
void cmdstat_e2e_local(uint64_t ns);
/* That histogram for core c (h zeroed first). */
void cmdstat_e2e_core(unsigned core, struct hist *h);
uint64_t cmdstat_e2e_sum_ns(unsigned core);

/* A call refused before running (arity, NOAUTH, OOM ...). */
void cmdstat_reject_local(int id);

/* Readers, any thread: ids 0 .. cmdstat_count()-1. */
struct cmdstat_sum {
	uint64_t calls, ns, failed, rejected;
};
unsigned cmdstat_count(void);
const char *cmdstat_name(int id);
void cmdstat_read(int id, struct cmdstat_sum *out);
/* The command's latency histogram summed over cores (h zeroed first);
 * the per-core form for per-core exports. */
void cmdstat_hist(int id, struct hist *h);
void cmdstat_hist_core(int id, unsigned core, struct hist *h);

/* CONFIG RESETSTAT: readers see counts from now on (a baseline is taken;
 * the writers' counters are never written by another core). */
void cmdstat_reset(void);

#ifdef __cplusplus
}
#endif

#endif
