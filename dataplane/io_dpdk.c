/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/io_dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "dataplane/net/net.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/storage.h"

#define DPDK_PORT        0
#define DPDK_BURST       32
#define DPDK_RING_DESC   1024
#define DPDK_MBUFS_PER_Q 4096
#define DPDK_MBUF_CACHE  256
#define DPDK_IDLE_POLLS  64      /* empty polls in a row before backing off */

struct dworker {
	struct net_if nif;
	unsigned id;
	uint16_t nb_tx;
	struct rte_mbuf *tx[DPDK_BURST];
} __attribute__((aligned(64)));

static struct rte_mempool *pool;
static struct dworker *dworkers;
static unsigned n_dworkers;
static struct rte_ether_addr port_mac;
static volatile int stopping;
static unsigned ready;
static int port_started;

int io_dpdk_setup(unsigned nworkers, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		snprintf(err, errlen, "dpdk-args: no DPDK port (add a NIC or e.g. --vdev=net_tap0)");
		return -ENODEV;
	}
	if ((rc = rte_eth_dev_info_get(DPDK_PORT, &info)) != 0 ||
	    info.max_rx_queues < nworkers || info.max_tx_queues < nworkers) {
		snprintf(err, errlen, "port %u: cannot have %u queue pairs (at most %u)", DPDK_PORT,
			 nworkers, rc == 0 ? info.max_rx_queues : 0);
		return -EINVAL;
	}
	pool = rte_pktmbuf_pool_create("ss_mbufs", DPDK_MBUFS_PER_Q * nworkers, DPDK_MBUF_CACHE,
				       0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	/* Spread flows over the queues where the NIC can hash them. */
	if (nworkers > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) &
						   info.flow_type_rss_offloads;
	}
	if ((rc = rte_eth_dev_configure(DPDK_PORT, (uint16_t)nworkers, (uint16_t)nworkers, &conf)) != 0) {
		snprintf(err, errlen, "port %u: configure: %s", DPDK_PORT, rte_strerror(-rc));
		return rc;
	}
	for (unsigned q = 0; q < nworkers; q++) {
		if ((rc = rte_eth_rx_queue_setup(DPDK_PORT, (uint16_t)q, DPDK_RING_DESC,
						 rte_eth_dev_socket_id(DPDK_PORT), NULL, pool)) != 0 ||
		    (rc = rte_eth_tx_queue_setup(DPDK_PORT, (uint16_t)q, DPDK_RING_DESC,
						 rte_eth_dev_socket_id(DPDK_PORT), NULL)) != 0) {
			snprintf(err, errlen, "port %u queue %u: %s", DPDK_PORT, q, rte_strerror(-rc));
			return rc;
		}
	}
	if ((rc = rte_eth_dev_start(DPDK_PORT)) != 0) {
		snprintf(err, errlen, "port %u: start: %s", DPDK_PORT, rte_strerror(-rc));
		return rc;
	}
	port_started = 1;
	rte_eth_macaddr_get(DPDK_PORT, &port_mac);
	dworkers = rte_zmalloc_socket("ss_dworkers", sizeof(*dworkers) * nworkers, 64,
				      (int)rte_socket_id());
	if (dworkers == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n_dworkers = nworkers;
	stopping = 0;
	ready = 0;
	log_notice("port %u (%s): %02x:%02x:%02x:%02x:%02x:%02x, %u queue pairs", DPDK_PORT,
		   info.driver_name, port_mac.addr_bytes[0], port_mac.addr_bytes[1],
		   port_mac.addr_bytes[2], port_mac.addr_bytes[3], port_mac.addr_bytes[4],
		   port_mac.addr_bytes[5], nworkers);
	return SS_OK;
}

void io_dpdk_teardown(void)
{
	if (port_started) {
		rte_eth_dev_stop(DPDK_PORT);
		rte_eth_dev_close(DPDK_PORT);
	}
	port_started = 0;
	rte_free(dworkers);
	dworkers = NULL;
	rte_mempool_free(pool);
	pool = NULL;
	n_dworkers = 0;
}

void io_dpdk_stop(void) { stopping = 1; }

bool io_dpdk_wait_ready(void)
{
	struct timespec ms = { 0, 1000 * 1000 };

	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < n_dworkers && !stopping)
		nanosleep(&ms, NULL);
	return !stopping;
}

/* Send what is queued; whatever the NIC does not take is freed (counted
 * by the PMD as a drop, as on any full ring). */
static void tx_drain(struct dworker *dw)
{
	uint16_t sent = 0;

	if (dw->nb_tx == 0)
		return;
	for (int tries = 0; tries < 4 && sent < dw->nb_tx; tries++)
		sent += rte_eth_tx_burst(DPDK_PORT, (uint16_t)dw->id, dw->tx + sent,
					 (uint16_t)(dw->nb_tx - sent));
	for (uint16_t i = sent; i < dw->nb_tx; i++)
		rte_pktmbuf_free(dw->tx[i]);
	dw->nb_tx = 0;
}

static void tx_queue(struct dworker *dw, struct rte_mbuf *m)
{
	if (dw->nb_tx == DPDK_BURST)
		tx_drain(dw);
	dw->tx[dw->nb_tx++] = m;
}

static void rx_one(struct dworker *dw, struct rte_mbuf *m, uint64_t now_ms)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t cap = (uint16_t)(len + rte_pktmbuf_tailroom(m));
	struct net_l4 l4;

	metric_add_local(METRIC_net_input_bytes, len);
	/* Multi-segment frames are not expected below 2 KB; not ours to answer. */
	if (m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	switch (net_rx_local(&dw->nif, frame, &len, cap, now_ms, &l4)) {
	case NET_TX:
		m->data_len = len;
		m->pkt_len = len;
		metric_add_local(METRIC_net_output_bytes, len);
		tx_queue(dw, m);
		return;
	case NET_TCP:   /* the TCP stack is the next milestone: counted, dropped */
	case NET_DROP:
		rte_pktmbuf_free(m);
		return;
	}
}

static void announce_address(struct dworker *dw)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len;

	if (m == NULL)
		return;
	len = net_arp_gratuitous_build(&dw->nif, rte_pktmbuf_mtod(m, uint8_t *),
				       (uint16_t)rte_pktmbuf_tailroom(m));
	m->data_len = len;
	m->pkt_len = len;
	tx_queue(dw, m);
	tx_drain(dw);
}

/*
 * The loop: poll, process to completion, drain TX; after DPDK_IDLE_POLLS
 * empty polls in a row sleep idle-sleep-us (offline for QSBR meanwhile), so
 * an idle appliance does not spin a core.
 */
int io_dpdk_worker(unsigned w, void *arg)
{
	struct dworker *dw = &dworkers[w];
	struct rte_mbuf *pkts[DPDK_BURST];
	unsigned empty = 0;
	int rc;

	(void)arg;
	dw->id = w;
	net_if_init(&dw->nif, port_mac.addr_bytes, opt_ipv4(OPT_ip), opt_ipv4(OPT_netmask),
		    opt_ipv4(OPT_gateway));
	rcu_register_thread();
	if ((rc = storage_start_local(w)) < 0) {
		log_warn("worker %u cannot start: %s", w, strerror(-rc));
		rcu_unregister_thread();
		io_dpdk_stop();
		return rc;
	}
	if (w == 0)
		announce_address(dw);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	uint64_t t_mark = clock_tsc();
	while (!stopping) {
		uint16_t n = rte_eth_rx_burst(DPDK_PORT, (uint16_t)w, pkts, DPDK_BURST);
		uint64_t now_ms = n ? (uint64_t)clock_unix_ms() : 0;

		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			rx_one(dw, pkts[i], now_ms);
		}
		tx_drain(dw);
		steer_drain_local(w);
		rcu_quiescent_state();
		if (n > 0) {
			empty = 0;
			continue;
		}
		long sleep_us = (long)opt_int(OPT_idle_sleep_us);
		if (++empty < DPDK_IDLE_POLLS || sleep_us == 0)
			continue;
		uint64_t t_idle = clock_tsc();
		metric_add_local(METRIC_loop_busy_ns, (int64_t)clock_tsc_to_ns(t_idle - t_mark));
		struct timespec ts = { sleep_us / 1000000, (sleep_us % 1000000) * 1000 };
		rcu_thread_offline();
		nanosleep(&ts, NULL);
		rcu_thread_online();
		t_mark = clock_tsc();
		metric_add_local(METRIC_loop_idle_ns, (int64_t)clock_tsc_to_ns(t_mark - t_idle));
	}
	storage_stop_local(w);
	rcu_unregister_thread();
	return 0;
}
