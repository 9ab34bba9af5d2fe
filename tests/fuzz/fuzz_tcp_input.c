// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: a hostile peer against one TCP stack. The input is a program:
 * each step sends a segment (flags, sequence and ACK near what the flow
 * expects or anywhere, window, options, payload), advances the clock and
 * runs the timers, or has the application send, stop reading, close or
 * connect out.
 * Checksums are made right so the state machine, not the checksum check,
 * sees the bytes (one step sends a frame as it is).
 *
 * Invariants: every frame the stack sends is well formed (checksums hold,
 * fits the MTU, addressed to the peer); the bytes the application receives
 * are exactly the peer's stream in order -- the payload byte at sequence
 * number q is always pattern(q), whatever the segment boundaries, overlaps
 * and order; no callback reaches an application after it is closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
#define OUR_IP  0xc6120002u
#define PEER_IP 0xc6120001u
#define NAPPS 8

static uint8_t txframe[2048];
static uint32_t last_seq_from_us;   /* to aim ACKs near what the stack sent */

struct app {
	struct tcp_conn *tc;
	uint32_t irs_next;    /* the low byte of the next byte's sequence number */
	bool irs_known, closed, released;
	size_t unread;
};
static struct app apps[NAPPS];
static unsigned napps;
static uint32_t peer_isn;

/* The low byte of the sequence number: the app does not know where its
 * stream started, but each byte must be one more than the one before. */
static uint8_t pattern(uint32_t seq) { return (uint8_t)seq; }

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

static uint8_t *f_alloc(void *io, uint16_t need, void **handle)
{
	(void)io;
	if (need > sizeof(txframe))
		abort();
	*handle = txframe;
	return txframe;
}

static void f_send(void *io, void *handle, uint16_t len)
{
	const uint8_t *f = handle, *ip = f + 14, *th = ip + 20;
	uint16_t tot = rd16(ip + 2);
	uint32_t sum;

	(void)io;
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06)
		return;   /* an ARP request for the peer */
	if (len < 60 || len > 1514 || tot + 14u > len || memcmp(f, peer_mac, 6) != 0 ||
	    memcmp(f + 6, our_mac, 6) != 0)
		abort();
	if (net_csum_fold(net_csum_add(0, ip, 20)) != 0xffff)
		abort();
	sum = (OUR_IP >> 16) + (OUR_IP & 0xffff) + (PEER_IP >> 16) + (PEER_IP & 0xffff) + 6 +
	      (uint32_t)(tot - 20);
	if (net_csum_fold(net_csum_add(sum, th, tot - 20u)) != 0xffff)
		abort();
	last_seq_from_us = (uint32_t)rd16(th + 4) << 16 | rd16(th + 6);
}

static void *f_accept(void *io, struct tcp_conn *tc, uint16_t port)
{
	struct app *a;

	(void)io;
	(void)port;
	if (napps == NAPPS)
		return NULL;
	a = &apps[napps++];
	memset(a, 0, sizeof(*a));
	a->tc = tc;
	return a;
}

static void f_recv(void *app, const uint8_t *p, size_t n)
{
	struct app *a = app;

	if (a->closed || a->released)
		abort();
	if (!a->irs_known) {
		a->irs_known = true;
		a->irs_next = p[0];
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(a->irs_next + (uint32_t)i))
			abort();
	a->irs_next += (uint32_t)n;
}

static void f_eof(void *app)
{
	if (((struct app *)app)->closed || ((struct app *)app)->released)
		abort();
}

static void f_pull(void *app)
{
	struct app *a = app;

	if (a->closed || a->released)
		abort();
	tcp_rx_unread(a->tc, a->unread);
}

static void f_closed(void *app)
{
	struct app *a = app;

	if (a->closed || a->released)
		abort();
	a->closed = true;
}

static void f_connected(void *app)
{
	if (((struct app *)app)->closed || ((struct app *)app)->released)
		abort();
}

static const struct tcp_ops fops = { f_alloc, f_send, f_accept, f_recv, f_eof, f_pull, f_closed,
				     f_connected };

/* The peer's ARP reply, so that active opens find its MAC. */
static void peer_arp(struct net_if *nif)
{
	uint8_t f[60] = { 0 };
	uint16_t len = 60;
	struct net_l4 l4;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	wr16(f + 12, 0x0806);
	wr16(f + 14, 1);
	wr16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	wr16(f + 20, 2);
	memcpy(f + 22, peer_mac, 6);
	wr32(f + 28, PEER_IP);
	memcpy(f + 32, our_mac, 6);
	wr32(f + 38, OUR_IP);
	net_rx_local(nif, f, &len, sizeof(f), 1000, &l4);
}

/* A segment from the peer with correct checksums. */
static void send_seg(struct tcp_stack *ts, struct net_if *nif, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opt,
		     unsigned olen, unsigned dlen, uint64_t now)
{
	static uint8_t f[1600];
	uint8_t *ip = f + 14, *th = ip + 20;
	unsigned hl = 20 + (olen & ~3u), tot = 20 + hl + dlen;
	uint32_t sum;
	uint16_t len;
	struct net_l4 l4;

	if (tot + 14 > sizeof(f))
		return;
	memset(f, 0, 14 + tot < 60 ? 60 : 14 + tot);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	wr16(f + 12, 0x0800);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 6;
	wr32(ip + 12, PEER_IP);
	wr32(ip + 16, OUR_IP);
	wr16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
	wr16(th, sport);
	wr16(th + 2, dport);
	wr32(th + 4, seq);
	wr32(th + 8, ack);
	th[12] = (uint8_t)((hl / 4) << 4);
	th[13] = flags;
	wr16(th + 14, win);
	if (olen >= 4)
		memcpy(th + 20, opt, olen & ~3u);
	/* Payload bytes are a function of their sequence number. */
	for (unsigned i = 0; i < dlen; i++)
		th[hl + i] = pattern(seq + (flags & 0x02 ? 1 : 0) + i);
	sum = (PEER_IP >> 16) + (PEER_IP & 0xffff) + (OUR_IP >> 16) + (OUR_IP & 0xffff) + 6 + hl + dlen;
	wr16(th + 16, (uint16_t)~net_csum_fold(net_csum_add(sum, th, hl + dlen)));
	len = (uint16_t)(14 + tot < 60 ? 60 : 14 + tot);
	if (net_rx_local(nif, f, &len, sizeof(f), now / 1000, &l4) == NET_TCP)
		tcp_input_local(ts, f, &l4, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t sendbuf[8192];
	struct net_if nif;
	struct tcp_config cfg;
	struct tcp_stack *ts;
	uint64_t now = 1000000;
	uint32_t seq;
	size_t i = 0;

	net_if_init(&nif, our_mac, OUR_IP, 0xffffff00u, 0);
	tcp_config_default(&cfg);
	cfg.ports[0] = 6379;
	cfg.ports[1] = 11211;
	cfg.max_conns = 6;
	cfg.syn_backlog = 3;
	cfg.rcvbuf = 16384;
	cfg.sndbuf = 16384;
	cfg.time_wait_us = 2000000;
	ts = tcp_stack_create(&cfg, &nif, &fops, NULL);
	if (ts == NULL)
		return 0;
	napps = 0;
	peer_isn = 0x10000000;
	seq = peer_isn;
	last_seq_from_us = 0;
	memset(sendbuf, 'r', sizeof(sendbuf));
	if (size & 1)
		peer_arp(&nif);
	while (i + 8 <= size) {
		const uint8_t *op = data + i;
		unsigned kind = op[0] & 7;
		i += 8;
		switch (kind) {
		case 0: case 1: case 2: {   /* a segment on one of two flows */
			uint8_t flags = op[1] & 0x3f;
			int32_t dseq = (int8_t)op[2] * (op[0] & 0x80 ? 4096 : 16);
			int32_t dack = (int8_t)op[3];
			unsigned dlen = op[4] * 6u;
			uint16_t win = (uint16_t)(op[5] << 8 | op[6]);
			uint8_t opt[12] = { 2, 4, (uint8_t)(op[7] & 7), 0xb4, 1, 3, 3, op[7] >> 4, 4, 2, 1, 1 };
			uint16_t sport = (uint16_t)(40000 + (op[0] >> 3 & 3));
			uint16_t dport = op[0] & 0x40 ? 11211 : 6379;
			if (op[0] & 0x20)   /* to an active open's ephemeral port */
				dport = (uint16_t)(32768 + (op[7] & 3));
			if (flags & 0x02) {
				/* A SYN starts a fresh stream: payload follows the ISN. */
				send_seg(ts, &nif, sport, dport, peer_isn + (uint32_t)dseq,
					 last_seq_from_us + 1 + (uint32_t)dack, flags, win, opt,
					 (op[7] & 8) ? 12 : 8, dlen > 200 ? 0 : dlen, now);
			} else {
				send_seg(ts, &nif, sport, dport, seq + 1 + (uint32_t)dseq,
					 last_seq_from_us + (uint32_t)dack, flags, win, NULL, 0,
					 dlen, now);
			}
			break;
		}
		case 3:                       /* time passes */
			now += (uint64_t)(op[1] | op[2] << 8) * 1000u + op[3];
			tcp_timers_local(ts, now);
			break;
		case 4: {                     /* the app sends or stops reading */
			struct app *a = napps ? &apps[op[1] % napps] : NULL;
			if (a && !a->closed && !a->released) {
				size_t n = (size_t)(op[2] << 8 | op[3]) % sizeof(sendbuf);
				tcp_send(a->tc, sendbuf, n);
				a->unread = (size_t)op[4] * 256u;
				tcp_mark(a->tc);
			}
			break;
		}
		case 5: {                     /* the app closes or aborts */
			struct app *a = napps ? &apps[op[1] % napps] : NULL;
			if (a && !a->closed && !a->released) {
				a->released = true;
				if (op[2] & 1)
					tcp_abort(a->tc);
				else
					tcp_close(a->tc);
			}
			break;
		}
		case 6:                       /* the peer's stream moves on */
			seq += (uint32_t)(op[1] | op[2] << 8);
			break;
		case 7:                       /* the app connects out */
			if (napps < NAPPS) {
				struct app *a = &apps[napps];
				memset(a, 0, sizeof(*a));
				a->tc = tcp_connect_local(ts, PEER_IP, (uint16_t)(40000 + (op[1] & 3)), a,
							  now);
				if (a->tc != NULL)
					napps++;
			}
			break;
		default:
			break;
		}
		tcp_flush_local(ts, now);
	}
	tcp_stack_destroy(ts);
	return 0;
}
