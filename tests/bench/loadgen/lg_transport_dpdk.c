/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK transport: Slipstream's own TCP stack (dataplane/net) in active
 * open over the EAL's first port, by default a net_memif in client role
 * facing an appliance started with role=server on the same socket. No
 * kernel is on the path: frames go from this process's mbufs through the
 * memif rings in shared memory to the appliance's port.
 *
 *   send()  tcp_send: bytes into the flow's send buffer, flow marked
 *   poll()  timers -> rx_burst -> net_rx_local (ARP answered and learned)
 *             -> tcp_input_local -> recv callbacks fill the slot's input
 *           -> tcp_flush_local (segments out, ACKs with them) -> tx_burst
 *           then reports the slots with input (or EOF, or a reset) and the
 *           slots waiting for send room
 *   recv()  bytes out of the slot's input
 *
 * One port, one queue pair, one loop (--threads 1): the loop's thread is the
 * only one that touches the port and the stack, which is what the stack's
 * _local functions ask for. Checksums are computed in software (memif offers
 * no offloads, and a loopback-like link has nothing to gain from them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"
#include "platform/splitargs.h"
#include "lg_opts.h"
#include "lg_run.h"
#include "lg_transport.h"

#define BURST       32
#define RING_DESC   1024
#define NB_MBUFS    8191
#define MBUF_CACHE  256
#define IDLE_POLLS  64               /* empty polls in a row before an idle sleep */
#define LINK_WAIT_NS   (5000000000ull)   /* memif: the server must be there by then */
#define OPEN_WAIT_NS   (10000000000ull)  /* ARP (3 s in the stack) and SYN retries */
#define CLOSE_WAIT_NS  (3000000000ull)   /* FIN handshakes at the end, then go */
#define LAST_ACK_NS    (300000000ull)    /* then still answering: delayed ACKs, a resent FIN */
#define EAL_ARGS_MAX 64

/* One connection slot of the run. */
struct dslot {
	struct lg_loop *l;
	unsigned id;
	struct tcp_conn *tc;         /* NULL: closed, reset, or never opened */
	bool connecting, open;
	bool eof;                    /* the peer's FIN came after all its bytes */
	int err;                     /* the flow went away: a negative errno */
	bool listed;                 /* in l->rd (may have input to report) */
	bool want_out;
	int evpos;                   /* this poll's event index, -1 = none */
	uint8_t *in;                 /* received, not yet taken by recv() */
	size_t in_off, in_len, in_cap;
	size_t unread_told;          /* what tcp_rx_unread was last told */
};

struct lg_loop {
	struct net_if nif;
	struct tcp_stack *ts;
	struct dslot *s;
	unsigned n;
	unsigned *rd, nrd;           /* slots that may have something to report */
	unsigned nwant_out;
	struct rte_mbuf *tx[BURST];
	uint16_t nb_tx;
	unsigned empty;              /* empty polls in a row */
};

/* Process-wide: the EAL, the port and its pool (setup/teardown). */
static struct {
	int eal_up, port_started;
	uint16_t port, mtu;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t ip, netmask;
	unsigned idle_sleep_us;
	struct lg_loop *loop;        /* the only one */
	bool registered;             /* the loop's thread is an lcore (mempool cache) */
} g;

/* ---- the port ---- */

static void tx_drain(struct lg_loop *l)
{
	uint16_t sent = 0;

	/* A full ring is a loss, as on any wire: TCP resends. */
	for (int tries = 0; tries < 4 && sent < l->nb_tx; tries++)
		sent += rte_eth_tx_burst(g.port, 0, l->tx + sent, (uint16_t)(l->nb_tx - sent));
	for (uint16_t i = sent; i < l->nb_tx; i++)
		rte_pktmbuf_free(l->tx[i]);
	l->nb_tx = 0;
}

static void tx_queue(struct lg_loop *l, struct rte_mbuf *m)
{
	if (l->nb_tx == BURST)
		tx_drain(l);
	l->tx[l->nb_tx++] = m;
}

/* ---- TCP callbacks (on the loop's thread) ---- */

static uint8_t *cb_tx_alloc(void *io, uint16_t need, void **handle)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);

	(void)io;
	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_tailroom(m) < need) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	*handle = m;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static void cb_tx_send(void *io, void *handle, uint16_t len)
{
	struct rte_mbuf *m = handle;

	m->data_len = len;
	m->pkt_len = len;
	tx_queue(io, m);
}

/* Nothing listens here: the stack has no served ports, so never called. */
static void *cb_accept(void *io, struct tcp_conn *tc, uint16_t local_port)
{
	(void)io;
	(void)tc;
	(void)local_port;
	return NULL;
}

static void list_slot(struct dslot *s)
{
	if (!s->listed) {
		s->listed = true;
		s->l->rd[s->l->nrd++] = s->id;
	}
}

static void cb_recv(void *app, const uint8_t *p, size_t n)
{
	struct dslot *s = app;

	if (s->in_off > 0 && s->in_off == s->in_len)
		s->in_off = s->in_len = 0;
	if (s->in_len + n > s->in_cap) {
		/* Move what is left to the front before growing. */
		if (s->in_off > 0) {
			memmove(s->in, s->in + s->in_off, s->in_len - s->in_off);
			s->in_len -= s->in_off;
			s->in_off = 0;
		}
		if (s->in_len + n > s->in_cap) {
			size_t cap = s->in_cap ? s->in_cap : 16384;
			uint8_t *q;

			while (cap < s->in_len + n)
				cap *= 2;
			q = realloc(s->in, cap);
			if (q == NULL) {   /* the flow is reset at the next pull */
				s->err = -ENOMEM;
				tcp_mark(s->tc);
				list_slot(s);
				return;
			}
			s->in = q;
			s->in_cap = cap;
		}
	}
	memcpy(s->in + s->in_len, p, n);
	s->in_len += n;
	list_slot(s);
}

static void cb_eof(void *app)
{
	struct dslot *s = app;

	s->eof = true;
	list_slot(s);
}

/* The stack is about to transmit on the flow: bytes are already in its send
 * buffer (send() puts them there), so only the window is left to report. */
static void cb_pull(void *app)
{
	struct dslot *s = app;

	if (s->err == -ENOMEM) {
		tcp_abort(s->tc);
		s->tc = NULL;
		return;
	}
	s->unread_told = s->in_len - s->in_off;
	tcp_rx_unread(s->tc, s->unread_told);
}

static void cb_closed(void *app)
{
	struct dslot *s = app;

	s->tc = NULL;
	s->err = s->connecting ? -ECONNREFUSED : -ECONNRESET;
	s->connecting = false;
	list_slot(s);
}

static void cb_connected(void *app)
{
	struct dslot *s = app;

	s->connecting = false;
	s->open = true;
}

static const struct tcp_ops ops = {
	.tx_alloc = cb_tx_alloc,
	.tx_send = cb_tx_send,
	.accept = cb_accept,
	.recv = cb_recv,
	.eof = cb_eof,
	.pull = cb_pull,
	.closed = cb_closed,
	.connected = cb_connected,
};

/* ---- the loop's one step ---- */

static void rx_frame(struct lg_loop *l, struct rte_mbuf *m, uint64_t now_us)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t cap = (uint16_t)(len + rte_pktmbuf_tailroom(m));
	struct net_l4 l4;

	/* Frames up to the MTU fit one memif buffer and one mbuf. */
	if (m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	l->nif.rx_csum = 0;
	switch (net_rx_local(&l->nif, frame, &len, cap, now_us / 1000, &l4)) {
	case NET_TX:   /* an ARP or ping answer, written over the request */
		m->data_len = len;
		m->pkt_len = len;
		m->ol_flags = 0;
		tx_queue(l, m);
		return;
	case NET_TCP:
		tcp_input_local(l->ts, frame, &l4, now_us);
		break;
	case NET_DROP:
		break;
	}
	rte_pktmbuf_free(m);
}

/* Timers, receive, transmit; the number of frames received. */
static unsigned pump(struct lg_loop *l)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t now_us = lg_now_ns() / 1000;
	uint16_t n;

	tcp_timers_local(l->ts, now_us);
	n = rte_eth_rx_burst(g.port, 0, pkts, BURST);
	for (uint16_t i = 0; i < n; i++)
		rx_frame(l, pkts[i], now_us);
	tcp_flush_local(l->ts, now_us);
	tx_drain(l);
	return n;
}

static void idle(struct lg_loop *l, unsigned got)
{
	struct timespec ts;

	if (got) {
		l->empty = 0;
		return;
	}
	if (++l->empty < IDLE_POLLS || g.idle_sleep_us == 0)
		return;
	ts = (struct timespec){ 0, (long)g.idle_sleep_us * 1000 };
	nanosleep(&ts, NULL);
}

/* The loop's thread becomes a (non-EAL) lcore: the mempool's per-lcore cache
 * then serves the allocations instead of the shared ring. */
static void register_thread(void)
{
	if (!g.registered && rte_lcore_id() == LCORE_ID_ANY)
		g.registered = rte_thread_register() == 0;
}

/* ---- the transport ---- */

static struct lg_loop *d_create(unsigned nslots)
{
	struct lg_loop *l;
	struct tcp_config cfg;

	if (g.loop != NULL || !g.port_started) {
		errno = EBUSY;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->n = nslots;
	l->s = calloc(nslots ? nslots : 1, sizeof(*l->s));
	l->rd = calloc(nslots ? nslots : 1, sizeof(*l->rd));
	net_if_init(&l->nif, g.mac.addr_bytes, g.ip, g.netmask, 0);
	tcp_config_default(&cfg);
	/* Every slot's flow plus room for the TIME-WAITs of closed ones. */
	cfg.max_conns = 2 * nslots + 16;
	cfg.mtu = g.mtu;
	cfg.isn_secret = rte_rand();
	cfg.ephemeral_offset = (uint16_t)rte_rand();
	l->ts = l->s && l->rd ? tcp_stack_create(&cfg, &l->nif, &ops, l) : NULL;
	if (l->ts == NULL) {
		free(l->s);
		free(l->rd);
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < nslots; i++)
		l->s[i] = (struct dslot){ .l = l, .id = i, .evpos = -1 };
	g.loop = l;
	return l;
}

static void d_close(struct lg_loop *l, unsigned slot)
{
	struct dslot *s = &l->s[slot];

	/* FIN after what is queued; the stack finishes the handshake alone. */
	if (s->tc != NULL)
		tcp_close(s->tc);
	s->tc = NULL;
	s->open = s->connecting = false;
	if (s->want_out)
		l->nwant_out--;
	s->want_out = false;
	s->eof = false;
	s->err = 0;
	s->in_off = s->in_len = 0;
}

static void d_destroy(struct lg_loop *l)
{
	uint64_t deadline = lg_now_ns() + CLOSE_WAIT_NS;

	for (unsigned i = 0; i < l->n; i++)
		d_close(l, i);
	/* Let the FIN handshakes finish, so the server is not left holding
	 * the flows; TIME-WAIT here is ours to drop. */
	for (;;) {
		const struct tcp_stats *st = tcp_stats_local(l->ts);

		if (st->conns_current <= st->conns_time_wait)
			break;
		if (lg_now_ns() >= deadline) {
			fprintf(stderr, "slipstream-loadgen: %llu flows still closing after %llu s; "
				"the server keeps them until its timers give up\n",
				(unsigned long long)(st->conns_current - st->conns_time_wait),
				CLOSE_WAIT_NS / 1000000000ull);
			break;
		}
		idle(l, pump(l));
	}
	/* The last ACKs go out before the stack does: a flow is in TIME-WAIT
	 * here once the server's FIN came in, but the ACK of that FIN may
	 * wait for the delayed-ACK timer, or a lost one be asked for again;
	 * without it the server holds the flow in LAST-ACK (seen under CI). */
	for (uint64_t until = lg_now_ns() + LAST_ACK_NS; lg_now_ns() < until;)
		idle(l, pump(l));
	tcp_stack_destroy(l->ts);
	tx_drain(l);
	for (unsigned i = 0; i < l->n; i++)
		free(l->s[i].in);
	free(l->s);
	free(l->rd);
	free(l);
	g.loop = NULL;
}

static int d_open(struct lg_loop *l, unsigned slot, const char *host, uint16_t port)
{
	struct dslot *s = &l->s[slot];
	struct in_addr a;
	uint64_t deadline = lg_now_ns() + OPEN_WAIT_NS;

	register_thread();
	if (inet_pton(AF_INET, host, &a) != 1)
		return -EAFNOSUPPORT;
	d_close(l, slot);
	s->connecting = true;
	s->tc = tcp_connect_local(l->ts, ntohl(a.s_addr), port, s, lg_now_ns() / 1000);
	if (s->tc == NULL) {
		s->connecting = false;
		return -EADDRNOTAVAIL;
	}
	/* Set-up time is not measured: wait here, as the kernel transport does. */
	while (s->connecting && lg_now_ns() < deadline)
		idle(l, pump(l));
	if (s->open)
		return 0;
	if (s->tc != NULL) {        /* still no answer */
		tcp_abort(s->tc);
		s->tc = NULL;
	}
	s->connecting = false;
	return s->err ? s->err : -ETIMEDOUT;
}

static ssize_t d_send(struct lg_loop *l, unsigned slot, const void *p, size_t n)
{
	struct dslot *s = &l->s[slot];
	size_t k;

	if (s->tc == NULL)
		return s->err ? s->err : -ENOTCONN;
	k = tcp_send(s->tc, p, n);
	if (k > 0)
		tcp_mark(s->tc);    /* out at the next poll's flush */
	return (ssize_t)k;
}

static ssize_t d_recv(struct lg_loop *l, unsigned slot, void *p, size_t n)
{
	struct dslot *s = &l->s[slot];
	size_t have = s->in_len - s->in_off;

	if (have == 0) {
		if (s->err)
			return s->err;
		return s->eof ? -ESHUTDOWN : 0;
	}
	if (n > have)
		n = have;
	memcpy(p, s->in + s->in_off, n);
	s->in_off += n;
	if (s->in_off == s->in_len)
		s->in_off = s->in_len = 0;
	/* A window held small by unread bytes opens again: say so now. */
	if (s->unread_told > 0 && s->tc != NULL)
		tcp_mark(s->tc);
	return (ssize_t)n;
}

static void d_want_out(struct lg_loop *l, unsigned slot, int on)
{
	struct dslot *s = &l->s[slot];

	if (s->want_out != !!on)
		l->nwant_out += on ? 1u : (unsigned)-1;
	s->want_out = !!on;
}

/* Level-triggered, as epoll is for the kernel transport: a slot is reported
 * as long as it has input, EOF or an error waiting. */
static int collect(struct lg_loop *l, struct lg_event *ev, int max)
{
	int out = 0;
	unsigned keep = 0;

	for (unsigned i = 0; i < l->nrd; i++) {
		struct dslot *s = &l->s[l->rd[i]];
		bool ready = s->in_len > s->in_off || s->eof || s->err;

		if (!ready) {
			s->listed = false;
			continue;
		}
		l->rd[keep++] = s->id;
		if (out < max) {
			s->evpos = out;
			ev[out++] = (struct lg_event){ .slot = s->id, .events = LG_EV_IN };
		}
	}
	l->nrd = keep;
	for (unsigned i = 0; l->nwant_out > 0 && i < l->n; i++) {
		struct dslot *s = &l->s[i];

		if (!s->want_out || s->tc == NULL || tcp_send_space(s->tc) == 0)
			continue;
		if (s->evpos >= 0)
			ev[s->evpos].events |= LG_EV_OUT;
		else if (out < max)
			ev[out++] = (struct lg_event){ .slot = s->id, .events = LG_EV_OUT };
	}
	for (int k = 0; k < out; k++)
		l->s[ev[k].slot].evpos = -1;
	return out;
}

static int d_poll(struct lg_loop *l, uint64_t timeout_ns, struct lg_event *ev, int max)
{
	uint64_t deadline = lg_now_ns() + timeout_ns;

	for (;;) {
		unsigned got = pump(l);
		int n = collect(l, ev, max);

		if (n > 0) {
			l->empty = 0;
			return n;
		}
		if (lg_now_ns() >= deadline)
			return 0;
		idle(l, got);
	}
}

/* ---- process set-up: EAL, port ---- */

static int names_lcores(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "-l", 2) == 0 || strcmp(argv[i], "-c") == 0 ||
		    strncmp(argv[i], "--lcores", 8) == 0)
			return 1;
	return 0;
}

static int eal_init(const char *dpdk_args, char *err, size_t errlen)
{
	char **args, *argv[EAL_ARGS_MAX + 4], lcore[16];
	int n = splitargs(dpdk_args, &args), argc = 0, rc;
	cpu_set_t cpus;
	int have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;

	if (n < 0 || n > EAL_ARGS_MAX) {
		snprintf(err, errlen, "--dpdk-args: %s",
			 n < 0 ? "unbalanced quotes" : "too many arguments");
		if (n >= 0)
			splitargs_free(args, n);
		return -EINVAL;
	}
	argv[argc++] = (char *)"slipstream-loadgen";
	for (int i = 0; i < n; i++)
		argv[argc++] = args[i];
	/* One lcore, on a CPU we may use: the EAL would otherwise start a
	 * thread per CPU that this process never launches anything on. */
	if (!names_lcores(args, n)) {
		int cpu = 0;

		for (int c = 0; have_cpus && c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cpus)) {
				cpu = c;
				break;
			}
		snprintf(lcore, sizeof(lcore), "%d", cpu);
		argv[argc++] = (char *)"-l";
		argv[argc++] = lcore;
	}
	argv[argc] = NULL;
	/* stdout is the report's (--json): the EAL's log goes to stderr. */
	rte_openlog_stream(stderr);
	rc = rte_eal_init(argc, argv);
	splitargs_free(args, n);
	if (rc < 0) {
		snprintf(err, errlen, "--dpdk-args: EAL initialisation failed: %s",
			 rte_strerror(rte_errno));
		return -EINVAL;
	}
	g.eal_up = 1;
	/* The EAL pinned this thread to its main lcore; the load thread
	 * inherits our mask, and where it runs is taskset's call, as for
	 * the kernel transport. */
	if (have_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	return 0;
}

static int d_setup(const struct lg_opts *o, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint64_t deadline;
	int rc;

	if ((rc = eal_init(o->dpdk_args, err, errlen)) < 0)
		return rc;
	g.ip = o->dpdk_ip;
	g.netmask = o->dpdk_netmask;
	g.idle_sleep_us = o->dpdk_idle_sleep_us;
	if (rte_eth_dev_count_avail() == 0) {
		snprintf(err, errlen, "--dpdk-args: no DPDK port (e.g. "
			 "--vdev=net_memif0,role=client,socket=/run/slipstream-memif.sock)");
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(g.port)
		break;
	g.pool = rte_pktmbuf_pool_create("lg_mbufs", NB_MBUFS, MBUF_CACHE, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (g.pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if ((rc = rte_eth_dev_info_get(g.port, &info)) != 0 ||
	    (rc = rte_eth_dev_configure(g.port, 1, 1, &conf)) != 0 ||
	    (rc = rte_eth_rx_queue_setup(g.port, 0, RING_DESC, rte_eth_dev_socket_id(g.port),
					 NULL, g.pool)) != 0 ||
	    (rc = rte_eth_tx_queue_setup(g.port, 0, RING_DESC, rte_eth_dev_socket_id(g.port),
					 NULL)) != 0) {
		snprintf(err, errlen, "port %u: %s", g.port, rte_strerror(-rc));
		return rc < 0 ? rc : -EIO;
	}
	/* A memif client connects at start, once: the server must be up. */
	if ((rc = rte_eth_dev_start(g.port)) != 0) {
		snprintf(err, errlen, "port %u (%s): cannot start: %s%s", g.port, info.driver_name,
			 rte_strerror(-rc), strcmp(info.driver_name, "net_memif") == 0 ?
			 " (no memif server on the socket? start the appliance with "
			 "role=server first)" : "");
		return rc < 0 ? rc : -EIO;
	}
	g.port_started = 1;
	rte_eth_macaddr_get(g.port, &g.mac);
	if (rte_eth_dev_get_mtu(g.port, &g.mtu) != 0 || g.mtu < 576)
		g.mtu = 1500;
	/* A memif client is up once the server has taken its connection. */
	deadline = lg_now_ns() + LINK_WAIT_NS;
	for (;;) {
		struct timespec ms = { 0, 1000000 };

		if (rte_eth_link_get_nowait(g.port, &link) == 0 && link.link_status)
			break;
		if (lg_now_ns() >= deadline) {
			snprintf(err, errlen, "port %u: link down after %llu s (is the server's "
				 "end there, e.g. a memif in role=server on the same socket?)",
				 g.port, LINK_WAIT_NS / 1000000000ull);
			return -ENETDOWN;
		}
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void d_teardown(void)
{
	if (g.port_started) {
		rte_eth_dev_stop(g.port);
		rte_eth_dev_close(g.port);
	}
	g.port_started = 0;
	if (g.pool != NULL)
		rte_mempool_free(g.pool);
	g.pool = NULL;
	if (g.eal_up)
		rte_eal_cleanup();
	g.eal_up = 0;
}

const struct lg_transport lg_transport_dpdk = {
	.name = "dpdk",
	.setup = d_setup,
	.teardown = d_teardown,
	.loop_create = d_create,
	.loop_destroy = d_destroy,
	.open = d_open,
	.close = d_close,
	.send = d_send,
	.recv = d_recv,
	.want_out = d_want_out,
	.poll = d_poll,
};
