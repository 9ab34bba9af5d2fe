/* SPDX-License-Identifier: BSD-3-Clause */
/* slipstream-loadgen's command line (memtier_benchmark's names where it has them). */
#ifndef SS_LOADGEN_OPTS_H
#define SS_LOADGEN_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "lg_workload.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lg_opts {
	const char *server, *protocol, *transport, *key_prefix;
	unsigned port, connections, threads, pipeline, set_w, get_w;
	uint64_t key_count, requests, seed;
	enum lg_pattern pattern;
	double zipf_theta, test_time, warmup, rate;
	unsigned long size_min, size_max;
	unsigned expiry_min, expiry_max;   /* each SET's TTL in seconds; 0: none */
	int verify, json;
	/* --transport dpdk */
	const char *dpdk_args;
	uint32_t dpdk_ip, dpdk_netmask;   /* host byte order */
	unsigned dpdk_idle_sleep_us;
};

/* The DPDK transport's defaults: a net_memif client facing an appliance
 * started with role=server on the same socket, in the 198.18.0.0/15
 * benchmarking range (the appliance's default address is 198.18.0.2/24).
 * The client sizes memif's rings: 4096 slots (rsize=12), not 1024, so that
 * a pipelined reply from each of 1000 connections fits while this thread is
 * busy parsing (with 1024, at 1024 connections and pipeline 16, the
 * server's replies overflowed and waited for its RTO: 0.41 M ops/s against
 * 1.19 M). */
#define LG_DPDK_ARGS_DEFAULT "--no-huge -m 512 --no-pci --file-prefix lg " \
	"--vdev=net_memif0,role=client,socket=/run/slipstream-memif.sock,rsize=12"
#define LG_DPDK_IP_DEFAULT "198.18.0.1/24"
#define LG_DPDK_SERVER_DEFAULT "198.18.0.2"

/* 0 to run; 1 after --help (printed to out); -EINVAL after printing one
 * line to err naming the bad option. */
int lg_opts_parse(struct lg_opts *o, int argc, char **argv, FILE *out, FILE *err);
const char *lg_pattern_name(enum lg_pattern p);

#ifdef __cplusplus
}
#endif

#endif
