/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP on crafted segments: the peer is this test. Frames go through
 * net_rx_local() as in the dataplane, the stack's output is captured and
 * parsed, and time is whatever the test says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
#define OUR_IP  0xc6120002u   /* 198.18.0.2 */
#define PEER_IP 0xc6120001u   /* 198.18.0.1 */
#define PORT    6379
#define PPORT   40000
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define MAXF 512

/* ---- a captured output frame, parsed ---- */
struct out {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, sport, dport, mss;
	int wscale;             /* -1: none */
	bool sack_ok;
	unsigned nsack;
	uint32_t sack[4][2];
	uint16_t dlen;
	uint8_t data[1600];
};

static struct net_if nif;
static struct tcp_stack *ts;
static uint8_t txbuf[MAXF][1600];
static struct out outs[MAXF];
static unsigned nout, nread;
static unsigned narp;   /* ARP requests the stack sent */
static uint64_t now;

/* The app: records what arrives; replies and closes when told. */
struct app {
	struct tcp_conn *tc;
	uint8_t in[1 << 20];
	size_t nin;
	bool eof, closed, close_on_eof, connected;
	size_t unread;            /* reported as not consumed */
	const uint8_t *reply;     /* sent on the next pull */
	size_t reply_len;
	unsigned pulls;
};
static struct app apps[4];
static unsigned napps;
static bool refuse_accept;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static uint8_t *t_alloc(void *io, uint16_t need, void **handle)
{
	(void)io;
	assert_true(need <= sizeof(txbuf[0]));
	assert_true(nout < MAXF);
	*handle = txbuf[nout];
	return txbuf[nout];
}

static void t_send(void *io, void *handle, uint16_t len)
{
	const uint8_t *f = handle, *ip = f + 14, *th = ip + 20;
	struct out *o = &outs[nout];
	unsigned hl = (unsigned)(th[12] >> 4) * 4, tot = get16(ip + 2);
	uint32_t sum;

	(void)io;
	assert_true(len >= 60);
	if (get16(f + 12) == 0x0806) {   /* an ARP request for the next hop */
		assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
		assert_int_equal(get32(f + 38), PEER_IP);
		narp++;
		return;
	}
	assert_memory_equal(f, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	/* Both checksums hold. */
	assert_int_equal(net_csum_fold(net_csum_add(0, ip, 20)), 0xffff);
	sum = (OUR_IP >> 16) + (OUR_IP & 0xffff) + (PEER_IP >> 16) + (PEER_IP & 0xffff) + 6 + (tot - 20);
	assert_int_equal(net_csum_fold(net_csum_add(sum, th, tot - 20)), 0xffff);
	memset(o, 0, sizeof(*o));
	o->sport = get16(th);
	o->dport = get16(th + 2);
	o->seq = get32(th + 4);
	o->ack = get32(th + 8);
	o->flags = th[13];
	o->win = get16(th + 14);
	o->wscale = -1;
	for (unsigned i = 20; i < hl;) {
		if (th[i] == 0)
			break;
		if (th[i] == 1) {
			i++;
			continue;
		}
		if (th[i] == 2)
			o->mss = get16(th + i + 2);
		if (th[i] == 3)
			o->wscale = th[i + 2];
		if (th[i] == 4)
			o->sack_ok = true;
		if (th[i] == 5)
			for (unsigned b = 0; b < (th[i + 1] - 2u) / 8; b++) {
				o->sack[b][0] = get32(th + i + 2 + 8 * b);
				o->sack[b][1] = get32(th + i + 6 + 8 * b);
				o->nsack = b + 1;
			}
		i += th[i + 1];
	}
	o->dlen = (uint16_t)(tot - 20 - hl);
	memcpy(o->data, th + hl, o->dlen);
	nout++;
}

static void *t_accept(void *io, struct tcp_conn *tc, uint16_t port)
{
	struct app *a;

	(void)io;
	assert_int_equal(port, PORT);
	if (refuse_accept)
		return NULL;
	a = &apps[napps++];
	memset(a, 0, sizeof(*a));
	a->tc = tc;
	return a;
}

static void t_recv(void *app, const uint8_t *p, size_t n)
{
	struct app *a = app;

	assert_true(a->nin + n <= sizeof(a->in));
	memcpy(a->in + a->nin, p, n);
	a->nin += n;
}

static void t_eof(void *app) { ((struct app *)app)->eof = true; }

static void t_pull(void *app)
{
	struct app *a = app;

	a->pulls++;
	if (a->reply_len > 0) {
		size_t n = tcp_send(a->tc, a->reply, a->reply_len);
		a->reply += n;
		a->reply_len -= n;
	}
	tcp_rx_unread(a->tc, a->unread);
	if (a->eof && a->close_on_eof && a->reply_len == 0) {
		tcp_close(a->tc);
		a->closed = true;
	}
}

static void t_closed(void *app) { ((struct app *)app)->closed = true; }

static void t_connected(void *app) { ((struct app *)app)->connected = true; }

static const struct tcp_ops ops = { t_alloc, t_send, t_accept, t_recv, t_eof, t_pull, t_closed,
				    t_connected };

static struct tcp_config cfg;

static int setup(void **state)
{
	(void)state;
	net_if_init(&nif, our_mac, OUR_IP, 0xffffff00u, 0);
	tcp_config_default(&cfg);
	cfg.ports[0] = PORT;
	cfg.isn_secret = 42;
	cfg.time_wait_us = 1000000;
	ts = tcp_stack_create(&cfg, &nif, &ops, NULL);
	assert_non_null(ts);
	nout = nread = narp = 0;
	napps = 0;
	refuse_accept = false;
	now = 1000000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tcp_stack_destroy(ts);
	return 0;
}

static const struct tcp_stats *st(void) { return tcp_stats_local(ts); }

/* A segment from the peer; opts (whole 4-byte words) and data may be NULL. */
static void seg_opts(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		     uint16_t win, const uint8_t *opt, unsigned olen, const void *data,
		     unsigned dlen, bool bad_csum)
{
	static uint8_t f[2048];
	uint8_t *ip = f + 14, *th = ip + 20;
	unsigned hl = 20 + olen, tot = 20 + hl + dlen, len = 14 + tot;
	uint32_t sum;
	struct net_l4 l4;
	uint16_t flen;

	memset(f, 0, 60);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, PEER_IP);
	put32(ip + 16, OUR_IP);
	put16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
	memset(th, 0, 20);
	put16(th, sport);
	put16(th + 2, dport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)((hl / 4) << 4);
	th[13] = flags;
	put16(th + 14, win);
	if (olen)
		memcpy(th + 20, opt, olen);
	if (dlen)
		memcpy(th + hl, data, dlen);
	sum = (PEER_IP >> 16) + (PEER_IP & 0xffff) + (OUR_IP >> 16) + (OUR_IP & 0xffff) + 6 + (hl + dlen);
	put16(th + 16, (uint16_t)~net_csum_fold(net_csum_add(sum, th, hl + dlen)));
	if (bad_csum)
		th[16] ^= 0x55;
	if (len < 60)
		len = 60;
	flen = (uint16_t)len;
	assert_int_equal(net_rx_local(&nif, f, &flen, sizeof(f), now / 1000, &l4), NET_TCP);
	tcp_input_local(ts, f, &l4, now);
}

static void seg(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const void *d, unsigned n)
{
	seg_opts(PPORT, PORT, seq, ack, flags, win, NULL, 0, d, n, false);
}

/* Run the loop's tail once: timers, then flush. */
static void tick(void)
{
	tcp_timers_local(ts, now);
	tcp_flush_local(ts, now);
}

static struct out *next_out(void)
{
	assert_true(nread < nout);
	return &outs[nread++];
}

static void no_out(void)
{
	if (nread < nout)   /* say what came out */
		print_message("unexpected: flags %02x seq %u ack %u win %u len %u\n",
			      outs[nread].flags, outs[nread].seq, outs[nread].ack, outs[nread].win,
			      outs[nread].dlen);
	assert_int_equal(nread, nout);
}

/* Handshake with MSS 1460 and window scale 7 (wscale < 0: no option). */
#define PISS 1000u
static uint32_t handshake_ws(int wscale, uint16_t mss)
{
	uint8_t opt[8] = { 2, 4, (uint8_t)(mss >> 8), (uint8_t)mss, 1, 3, 3, (uint8_t)wscale };
	struct out *o;
	uint32_t iss;

	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, wscale >= 0 ? 8 : 4, NULL, 0, false);
	o = next_out();
	assert_int_equal(o->flags, SYN | ACK);
	assert_int_equal(o->ack, PISS + 1);
	assert_int_equal(o->mss, 1460);
	assert_int_equal(o->wscale, wscale >= 0 ? 4 : -1);
	iss = o->seq;
	no_out();
	assert_int_equal(napps, 0);
	seg(PISS + 1, iss + 1, ACK, 65535 >> (wscale > 0 ? wscale : 0), NULL, 0);
	assert_int_equal(napps, 1);
	assert_int_equal(st()->conns_opened, 1);
	return iss + 1;
}

static uint32_t handshake(void) { return handshake_ws(-1, 1460); }

static void test_handshake(void **state)
{
	(void)state;
	handshake_ws(7, 1460);
	assert_int_equal(st()->conns_current, 1);
	assert_int_equal(st()->conns_syn_rcvd, 0);
	tick();
	no_out();   /* nothing owed */
}

static void test_synack_retransmit_and_give_up(void **state)
{
	(void)state;
	uint8_t opt[4] = { 2, 4, 5, 180 };
	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	uint32_t iss = next_out()->seq;
	now += 1000000;          /* initial RTO 1 s */
	tick();
	struct out *o = next_out();
	assert_int_equal(o->flags, SYN | ACK);
	assert_int_equal(o->seq, iss);
	/* A retransmitted SYN gets the SYN-ACK again. */
	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	assert_int_equal(next_out()->flags, SYN | ACK);
	for (int i = 0; i < 10; i++) {
		now += 64000000;
		tick();
	}
	assert_int_equal(st()->conns_current, 0);
	assert_int_equal(st()->conns_timed_out, 1);
	assert_int_equal(napps, 0);
}

static void test_data_delayed_ack_and_piggyback(void **state)
{
	(void)state;
	uint32_t s = handshake();
	struct out *o;

	seg(PISS + 1, s, ACK | PSH, 65535, "PING\r\n", 6);
	tick();
	assert_int_equal(apps[0].nin, 6);
	assert_memory_equal(apps[0].in, "PING\r\n", 6);
	no_out();                       /* delayed */
	now += 40000;
	tick();
	o = next_out();
	assert_int_equal(o->flags, ACK);
	assert_int_equal(o->ack, PISS + 7);
	assert_int_equal(o->dlen, 0);
	/* A reply rides with the ACK; the pull that sent it is not repeated. */
	apps[0].reply = (const uint8_t *)"+PONG\r\n";
	apps[0].reply_len = 7;
	unsigned pulls = apps[0].pulls;
	seg(PISS + 7, s, ACK | PSH, 65535, "PING\r\n", 6);
	tick();
	assert_int_equal(apps[0].pulls, pulls + 1);
	o = next_out();
	assert_int_equal(o->ack, PISS + 13);
	assert_int_equal(o->seq, s);
	assert_int_equal(o->dlen, 7);
	assert_memory_equal(o->data, "+PONG\r\n", 7);
	no_out();
	/* Two segments in: ACK at once. */
	static uint8_t big[2920];
	memset(big, 'x', sizeof(big));
	seg(PISS + 13, s + 7, ACK, 65535, big, 1460);
	seg(PISS + 13 + 1460, s + 7, ACK, 65535, big, 1460);
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 13 + 2920);
	no_out();
}

static void test_ooo_reassembly_and_overlap(void **state)
{
	(void)state;
	uint32_t s = handshake();
	const char *msg = "0123456789abcdefghij";
	struct out *o;

	seg(PISS + 1 + 10, s, ACK, 65535, msg + 10, 10);     /* [10,20) first */
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 1);                   /* dup ACK at once */
	seg(PISS + 1 + 10, s, ACK, 65535, msg + 10, 10);     /* a duplicate of it */
	tick();
	assert_int_equal(next_out()->ack, PISS + 1);
	seg(PISS + 1 + 3, s, ACK, 65535, msg + 3, 9);        /* [3,12): overlaps both sides */
	tick();
	assert_int_equal(next_out()->ack, PISS + 1);
	assert_int_equal(apps[0].nin, 0);
	seg(PISS + 1, s, ACK, 65535, msg, 5);                /* [0,5): fills the hole */
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 21);                  /* a hole filled: ACK at once */
	assert_int_equal(apps[0].nin, 20);
	assert_memory_equal(apps[0].in, msg, 20);
	/* Old data again: ACKed, not delivered. */
	seg(PISS + 1, s, ACK, 65535, msg, 5);
	tick();
	assert_int_equal(next_out()->ack, PISS + 21);
	assert_int_equal(apps[0].nin, 20);
	assert_true(st()->ooo_segments >= 2);
}

static uint8_t pattern[64 * 1024];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void test_retransmit_timer_backoff(void **state)
{
	(void)state;
	uint32_t s = handshake();        /* RTT ~0: RTO at its 200 ms floor */
	struct out *o;

	apps[0].reply = (const uint8_t *)"hello";
	apps[0].reply_len = 5;
	tcp_mark(apps[0].tc);
	tick();
	o = next_out();
	assert_int_equal(o->seq, s);
	assert_int_equal(o->dlen, 5);
	now += 199000;
	tick();
	no_out();
	now += 1000;
	tick();
	o = next_out();
	assert_int_equal(o->seq, s);
	assert_int_equal(o->dlen, 5);
	now += 399000;                   /* backed off to 400 ms */
	tick();
	no_out();
	now += 1000;
	tick();
	assert_int_equal(next_out()->seq, s);
	assert_int_equal(st()->rto_fired, 2);
	now += 100000;
	seg(PISS + 1, s + 5, ACK, 65535, NULL, 0);
	now += 10000000;
	tick();
	no_out();                        /* acknowledged: timer off */
	/* Karn: the ACK of a resent segment is no RTT sample. Timed from the
	 * first send it would say 700 ms and put the RTO near 800 ms; the
	 * estimate stays ~0 and the RTO at 200 ms. */
	apps[0].reply = (const uint8_t *)"again";
	apps[0].reply_len = 5;
	tcp_mark(apps[0].tc);
	tick();
	assert_int_equal(next_out()->seq, s + 5);
	now += 199000;
	tick();
	no_out();
	now += 1000;
	tick();
	assert_int_equal(next_out()->seq, s + 5);
}

static void test_initial_rto_without_sample(void **state)
{
	(void)state;
	uint8_t opt[4] = { 2, 4, 5, 180 };

	/* The SYN-ACK is resent: no sample from the handshake (Karn), so the
	 * first data waits the initial 1 s. */
	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	uint32_t iss = next_out()->seq;
	now += 1000000;
	tick();
	assert_int_equal(next_out()->flags, SYN | ACK);
	seg(PISS + 1, iss + 1, ACK, 65535, NULL, 0);
	assert_int_equal(napps, 1);
	apps[0].reply = (const uint8_t *)"x";
	apps[0].reply_len = 1;
	tcp_mark(apps[0].tc);
	tick();
	assert_int_equal(next_out()->dlen, 1);
	now += 999000;
	tick();
	no_out();
	now += 1000;
	tick();
	assert_int_equal(next_out()->seq, iss + 1);
}

static void test_rtt_sample_sets_rto(void **state)
{
	(void)state;
	uint32_t s = handshake();

	apps[0].reply = (const uint8_t *)"hello";
	apps[0].reply_len = 5;
	tcp_mark(apps[0].tc);
	tick();
	next_out();
	now += 10000;                               /* RTT 10 ms */
	seg(PISS + 1, s + 5, ACK, 65535, NULL, 0);
	fill_pattern();
	apps[0].reply = pattern;                    /* three segments */
	apps[0].reply_len = 3000;
	tcp_mark(apps[0].tc);
	tick();
	assert_int_equal(next_out()->seq, s + 5);
	assert_int_equal(next_out()->seq, s + 5 + 1460);
	assert_int_equal(next_out()->seq, s + 5 + 2920);
	/* RTO = max(200 ms, 10 + 4*5 ms); at 20 ms (2*SRTT) the last MSS of
	 * the flight goes again as a tail loss probe, not a timeout. */
	now += 20000;
	tick();
	struct out *o = next_out();
	assert_int_equal(o->seq, s + 5 + 3000 - 1460);
	assert_int_equal(o->dlen, 1460);
	assert_memory_equal(o->data, pattern + 3000 - 1460, 1460);
	assert_int_equal(st()->tail_loss_probes, 1);
	assert_int_equal(st()->rto_fired, 0);
	now += 199000;
	tick();
	no_out();
	now += 2000;
	tick();
	assert_int_equal(next_out()->seq, s + 5);  /* the timeout: from the first unacked */
	assert_int_equal(st()->rto_fired, 1);
}


static void test_fast_retransmit_newreno(void **state)
{
	(void)state;
	uint32_t s = handshake();
	struct out *o;

	fill_pattern();
	apps[0].reply = pattern;
	apps[0].reply_len = 6 * 1460;
	tcp_mark(apps[0].tc);
	tick();
	for (int i = 0; i < 6; i++) {          /* initial cwnd 10 segments */
		o = next_out();
		assert_int_equal(o->seq, s + (uint32_t)i * 1460);
		assert_int_equal(o->dlen, 1460);
		assert_memory_equal(o->data, pattern + i * 1460, 1460);
	}
	no_out();
	/* Segments 2 and 4 lost: ACK 1, then dup ACKs for 3, 5, 6. */
	seg(PISS + 1, s + 1460, ACK, 65535, NULL, 0);
	tick();
	seg(PISS + 1, s + 1460, ACK, 65535, NULL, 0);
	seg(PISS + 1, s + 1460, ACK, 65535, NULL, 0);
	no_out();
	seg(PISS + 1, s + 1460, ACK, 65535, NULL, 0);   /* third dup: fast retransmit */
	o = next_out();
	assert_int_equal(o->seq, s + 1460);
	assert_memory_equal(o->data, pattern + 1460, 1460);
	assert_int_equal(st()->fast_retransmits, 1);
	tick();
	/* Partial ACK (up to the second hole): resend that hole at once. */
	seg(PISS + 1, s + 3 * 1460, ACK, 65535, NULL, 0);
	o = next_out();
	assert_int_equal(o->seq, s + 3 * 1460);
	assert_memory_equal(o->data, pattern + 3 * 1460, 1460);
	tick();
	seg(PISS + 1, s + 6 * 1460, ACK, 65535, NULL, 0);  /* full ACK */
	tick();
	assert_int_equal(st()->rto_fired, 0);
	assert_int_equal(st()->retransmits, 2);
	now += 5000000;
	tick();
	no_out();
}


/* Handshake offering SACK (MSS, SACK-permitted, no window scale). */
static uint32_t handshake_sack(void)
{
	uint8_t opt[8] = { 2, 4, 5, 180, 1, 1, 4, 2 };
	struct out *o;

	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 8, NULL, 0, false);
	o = next_out();
	assert_true(o->sack_ok);
	seg(PISS + 1, o->seq + 1, ACK, 65535, NULL, 0);
	assert_int_equal(napps, 1);
	return o->seq + 1;
}

/* An ACK from the peer with SACK blocks. */
static void sack_ack(uint32_t ack, const uint32_t (*blk)[2], unsigned n)
{
	uint8_t opt[36] = { 1, 1, 5, (uint8_t)(2 + 8 * n) };

	for (unsigned b = 0; b < n; b++) {
		put32(opt + 4 + 8 * b, blk[b][0]);
		put32(opt + 8 + 8 * b, blk[b][1]);
	}
	seg_opts(PPORT, PORT, PISS + 1, ack, ACK, 65535, opt, 4 + 8 * n, NULL, 0, false);
}

static void test_sack_blocks_sent(void **state)
{
	(void)state;
	uint32_t s = handshake_sack();
	struct out *o;

	seg(PISS + 1 + 100, s, ACK, 65535, pattern, 50);      /* [100,150) */
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 1);
	assert_int_equal(o->nsack, 1);
	assert_int_equal(o->sack[0][0], PISS + 101);
	assert_int_equal(o->sack[0][1], PISS + 151);
	seg(PISS + 1 + 300, s, ACK, 65535, pattern, 50);      /* [300,350) */
	seg(PISS + 1 + 150, s, ACK, 65535, pattern, 20);      /* [150,170): joins the first */
	tick();
	while (nread < nout)
		o = next_out();
	/* The latest arrival's range first (RFC 2018 4). */
	assert_int_equal(o->nsack, 2);
	assert_int_equal(o->sack[0][0], PISS + 101);
	assert_int_equal(o->sack[0][1], PISS + 171);
	assert_int_equal(o->sack[1][0], PISS + 301);
	assert_int_equal(o->sack[1][1], PISS + 351);
	seg(PISS + 1, s, ACK, 65535, pattern, 100);           /* [0,100) */
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 171);
	assert_int_equal(o->nsack, 1);
}

static void test_sack_recovery_resends_holes(void **state)
{
	(void)state;
	uint32_t s = handshake_sack();
	struct out *o;

	fill_pattern();
	apps[0].reply = pattern;
	apps[0].reply_len = 8 * 1460;
	tcp_mark(apps[0].tc);
	tick();
	for (int i = 0; i < 8; i++)
		assert_int_equal(next_out()->seq, s + (uint32_t)i * 1460);
	/* Segments 1 and 4 lost: one ACK SACKing 2-3 and 5-7 says it all. */
	const uint32_t blk[2][2] = { { s + 5 * 1460, s + 8 * 1460 }, { s + 2 * 1460, s + 4 * 1460 } };
	sack_ack(s + 1460, blk, 2);
	o = next_out();
	assert_int_equal(o->seq, s + 1460);
	assert_memory_equal(o->data, pattern + 1460, 1460);
	assert_int_equal(st()->fast_retransmits, 1);
	/* The next dup ACK releases the next hole, not SACKed data. */
	sack_ack(s + 1460, blk, 2);
	o = next_out();
	assert_int_equal(o->seq, s + 4 * 1460);
	assert_memory_equal(o->data, pattern + 4 * 1460, 1460);
	tick();
	while (nread < nout)   /* new data may go too, never a SACKed segment */
		assert_true(next_out()->seq >= s + 8 * 1460);
	seg(PISS + 1, s + 8 * 1460, ACK, 65535, NULL, 0);
	tick();
	assert_int_equal(st()->rto_fired, 0);
	assert_int_equal(st()->retransmits, 2);
}

static void test_rack_resends_lost_retransmission(void **state)
{
	(void)state;
	uint32_t s = handshake_sack();

	fill_pattern();
	apps[0].reply = pattern;
	apps[0].reply_len = 4 * 1460;
	tcp_mark(apps[0].tc);
	tick();
	for (int i = 0; i < 4; i++)
		next_out();
	const uint32_t blk[1][2] = { { s + 1460, s + 4 * 1460 } };
	sack_ack(s, blk, 1);                       /* all after the first SACKed */
	assert_int_equal(next_out()->seq, s);
	tick();
	/* That resend is lost as well: resent again well before the RTO. */
	now += 10000;
	tick();
	struct out *o = next_out();
	assert_int_equal(o->seq, s);
	assert_int_equal(st()->rto_fired, 0);
	seg(PISS + 1, s + 4 * 1460, ACK, 65535, NULL, 0);
	tick();
}


/* The peer answers ARP (its reply lands in the cache). */
static void peer_arp_reply(void)
{
	uint8_t f[60] = { 0 };
	uint16_t len = 60;
	struct net_l4 l4;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 2);
	memcpy(f + 22, peer_mac, 6);
	put32(f + 28, PEER_IP);
	memcpy(f + 32, our_mac, 6);
	put32(f + 38, OUR_IP);
	net_rx_local(&nif, f, &len, sizeof(f), now / 1000, &l4);
}

static struct app *connect_app(void)
{
	struct app *a = &apps[napps++];

	memset(a, 0, sizeof(*a));
	a->tc = tcp_connect_local(ts, PEER_IP, 11211, a, now);
	assert_non_null(a->tc);
	return a;
}

static void test_active_open(void **state)
{
	(void)state;
	struct app *a = connect_app();
	struct out *o;

	/* No MAC for the peer: ARP first, the SYN once it answers. */
	tick();
	assert_int_equal(narp, 1);
	no_out();                       /* no SYN without a MAC */
	peer_arp_reply();
	now += 10000;
	tick();
	o = next_out();
	assert_int_equal(o->flags, SYN);
	assert_int_equal(o->dport, 11211);
	assert_true(o->sport >= 32768 && o->sport <= 60999);
	assert_int_equal(o->mss, 1460);
	assert_int_equal(o->wscale, 4);
	assert_true(o->sack_ok);
	uint16_t lport = o->sport;
	uint32_t iss = o->seq;
	/* A SYN-ACK with a wrong ACK: RST, still connecting. */
	seg_opts(11211, lport, 7000, iss + 5, SYN | ACK, 65535, NULL, 0, NULL, 0, false);
	o = next_out();
	assert_int_equal(o->flags, RST);
	assert_int_equal(o->seq, iss + 5);
	assert_false(a->connected);
	uint8_t opt[4] = { 2, 4, 5, 180 };
	seg_opts(11211, lport, 7000, iss + 1, SYN | ACK, 65535, opt, 4, NULL, 0, false);
	assert_true(a->connected);
	assert_int_equal(st()->conns_opened, 1);
	tick();
	o = next_out();
	assert_int_equal(o->flags, ACK);
	assert_int_equal(o->ack, 7001);
	/* Data both ways. */
	a->reply = (const uint8_t *)"version\r\n";
	a->reply_len = 9;
	tcp_mark(a->tc);
	tick();
	o = next_out();
	assert_int_equal(o->seq, iss + 1);
	assert_int_equal(o->dlen, 9);
	seg_opts(11211, lport, 7001, iss + 10, ACK | PSH, 65535, NULL, 0, "VERSION 1\r\n", 11, false);
	assert_int_equal(a->nin, 11);
	assert_memory_equal(a->in, "VERSION 1\r\n", 11);
}

static void test_active_open_refused_and_unanswered(void **state)
{
	(void)state;
	peer_arp_reply();
	struct app *a = connect_app();
	struct out *o = next_out();

	assert_int_equal(o->flags, SYN);
	seg_opts(11211, o->sport, 0, o->seq + 1, RST | ACK, 0, NULL, 0, NULL, 0, false);
	assert_true(a->closed);
	assert_int_equal(st()->conns_current, 0);
	/* No answer at all: the SYN is resent with back-off, then given up. */
	struct app *b = connect_app();
	o = next_out();
	uint32_t iss = o->seq;
	now += 1000000;
	tick();
	o = next_out();
	assert_int_equal(o->flags, SYN);
	assert_int_equal(o->seq, iss);
	for (int i = 0; i < 10; i++) {
		now += 64000000;
		tick();
	}
	assert_true(b->closed);
	assert_false(b->connected);
	assert_int_equal(st()->conns_current, 0);
	assert_int_equal(st()->conns_timed_out, 1);
	/* Closed while connecting: gone, nothing sent, no callback. */
	nread = nout;                   /* past b's SYN retransmissions */
	peer_arp_reply();               /* the cached MAC has expired by now */
	struct app *c = connect_app();
	next_out();
	tcp_close(c->tc);
	assert_int_equal(st()->conns_current, 0);
	assert_false(c->closed);
	now += 10000000;
	tick();
	no_out();
}

static void test_peer_window_and_mss(void **state)
{
	(void)state;
	uint32_t s = handshake_ws(-1, 536);
	unsigned total = 0;
	struct out *o;

	fill_pattern();
	seg(PISS + 1, s, ACK, 3000, NULL, 0);            /* window 3000 bytes */
	apps[0].reply = pattern;
	apps[0].reply_len = 10000;
	tcp_mark(apps[0].tc);
	tick();
	while (nread < nout) {
		o = next_out();
		assert_true(o->dlen <= 536);
		assert_int_equal(o->seq, s + total);
		total += o->dlen;
	}
	assert_true(total <= 3000 && total >= 3000 - 536);
	/* The window slides with the ACK. */
	seg(PISS + 1, s + total, ACK, 3000, NULL, 0);
	tick();
	while (nread < nout) {
		o = next_out();
		assert_int_equal(o->seq, s + total);
		total += o->dlen;
	}
	assert_true(total > 3000);
}

static void test_zero_window_persist(void **state)
{
	(void)state;
	uint32_t s = handshake();
	struct out *o;

	seg(PISS + 1, s, ACK, 0, NULL, 0);               /* the peer's window is closed */
	apps[0].reply = (const uint8_t *)"queued";
	apps[0].reply_len = 6;
	tcp_mark(apps[0].tc);
	tick();
	no_out();
	now += 1000000;
	tick();
	o = next_out();                                   /* a zero-window probe */
	assert_int_equal(o->seq, s - 1);
	assert_int_equal(o->dlen, 0);
	assert_int_equal(st()->zero_window_probes, 1);
	now += 2000000;                                   /* backed off */
	tick();
	assert_int_equal(next_out()->seq, s - 1);
	assert_int_equal(st()->zero_window_probes, 2);
	/* The window opens: the data goes. */
	seg(PISS + 1, s, ACK, 1000, NULL, 0);
	tick();
	o = next_out();
	assert_int_equal(o->seq, s);
	assert_int_equal(o->dlen, 6);
	assert_memory_equal(o->data, "queued", 6);
	assert_int_equal(st()->conns_reset, 0);
}

static void test_our_window_closes_and_reopens(void **state)
{
	(void)state;
	uint32_t s = handshake();
	static uint8_t blob[1460];
	uint32_t seq = PISS + 1, edge;
	struct out *o;

	memset(blob, 'v', sizeof(blob));
	apps[0].unread = cfg.rcvbuf;          /* the app takes nothing */
	seg(seq, s, ACK, 65535, blob, 1460);
	seq += 1460;
	tick();
	now += 40000;
	tick();
	o = next_out();
	/* The right edge does not move back, nor forward: no free buffer. */
	edge = o->ack + o->win;
	assert_true(o->win <= 65535);
	/* Fill to the edge; data past it is cut off. */
	while (seq + 1460 <= edge) {
		seg(seq, s, ACK, 65535, blob, 1460);
		seq += 1460;
	}
	seg(seq, s, ACK, 65535, blob, 1460);
	tick();
	while (nread < nout)
		o = next_out();
	assert_int_equal(o->ack, edge);
	assert_int_equal(o->win, 0);
	assert_int_equal(apps[0].nin, edge - (PISS + 1));
	/* The app consumes: a window update goes out unasked. */
	apps[0].unread = 0;
	tcp_mark(apps[0].tc);
	tick();
	o = next_out();
	assert_int_equal(o->ack, edge);
	assert_true(o->win > 0);
}

static void test_peer_fin_half_close(void **state)
{
	(void)state;
	uint32_t s = handshake();
	struct out *o;

	apps[0].close_on_eof = true;
	seg(PISS + 1, s, ACK | PSH | FIN, 65535, "GET k\r\n", 7);
	assert_true(apps[0].eof);
	/* The reply still goes after the peer's FIN, then our FIN. */
	apps[0].reply = (const uint8_t *)"VALUE\r\n";
	apps[0].reply_len = 7;
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 9);              /* data + FIN */
	assert_int_equal(o->dlen, 7);
	o = next_out();
	assert_true(o->flags & FIN);
	assert_int_equal(o->seq, s + 7);
	assert_true(apps[0].closed);
	seg(PISS + 9, s + 8, ACK, 65535, NULL, 0);
	assert_int_equal(st()->conns_current, 0);
	assert_int_equal(st()->conns_closed, 1);
	tick();
	no_out();
}

static void test_we_close_first_time_wait(void **state)
{
	(void)state;
	uint32_t s = handshake();
	struct out *o;

	tcp_close(apps[0].tc);
	tick();
	o = next_out();
	assert_int_equal(o->flags, FIN | ACK);
	assert_int_equal(o->seq, s);
	/* FIN lost: resent on the RTO. */
	now += 1000000;
	tick();
	o = next_out();
	assert_int_equal(o->flags, FIN | ACK);
	assert_int_equal(o->seq, s);
	seg(PISS + 1, s + 1, ACK, 65535, NULL, 0);       /* FIN-WAIT-2 */
	tick();
	no_out();
	/* Half-close: the peer may still send data; it is ACKed. */
	seg(PISS + 1, s + 1, ACK, 65535, "late", 4);
	seg(PISS + 5, s + 1, ACK | FIN, 65535, NULL, 0); /* TIME-WAIT */
	tick();
	o = next_out();
	assert_int_equal(o->ack, PISS + 6);
	assert_int_equal(st()->conns_time_wait, 1);
	/* Its FIN again (our ACK lost): ACKed again. */
	seg(PISS + 5, s + 1, ACK | FIN, 65535, NULL, 0);
	tick();
	assert_int_equal(next_out()->ack, PISS + 6);
	now += cfg.time_wait_us;
	tick();
	assert_int_equal(st()->conns_time_wait, 0);
	assert_int_equal(st()->conns_current, 0);
	assert_int_equal(st()->conns_closed, 1);
}

static void test_rst_rules(void **state)
{
	(void)state;
	struct out *o;

	/* SYN to a closed port: RST+ACK acknowledging the SYN. */
	seg_opts(PPORT, 7, 500, 0, SYN, 65535, NULL, 0, NULL, 0, false);
	o = next_out();
	assert_int_equal(o->flags, RST | ACK);
	assert_int_equal(o->seq, 0);
	assert_int_equal(o->ack, 501);
	assert_int_equal(o->sport, 7);
	/* ACK for no connection: RST with its ack as our seq. */
	seg_opts(PPORT + 1, PORT, 500, 777, ACK, 65535, NULL, 0, NULL, 0, false);
	o = next_out();
	assert_int_equal(o->flags, RST);
	assert_int_equal(o->seq, 777);
	/* A RST for no connection: nothing. */
	seg_opts(PPORT + 1, PORT, 500, 0, RST, 0, NULL, 0, NULL, 0, false);
	no_out();

	uint32_t s = handshake();
	/* Out of window: ignored. */
	seg(PISS + 1 + 10000000, 0, RST, 0, NULL, 0);
	no_out();
	assert_int_equal(st()->rst_ignored, 1);
	/* In window, not exact: challenge ACK (RFC 5961 3.2). */
	seg(PISS + 1 + 100, 0, RST, 0, NULL, 0);
	o = next_out();
	assert_int_equal(o->flags, ACK);
	assert_int_equal(o->ack, PISS + 1);
	assert_int_equal(o->seq, s);
	/* SYN on the open flow: challenge ACK (RFC 5961 4.2). */
	seg(PISS + 5000, 0, SYN, 65535, NULL, 0);
	o = next_out();
	assert_int_equal(o->flags, ACK);
	assert_int_equal(o->ack, PISS + 1);
	assert_int_equal(st()->challenge_acks, 2);
	assert_false(apps[0].closed);
	/* An ACK beyond what we sent: ACK back, ignored (RFC 9293). */
	seg(PISS + 1, s + 1000, ACK, 65535, NULL, 0);
	tick();
	assert_int_equal(next_out()->ack, PISS + 1);
	/* Exact: the connection is reset. */
	seg(PISS + 1, 0, RST, 0, NULL, 0);
	assert_true(apps[0].closed);
	assert_int_equal(st()->conns_reset, 1);
	assert_int_equal(st()->conns_current, 0);
	tick();
	no_out();
}

static void test_syn_backlog_and_conn_limit(void **state)
{
	(void)state;
	tcp_stack_destroy(ts);
	cfg.syn_backlog = 2;
	cfg.max_conns = 3;
	ts = tcp_stack_create(&cfg, &nif, &ops, NULL);
	uint8_t opt[4] = { 2, 4, 5, 180 };
	uint32_t iss[3];

	for (uint16_t i = 0; i < 3; i++)
		seg_opts((uint16_t)(PPORT + i), PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	iss[0] = next_out()->seq;
	iss[1] = next_out()->seq;
	no_out();
	assert_int_equal(st()->drop_syn_backlog, 1);
	/* Completing one frees a backlog slot. */
	seg_opts(PPORT, PORT, PISS + 1, iss[0] + 1, ACK, 65535, NULL, 0, NULL, 0, false);
	seg_opts(PPORT + 1, PORT, PISS + 1, iss[1] + 1, ACK, 65535, NULL, 0, NULL, 0, false);
	assert_int_equal(napps, 2);
	seg_opts(PPORT + 2, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	iss[2] = next_out()->seq;
	/* Three connections: the limit. */
	seg_opts(PPORT + 3, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	no_out();
	assert_int_equal(st()->drop_conn_limit, 1);
	(void)iss;
}

static void test_bad_checksum_and_refused_accept(void **state)
{
	(void)state;
	uint8_t opt[4] = { 2, 4, 5, 180 };

	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, true);
	no_out();
	assert_int_equal(st()->drop_bad_checksum, 1);
	assert_int_equal(st()->conns_current, 0);
	/* The app cannot take the connection: it is reset. */
	refuse_accept = true;
	seg_opts(PPORT, PORT, PISS, 0, SYN, 65535, opt, 4, NULL, 0, false);
	uint32_t iss = next_out()->seq;
	seg(PISS + 1, iss + 1, ACK, 65535, NULL, 0);
	struct out *o = next_out();
	assert_int_equal(o->flags, RST);
	assert_int_equal(st()->conns_current, 0);
	tick();
}

static void test_bulk_transfer_intact(void **state)
{
	(void)state;
	uint32_t s = handshake_ws(2, 1460);
	static uint8_t got[sizeof(pattern)];
	size_t have = 0;

	fill_pattern();
	apps[0].reply = pattern;
	apps[0].reply_len = sizeof(pattern);
	tcp_mark(apps[0].tc);
	tick();
	/* The peer ACKs everything it gets, dropping every 7th segment once. */
	unsigned k = 0;
	for (int rounds = 0; rounds < 20000 && have < sizeof(pattern); rounds++) {
		while (nread < nout) {
			struct out *o = next_out();
			uint32_t off = o->seq - s;
			if (o->dlen == 0)
				continue;
			if (++k % 7 == 0 && off + o->dlen > have)
				continue;               /* lost */
			if (off <= have && off + o->dlen > have) {
				memcpy(got + have, o->data + (have - off), off + o->dlen - have);
				have = off + o->dlen;
			}
			seg(PISS + 1, s + (uint32_t)have, ACK, 65535 >> 2, NULL, 0);
		}
		now += 10000;
		tick();
	}
	assert_int_equal(have, sizeof(pattern));
	assert_memory_equal(got, pattern, sizeof(pattern));
	assert_true(st()->retransmits > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_handshake),
		T(test_synack_retransmit_and_give_up),
		T(test_data_delayed_ack_and_piggyback),
		T(test_ooo_reassembly_and_overlap),
		T(test_retransmit_timer_backoff),
		T(test_initial_rto_without_sample),
		T(test_rtt_sample_sets_rto),
		T(test_fast_retransmit_newreno),
		T(test_sack_blocks_sent),
		T(test_sack_recovery_resends_holes),
		T(test_rack_resends_lost_retransmission),
		T(test_active_open),
		T(test_active_open_refused_and_unanswered),
		T(test_peer_window_and_mss),
		T(test_zero_window_persist),
		T(test_our_window_closes_and_reopens),
		T(test_peer_fin_half_close),
		T(test_we_close_first_time_wait),
		T(test_rst_rules),
		T(test_syn_backlog_and_conn_limit),
		T(test_bad_checksum_and_refused_accept),
		T(test_bulk_transfer_intact),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
