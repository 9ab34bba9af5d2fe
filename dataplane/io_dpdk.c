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
#include <rte_random.h>

#include "dataplane/conn.h"
#include "dataplane/repl_apply.h"
#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"
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

/* The test fault hook's percentages for one direction (test-fault-*). */
struct fault_dir {
	unsigned drop, dup, reorder;
	struct rte_mbuf *held;       /* a packet held back behind the next one */
	uint64_t held_at_us;
};

struct dworker {
	struct net_if nif;
	struct tcp_stack *tcp;
	unsigned id;
	uint16_t nb_tx;
	struct rte_mbuf *tx[DPDK_BURST];
	uint64_t now_us;
	uint64_t rng;
	struct fault_dir frx, ftx;
	uint64_t next_sync_us;
	struct net_stats net_seen;   /* what has been added to the metric table */
	struct tcp_stats tcp_seen;
	uint64_t busy_tsc, idle_tsc; /* loop time not yet in the metric table */
	uint64_t busy_iters;         /* ... and busy iterations */
} __attribute__((aligned(64)));

/* A client connection: the engine's conn on top of a TCP flow. */
struct dconn {
	struct conn *c;
	struct tcp_conn *tc;
	struct dworker *dw;
	bool eof;                    /* the peer sent FIN */
	bool broken;                 /* out of memory: reset the flow */
};

static struct rte_mempool *pool;
static struct dworker *dworkers;
static unsigned n_dworkers;
static struct rte_ether_addr port_mac;
static volatile int stopping;
static unsigned ready;
static int port_started;
static bool rx_csum_hw, tx_csum_hw;   /* checksum offloads in use */

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
	/* Checksums in the NIC where it offers both IPv4 and TCP; software
	 * otherwise (net.c and tcp*.c compute them). */
	const uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	const uint64_t tx_ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	rx_csum_hw = opt_bool(OPT_checksum_offload) && (info.rx_offload_capa & rx_ck) == rx_ck;
	tx_csum_hw = opt_bool(OPT_checksum_offload) && (info.tx_offload_capa & tx_ck) == tx_ck;
	if (rx_csum_hw)
		conf.rxmode.offloads |= rx_ck;
	if (tx_csum_hw)
		conf.txmode.offloads |= tx_ck;
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
	log_notice("port %u (%s): %02x:%02x:%02x:%02x:%02x:%02x, %u queue pairs, checksums: "
		   "rx %s, tx %s", DPDK_PORT,
		   info.driver_name, port_mac.addr_bytes[0], port_mac.addr_bytes[1],
		   port_mac.addr_bytes[2], port_mac.addr_bytes[3], port_mac.addr_bytes[4],
		   port_mac.addr_bytes[5], nworkers, rx_csum_hw ? "offloaded" : "software",
		   tx_csum_hw ? "offloaded" : "software");
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
	metric_add_local(METRIC_net_tx_packets, sent);
	dw->nb_tx = 0;
}

static void tx_queue(struct dworker *dw, struct rte_mbuf *m)
{
	if (dw->nb_tx == DPDK_BURST)
		tx_drain(dw);
	dw->tx[dw->nb_tx++] = m;
}

/* ---- the test fault hook (test-fault-* options, all 0 by default) ---- */

static unsigned roll(struct dworker *dw)
{
	/* xorshift64: cheap, per core, good enough to pick packets */
	dw->rng ^= dw->rng << 13;
	dw->rng ^= dw->rng >> 7;
	dw->rng ^= dw->rng << 17;
	return (unsigned)(dw->rng % 100);
}

/*
 * One packet through one direction's faults: 0, 1 or 2 packets come out
 * (out[]), in an order that may put a held-back earlier packet after it.
 */
static unsigned fault_apply(struct dworker *dw, struct fault_dir *f, struct rte_mbuf *m,
			    struct rte_mbuf *out[3])
{
	unsigned n = 0;

	if (f->drop && roll(dw) < f->drop) {
		rte_pktmbuf_free(m);
		metric_add_local(METRIC_test_fault_dropped, 1);
		m = NULL;
	}
	if (m != NULL && f->reorder && f->held == NULL && roll(dw) < f->reorder) {
		f->held = m;
		f->held_at_us = dw->now_us;
		return 0;
	}
	if (m != NULL) {
		out[n++] = m;
		if (f->dup && roll(dw) < f->dup) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
			if (c != NULL)
				out[n++] = c;
		}
		if (f->held != NULL) {      /* the held one goes after this one */
			out[n++] = f->held;
			f->held = NULL;
		}
	}
	return n;
}

static bool faults_on(const struct fault_dir *f) { return f->drop | f->dup | f->reorder; }

static void tx_out(struct dworker *dw, struct rte_mbuf *m)
{
	struct rte_mbuf *out[3];
	unsigned n;

	metric_add_local(METRIC_net_output_bytes, rte_pktmbuf_pkt_len(m));
	if (!faults_on(&dw->ftx)) {
		tx_queue(dw, m);
		return;
	}
	n = fault_apply(dw, &dw->ftx, m, out);
	for (unsigned i = 0; i < n; i++)
		tx_queue(dw, out[i]);
}

/* ---- TCP callbacks ---- */

static uint8_t *tcp_tx_alloc(void *io, uint16_t need, void **handle)
{
	struct dworker *dw = io;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	(void)dw;
	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_tailroom(m) < need) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	*handle = m;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static void tcp_tx_send(void *io, void *handle, uint16_t len)
{
	struct rte_mbuf *m = handle;

	m->data_len = len;
	m->pkt_len = len;
	if (tx_csum_hw) {   /* tcp_output.c left the sums to the NIC */
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		m->l2_len = NET_ETHER_LEN;
		m->l3_len = NET_IPV4_MIN;
	}
	tx_out(io, m);
}

static void dconn_kick(struct conn *c, void *io)
{
	struct dconn *dc = io;

	(void)c;
	tcp_mark(dc->tc);
}

static void *tcp_on_accept(void *io, struct tcp_conn *tc, uint16_t local_port)
{
	struct dworker *dw = io;
	struct dconn *dc = calloc(1, sizeof(*dc));
	enum proto p = local_port == opt_int(OPT_port) ? PROTO_RESP : PROTO_MEMCACHE;

	if (dc == NULL || (dc->c = conn_create(p, dw->id, dconn_kick, dc)) == NULL) {
		log_warn("out of memory accepting a client");
		free(dc);
		return NULL;
	}
	dc->tc = tc;
	dc->dw = dw;
	{
		uint32_t pip, lip;
		uint16_t pport, lport;
		char peer[32], local[32];

		tcp_conn_addrs(tc, &pip, &pport, &lip, &lport);
		snprintf(peer, sizeof(peer), "%u.%u.%u.%u:%u", pip >> 24, (pip >> 16) & 255,
			 (pip >> 8) & 255, pip & 255, pport);
		snprintf(local, sizeof(local), "%u.%u.%u.%u:%u", lip >> 24, (lip >> 16) & 255,
			 (lip >> 8) & 255, lip & 255, lport);
		conn_set_addrs(dc->c, peer, local);
	}
	metric_add_local(METRIC_connected_clients, 1);
	metric_add_local(METRIC_connections_received, 1);
	return dc;
}

static void dconn_free(struct dconn *dc)
{
	conn_release(dc->c);
	free(dc);
	metric_add_local(METRIC_connected_clients, -1);
}

static void tcp_on_recv(void *app, const uint8_t *p, size_t n)
{
	struct dconn *dc = app;

	if (buf_append(conn_in(dc->c), p, n) < 0)
		dc->broken = true;
	conn_note_rx(dc->c, clock_tsc());
}

static void tcp_on_eof(void *app) { ((struct dconn *)app)->eof = true; }

static void tcp_on_closed(void *app) { dconn_free(app); }

/*
 * The stack is about to transmit on this flow: run the engine on what came
 * in, move replies into the TCP send buffer (what does not fit stays in
 * conn_out until ACKs make room), and close once a closing conn is drained.
 */
static void tcp_on_pull(void *app)
{
	struct dconn *dc = app;
	struct conn *c = dc->c;
	struct buf *in = conn_in(c), *out = conn_out(c);

	if (dc->broken) {
		tcp_abort(dc->tc);
		dconn_free(dc);
		return;
	}
	int round;

	for (round = 0; round < 4; round++) {
		size_t had = buf_len(in), sent = 0;

		conn_process_local(c);
		while (buf_len(out) > 0) {
			size_t n = tcp_send(dc->tc, buf_rptr(out), buf_len(out));
			if (n == 0)
				break;
			buf_consume(out, n);
			sent += n;
		}
		/* (no input taken and nothing sent: a request still arriving) */
		if (buf_len(out) > 0 || !conn_wants_input(c) || buf_len(in) == 0 ||
		    (buf_len(in) == had && sent == 0))
			break;
	}
	if (round == 4)   /* input left that the engine can take: again next */
		tcp_mark(dc->tc);
	buf_shrink_if_idle(out);
	/* Unread input closes the window only while the engine is not taking
	 * any (a kop away, output high): a request larger than the window
	 * must still arrive whole. */
	tcp_rx_unread(dc->tc, conn_wants_input(c) ? 0 : buf_len(in));
	if (buf_len(out) == 0 && (conn_wants_close(c) || (dc->eof && conn_wants_input(c)))) {
		tcp_close(dc->tc);
		dconn_free(dc);
	}
}

static void dconn_prefetch(void *app, void *items)
{
	struct dconn *dc = app;

	if (!dc->broken)
		conn_prefetch_first_local(dc->c, items != NULL);
}

/* The burst's requests, one per flow at pipeline 1: every key's bucket
 * starts loading as the burst is in, every item (the buckets have arrived
 * meanwhile) before the first request runs. */
static void prefetch_burst(struct dworker *dw, bool items)
{
	tcp_marked_foreach_local(dw->tcp, dconn_prefetch, items ? dw : NULL);
}

static const struct tcp_ops dpdk_tcp_ops = {
	.tx_alloc = tcp_tx_alloc,
	.tx_send = tcp_tx_send,
	.accept = tcp_on_accept,
	.recv = tcp_on_recv,
	.eof = tcp_on_eof,
	.pull = tcp_on_pull,
	.closed = tcp_on_closed,
};

/* ---- receive ---- */

static void rx_frame(struct dworker *dw, struct rte_mbuf *m)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t cap = (uint16_t)(len + rte_pktmbuf_tailroom(m));
	struct net_l4 l4;

	metric_add_local(METRIC_net_rx_packets, 1);
	metric_add_local(METRIC_net_input_bytes, len);
	/* Multi-segment frames are not expected below 2 KB; not ours to answer. */
	if (m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	dw->nif.rx_csum = 0;
	if (rx_csum_hw) {
		/* What the NIC found; BAD is dropped and counted as software would,
		 * UNKNOWN is left to software. */
		uint64_t ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
		if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
			dw->nif.stats.ipv4_bad_checksum++;
			rte_pktmbuf_free(m);
			return;
		}
		if (ipf == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			dw->nif.rx_csum |= NET_RX_IP_CSUM_GOOD;
		if (l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			dw->nif.rx_csum |= NET_RX_L4_CSUM_GOOD;
		/* An L4 BAD is not dropped here: for ICMP it means nothing; TCP
		 * checks in software then (and drops and counts it). */
	}
	switch (net_rx_local(&dw->nif, frame, &len, cap, dw->now_us / 1000, &l4)) {
	case NET_TX:
		m->data_len = len;
		m->pkt_len = len;
		m->ol_flags = 0;   /* a reply in place: no RX flags on the way out */
		tx_out(dw, m);
		return;
	case NET_TCP:
		tcp_input_local(dw->tcp, frame, &l4, dw->now_us);
		rte_pktmbuf_free(m);
		return;
	case NET_DROP:
		rte_pktmbuf_free(m);
		return;
	}
}

static void rx_one(struct dworker *dw, struct rte_mbuf *m)
{
	struct rte_mbuf *out[3];
	unsigned n;

	if (!faults_on(&dw->frx)) {
		rx_frame(dw, m);
		return;
	}
	n = fault_apply(dw, &dw->frx, m, out);
	for (unsigned i = 0; i < n; i++)
		rx_frame(dw, out[i]);
}

/* A held-back packet with nothing behind it for 2 ms goes on its way. */
static void fault_release(struct dworker *dw)
{
	if (dw->frx.held != NULL && dw->now_us - dw->frx.held_at_us > 2000) {
		struct rte_mbuf *m = dw->frx.held;
		dw->frx.held = NULL;
		rx_frame(dw, m);
	}
	if (dw->ftx.held != NULL && dw->now_us - dw->ftx.held_at_us > 2000) {
		tx_queue(dw, dw->ftx.held);
		dw->ftx.held = NULL;
	}
}

/* Publish what net and tcp counted since last time into the metric table. */
static void metrics_sync(struct dworker *dw)
{
	const struct net_stats *ns = &dw->nif.stats;
	const struct tcp_stats *ts = tcp_stats_local(dw->tcp);
	struct net_stats *no = &dw->net_seen;
	struct tcp_stats *to = &dw->tcp_seen;

	metric_add_local(METRIC_loop_busy_ns, (int64_t)clock_tsc_to_ns(dw->busy_tsc));
	metric_add_local(METRIC_loop_idle_ns, (int64_t)clock_tsc_to_ns(dw->idle_tsc));
	metric_add_local(METRIC_loop_busy_iterations, (int64_t)dw->busy_iters);
	dw->busy_tsc = dw->idle_tsc = dw->busy_iters = 0;
#define D_(cur, old, f) ((int64_t)((cur)->f - (old)->f))
	metric_add_local(METRIC_net_rx_dropped,
			 D_(ns, no, rx_not_for_us) + D_(ns, no, rx_bad_ether_type) +
			 D_(ns, no, rx_runt) + D_(ns, no, ipv4_bad_header) +
			 D_(ns, no, ipv4_fragments_dropped) + D_(ns, no, ipv4_options_dropped) +
			 D_(ns, no, ipv4_not_for_us) + D_(ns, no, ipv4_other_proto) +
			 D_(ns, no, icmp_bad_checksum) + D_(ns, no, arp_ignored));
	metric_add_local(METRIC_ipv4_bad_checksum, D_(ns, no, ipv4_bad_checksum));
	metric_add_local(METRIC_tcp_bad_checksum, D_(ts, to, drop_bad_checksum));
	metric_add_local(METRIC_tcp_dropped,
			 D_(ts, to, drop_bad_header) + D_(ts, to, drop_out_of_window) +
			 D_(ts, to, drop_no_conn) + D_(ts, to, drop_ooo_full));
	metric_add_local(METRIC_tcp_syn_dropped,
			 D_(ts, to, drop_syn_backlog) + D_(ts, to, drop_conn_limit));
	metric_add_local(METRIC_tcp_retransmits, D_(ts, to, retransmits));
	metric_add_local(METRIC_tcp_fast_retransmits, D_(ts, to, fast_retransmits));
	metric_add_local(METRIC_tcp_rto, D_(ts, to, rto_fired));
	metric_add_local(METRIC_tcp_zero_window_probes, D_(ts, to, zero_window_probes));
	metric_add_local(METRIC_tcp_challenge_acks, D_(ts, to, challenge_acks));
	metric_add_local(METRIC_tcp_rst_sent, D_(ts, to, rst_sent));
	metric_add_local(METRIC_tcp_conns_opened, D_(ts, to, conns_opened));
	metric_add_local(METRIC_tcp_conns_closed, D_(ts, to, conns_closed));
	metric_add_local(METRIC_tcp_conns_reset, D_(ts, to, conns_reset));
	metric_add_local(METRIC_tcp_conns_current, D_(ts, to, conns_current));
#undef D_
	*no = *ns;
	*to = *ts;
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

static int worker_init(struct dworker *dw, unsigned w)
{
	struct tcp_config cfg;
	uint16_t mtu = 1500;

	dw->id = w;
	net_if_init(&dw->nif, port_mac.addr_bytes, opt_ipv4(OPT_ip), opt_ipv4(OPT_netmask),
		    opt_ipv4(OPT_gateway));
	tcp_config_default(&cfg);
	cfg.ports[0] = (uint16_t)opt_int(OPT_port);
	cfg.ports[1] = (uint16_t)opt_int(OPT_memcache_port);
	/* As io=kernel: memcached's text protocol has no password, so with
	 * requirepass set its port stays closed unless asked for. */
	if (opt_str(OPT_requirepass)[0] != '\0' && !opt_bool(OPT_memcache_with_requirepass)) {
		if (w == 0 && cfg.ports[1] != 0)
			log_notice("memcache-port %u stays closed: requirepass is set and the "
				   "memcached protocol has no password (memcache-with-requirepass "
				   "yes opens it)", cfg.ports[1]);
		cfg.ports[1] = 0;
	}
	cfg.max_conns = (unsigned)opt_int(OPT_tcp_max_conns);
	cfg.syn_backlog = (unsigned)opt_int(OPT_tcp_syn_backlog);
	if (rte_eth_dev_get_mtu(DPDK_PORT, &mtu) == 0 && mtu >= 576)
		cfg.mtu = mtu;
	cfg.isn_secret = rte_rand();
	cfg.tx_csum_offload = tx_csum_hw;
	dw->tcp = tcp_stack_create(&cfg, &dw->nif, &dpdk_tcp_ops, dw);
	if (dw->tcp == NULL)
		return -ENOMEM;
	dw->rng = rte_rand() | 1;
	dw->frx.drop = (unsigned)opt_int(OPT_test_fault_rx_drop);
	dw->frx.dup = (unsigned)opt_int(OPT_test_fault_rx_dup);
	dw->frx.reorder = (unsigned)opt_int(OPT_test_fault_rx_reorder);
	dw->ftx.drop = (unsigned)opt_int(OPT_test_fault_tx_drop);
	dw->ftx.dup = (unsigned)opt_int(OPT_test_fault_tx_dup);
	dw->ftx.reorder = (unsigned)opt_int(OPT_test_fault_tx_reorder);
	return SS_OK;
}

/* At shutdown, with loglevel verbose: every TCP counter of this core. */
static void log_tcp_stats(const struct dworker *dw)
{
	const struct tcp_stats *st = tcp_stats_local(dw->tcp);
	char line[1024];
	size_t n = 0;

#define TCP_STAT_LOG_(f) \
	if (st->f != 0 && n < sizeof(line)) \
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu", #f, \
				      (unsigned long long)st->f);
	TCP_STATS(TCP_STAT_LOG_)
#undef TCP_STAT_LOG_
	log_verbose("worker %u tcp:%s", dw->id, n ? line : " idle");
	if (st->conns_current > 0) {
		static char conns[64 * 1024];
		tcp_describe_local(dw->tcp, conns, sizeof(conns), dw->now_us);
		log_verbose("worker %u connections open at shutdown:\n%s", dw->id, conns);
	}
}

static void worker_fini(struct dworker *dw)
{
	log_tcp_stats(dw);
	tcp_stack_destroy(dw->tcp);   /* closes every conn */
	dw->tcp = NULL;
	tx_drain(dw);
	if (dw->frx.held)
		rte_pktmbuf_free(dw->frx.held);
	if (dw->ftx.held)
		rte_pktmbuf_free(dw->ftx.held);
	dw->frx.held = dw->ftx.held = NULL;
}

/*
 * The loop: poll, process to completion (net -> tcp -> conn), inter-core
 * mail, TCP timers, transmit what the flows want to send, drain TX. After
 * DPDK_IDLE_POLLS empty polls in a row sleep idle-sleep-us (offline for
 * QSBR meanwhile), so an idle appliance does not spin a core.
 */
int io_dpdk_worker(unsigned w, void *arg)
{
	struct dworker *dw = &dworkers[w];
	struct rte_mbuf *pkts[DPDK_BURST];
	unsigned empty = 0;
	int rc;

	(void)arg;
	rcu_register_thread();
	if ((rc = worker_init(dw, w)) < 0 || (rc = storage_start_local(w)) < 0) {
		log_warn("worker %u cannot start: %s", w, strerror(-rc));
		tcp_stack_destroy(dw->tcp);
		dw->tcp = NULL;
		rcu_unregister_thread();
		io_dpdk_stop();
		return rc;
	}
	storage_wait_all_started_local(&stopping);
	if (w == 0)
		announce_address(dw);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	uint64_t t_mark = clock_tsc();
	while (!stopping) {
		uint16_t n = rte_eth_rx_burst(DPDK_PORT, (uint16_t)w, pkts, DPDK_BURST);
		unsigned mail;

		/* the TSC read that ended the last iteration (or its sleep):
		 * the stack's clock, no system call per poll */
		dw->now_us = clock_tsc_to_ns(t_mark) / 1000;
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			rx_one(dw, pkts[i]);
		}
		if (n > 1)
			prefetch_burst(dw, false);
		mail = steer_drain_local(w);
		conn_poll_waits_local(w);
		repl_apply_poll_local(w);   /* a replica: its primary's stream, on worker 0 */
		/* expiry, eviction, resize steps and deferred frees: bounded work */
		storage_step_local(w, clock_unix_ms());
		tcp_timers_local(dw->tcp, dw->now_us);
		if (n > 1)
			prefetch_burst(dw, true);
		tcp_flush_local(dw->tcp, dw->now_us);
		fault_release(dw);
		tx_drain(dw);
		if (dw->now_us >= dw->next_sync_us) {
			metrics_sync(dw);
			dw->next_sync_us = dw->now_us + 10000;
		}
		rcu_quiescent_state();
		/*
		 * Busy is the time of iterations that did work, idle that of empty
		 * polls and sleeps: a busy-polling core's utilization is its
		 * share of useful iterations, not 100%.
		 */
		uint64_t t_end = clock_tsc();
		if (n > 0 || mail > 0 || storage_busy_local(w) == STORAGE_BUSY ||
		    repl_apply_busy_local(w)) {
			dw->busy_tsc += t_end - t_mark;
			dw->busy_iters++;
			t_mark = t_end;
			empty = 0;   /* a snapshot walk: no sleeping meanwhile */
			continue;
		}
		dw->idle_tsc += t_end - t_mark;
		t_mark = t_end;
		if (++empty < DPDK_IDLE_POLLS)
			continue;
		long sleep_us = (long)opt_int(OPT_idle_sleep_us);
		if (sleep_us == 0)
			continue;
		struct timespec ts = { sleep_us / 1000000, (sleep_us % 1000000) * 1000 };
		rcu_thread_offline();
		nanosleep(&ts, NULL);
		rcu_thread_online();
		t_end = clock_tsc();
		dw->idle_tsc += t_end - t_mark;
		t_mark = t_end;
	}
	metrics_sync(dw);
	conn_drop_waits_local(w);
	repl_apply_stop_local(w);
	worker_fini(dw);
	storage_stop_local(w);
	rcu_unregister_thread();
	return 0;
}
