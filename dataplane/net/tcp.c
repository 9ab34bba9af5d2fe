/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP: the per-core stack, its flow table, the receive path and state
 * machine (RFC 9293 3.10.7) with RFC 5961 checks, passive and active open,
 * reassembly, and the application side. ACK processing is in tcp_ack.c,
 * timers in tcp_timer.c, transmission in tcp_output.c.
 *
 *   SYN -> SYN-RCVD -ACK-> ESTABLISHED -FIN-> CLOSE-WAIT -close-> LAST-ACK -ACK-> gone
 *                            |close
 *                            v
 *                       FIN-WAIT-1 -ACK-> FIN-WAIT-2 -FIN-> TIME-WAIT -2MSL-> gone
 *                            |FIN
 *                            v
 *                         CLOSING -ACK-> TIME-WAIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/net/tcp_priv.h"


void tcp_config_default(struct tcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 16384;
	cfg->syn_backlog = 512;
	cfg->rcvbuf = 256 * 1024;
	cfg->sndbuf = 256 * 1024;
	cfg->mtu = 1500;
	cfg->time_wait_us = 60u * 1000 * 1000;    /* 2*MSL as Linux: 60 s */
	cfg->delack_us = 40 * 1000;               /* Linux's minimum delayed ACK */
	cfg->isn_secret = 0x9e3779b97f4a7c15ull;
}

struct tcp_stack *tcp_stack_create(const struct tcp_config *cfg, struct net_if *nif,
				   const struct tcp_ops *ops, void *io)
{
	struct tcp_stack *ts = calloc(1, sizeof(*ts));

	if (ts == NULL)
		return NULL;
	ts->cfg = *cfg;
	if (ts->cfg.mtu < 576)
		ts->cfg.mtu = 576;
	ts->nif = nif;
	ts->ops = *ops;
	ts->io = io;
	ts->marked_tail = &ts->marked;
	ts->next_timer = UINT64_MAX;
	ts->next_port = cfg->ephemeral_offset;
	return ts;
}

const struct tcp_stats *tcp_stats_local(const struct tcp_stack *ts) { return &ts->stats; }

/* ---- flow table ---- */

static unsigned flow_hash(uint32_t rip, uint16_t rport, uint16_t lport)
{
	uint64_t h = ((uint64_t)rip << 32 | (uint32_t)rport << 16 | lport) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 52) & (TCP_HASH_BUCKETS - 1);
}

static struct tcp_conn *flow_find(struct tcp_stack *ts, uint32_t rip, uint16_t rport,
				  uint16_t lport)
{
	for (struct tcp_conn *tc = ts->buckets[flow_hash(rip, rport, lport)]; tc; tc = tc->hnext)
		if (tc->rip == rip && tc->rport == rport && tc->lport == lport)
			return tc;
	return NULL;
}

static void flow_unlink(struct tcp_stack *ts, struct tcp_conn *tc)
{
	struct tcp_conn **pp = &ts->buckets[flow_hash(tc->rip, tc->rport, tc->lport)];

	while (*pp != NULL && *pp != tc)
		pp = &(*pp)->hnext;
	if (*pp == tc)
		*pp = tc->hnext;
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		ts->all = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
}

static void ooo_free(struct tcp_conn *tc)
{
	for (struct tcp_ooo *o = tc->ooo, *n; o; o = n) {
		n = o->next;
		free(o);
	}
	tc->ooo = NULL;
	tc->ooo_n = 0;
}

static void conn_free(struct tcp_conn *tc)
{
	ooo_free(tc);
	free(tc->sbuf);
	free(tc);
}

void tcp_mark(struct tcp_conn *tc)
{
	struct tcp_stack *ts = tc->ts;

	if (tc->marked)
		return;
	tc->marked = true;
	tc->mnext = NULL;
	*ts->marked_tail = tc;
	ts->marked_tail = &tc->mnext;
}

void tcp_set_state(struct tcp_conn *tc, uint8_t st)
{
	struct tcp_stats *s = &tc->ts->stats;

	if (tc->state == TCPS_SYN_RCVD)
		s->conns_syn_rcvd--;
	if (tc->state == TCPS_TIME_WAIT)
		s->conns_time_wait--;
	tc->state = st;
	if (st == TCPS_SYN_RCVD)
		s->conns_syn_rcvd++;
	if (st == TCPS_TIME_WAIT)
		s->conns_time_wait++;
}

/*
 * Gone from the flow table now; the memory goes at the next flush, since
 * the mark list may still point at it. reset: counted as reset, not closed.
 */
void tcp_conn_destroy(struct tcp_conn *tc, bool reset)
{
	struct tcp_stack *ts = tc->ts;
	bool was_open = tc->state != TCPS_SYN_RCVD && tc->state != TCPS_SYN_SENT;
	void *app = tc->app;

	flow_unlink(ts, tc);
	tcp_set_state(tc, TCPS_CLOSED);
	ts->stats.conns_current--;
	if (was_open && reset)
		ts->stats.conns_reset++;
	else if (was_open)
		ts->stats.conns_closed++;
	tc->app = NULL;
	if (app != NULL)
		ts->ops.closed(app);
	tcp_mark(tc);   /* freed by the flush */
}

void tcp_send_rst(struct tcp_conn *tc)
{
	tcp_emit_raw(tc->ts, tc->rmac, tc->lip, tc->rip, tc->lport, tc->rport, tc->snd_nxt, 0,
		     TCP_RST, 0, NULL, 0, NULL, 0);
	tc->ts->stats.rst_sent++;
}

void tcp_stack_destroy(struct tcp_stack *ts)
{
	if (ts == NULL)
		return;
	while (ts->all != NULL)
		tcp_conn_destroy(ts->all, true);
	for (struct tcp_conn *tc = ts->marked, *n; tc; tc = n) {
		n = tc->mnext;
		if (tc->state == TCPS_CLOSED)
			conn_free(tc);
	}
	free(ts);
}

/* ---- segments in ---- */


static bool parse_seg(struct tcp_stack *ts, const uint8_t *frame, const struct net_l4 *l4,
		      struct tcp_seg *s)
{
	const uint8_t *th = frame + l4->l4_off;
	unsigned hl;
	uint32_t sum;

	if (l4->l4_len < TCP_HDR_MIN || (hl = (unsigned)(th[12] >> 4) * 4) < TCP_HDR_MIN ||
	    hl > l4->l4_len) {
		ts->stats.drop_bad_header++;
		return false;
	}
	sum = (l4->src_ip >> 16) + (l4->src_ip & 0xffff) + (l4->dst_ip >> 16) +
	      (l4->dst_ip & 0xffff) + 6 + l4->l4_len;
	if (!l4->csum_ok && net_csum_fold(net_csum_add(sum, th, l4->l4_len)) != 0xffff) {
		ts->stats.drop_bad_checksum++;
		return false;
	}
	s->sport = rd16(th);
	s->dport = rd16(th + 2);
	s->seq = rd32(th + 4);
	s->ack = rd32(th + 8);
	s->flags = th[13] & 0x3f;
	s->win = rd16(th + 14);
	s->data = th + hl;
	s->len = l4->l4_len - hl;
	s->mss = 0;
	s->wscale = 0xff;
	s->sack_ok = false;
	s->nsack = 0;
	/* Options matter only on a SYN (MSS, window scale). */
	for (unsigned i = TCP_HDR_MIN; i < hl;) {
		uint8_t kind = th[i], olen;
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || (olen = th[i + 1]) < 2 || i + olen > hl)
			break;
		if (kind == 2 && olen == 4 && (s->flags & TCP_SYN))
			s->mss = rd16(th + i + 2);
		else if (kind == 3 && olen == 3)
			s->wscale = th[i + 2] > 14 ? 14 : th[i + 2];   /* RFC 7323 2.3 */
		else if (kind == 4 && olen == 2)
			s->sack_ok = true;
		else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0)
			for (unsigned b = 0; b < (olen - 2u) / 8 && b < 4; b++) {
				s->sack[b][0] = rd32(th + i + 2 + 8 * b);
				s->sack[b][1] = rd32(th + i + 6 + 8 * b);
				s->nsack = (uint8_t)(b + 1);
			}
		i += olen;
	}
	return true;
}

/* RST for a segment that has no connection (RFC 9293 3.10.7.1). */
static void rst_reply(struct tcp_stack *ts, const uint8_t *frame, const struct net_l4 *l4,
		      const struct tcp_seg *s)
{
	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK)
		tcp_emit_raw(ts, frame + 6, l4->dst_ip, l4->src_ip, s->dport, s->sport, s->ack, 0,
			     TCP_RST, 0, NULL, 0, NULL, 0);
	else
		tcp_emit_raw(ts, frame + 6, l4->dst_ip, l4->src_ip, s->dport, s->sport, 0,
			     s->seq + s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN),
			     TCP_RST | TCP_ACK, 0, NULL, 0, NULL, 0);
	ts->stats.rst_sent++;
}

static bool port_served(const struct tcp_stack *ts, uint16_t port)
{
	for (unsigned i = 0; i < sizeof(ts->cfg.ports) / sizeof(ts->cfg.ports[0]); i++)
		if (port != 0 && ts->cfg.ports[i] == port)
			return true;
	return false;
}

/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock. */
static uint32_t make_isn(const struct tcp_stack *ts, uint32_t rip, uint16_t rport,
			 uint16_t lport, uint64_t now_us)
{
	uint64_t h = ts->cfg.isn_secret ^ ((uint64_t)rip << 32 | (uint32_t)rport << 16 | lport);

	h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull; h ^= h >> 33;
	return (uint32_t)h + (uint32_t)(now_us / 4);
}

static void listen_syn(struct tcp_stack *ts, const uint8_t *frame, const struct net_l4 *l4,
		       const struct tcp_seg *s, uint64_t now_us)
{
	struct tcp_conn *tc;
	unsigned b;

	if (ts->stats.conns_syn_rcvd >= ts->cfg.syn_backlog) {
		ts->stats.drop_syn_backlog++;     /* the client retries its SYN */
		return;
	}
	if (ts->stats.conns_current >= ts->cfg.max_conns) {
		ts->stats.drop_conn_limit++;
		return;
	}
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		ts->stats.drop_no_buffer++;
		return;
	}
	tc->ts = ts;
	tc->lip = l4->dst_ip;
	tc->rip = l4->src_ip;
	tc->lport = s->dport;
	tc->rport = s->sport;
	memcpy(tc->rmac, frame + 6, 6);
	tc->irs = s->seq;
	tc->rcv_nxt = s->seq + 1;
	tc->iss = make_isn(ts, tc->rip, tc->rport, tc->lport, now_us);
	tc->snd_una = tc->snd_nxt = tc->iss;
	tc->snd_max = tc->iss + 1;
	tc->ws_ok = s->wscale != 0xff;
	tc->sack_ok = s->sack_ok;
	tc->snd_wscale = tc->ws_ok ? s->wscale : 0;
	tc->rcv_wscale = tc->ws_ok ? TCP_WSCALE : 0;
	tc->mss = s->mss ? s->mss : TCP_DEFAULT_MSS;
	if (tc->mss > ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN)
		tc->mss = (uint16_t)(ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN);
	if (tc->mss < 64)
		tc->mss = 64;
	tc->rto = TCP_RTO_INIT_US;
	tc->state = TCPS_CLOSED;
	tcp_set_state(tc, TCPS_SYN_RCVD);
	b = flow_hash(tc->rip, tc->rport, tc->lport);
	tc->hnext = ts->buckets[b];
	ts->buckets[b] = tc;
	tc->next = ts->all;
	if (ts->all)
		ts->all->prev = tc;
	ts->all = tc;
	ts->stats.conns_current++;
	tcp_send_synack(tc, now_us);
}

static void deliver(struct tcp_conn *tc, const uint8_t *p, uint32_t n)
{
	tc->rcv_nxt += n;
	tc->ts->stats.bytes_in += n;
	if (tc->app != NULL && n > 0)
		tc->ts->ops.recv(tc->app, p, n);
}

/* Hand over queued segments that are now in order. */
static void ooo_drain(struct tcp_conn *tc)
{
	while (tc->ooo != NULL && seq_le(tc->ooo->seq, tc->rcv_nxt)) {
		struct tcp_ooo *o = tc->ooo;
		uint32_t end = o->seq + o->len;

		if (seq_gt(end, tc->rcv_nxt)) {
			uint32_t skip = tc->rcv_nxt - o->seq;
			deliver(tc, o->data + skip, o->len - skip);
		}
		tc->ooo = o->next;
		tc->ooo_n--;
		free(o);
	}
}

static void ooo_insert(struct tcp_conn *tc, uint32_t seq, const uint8_t *p, uint32_t n)
{
	struct tcp_ooo **pp = &tc->ooo, *o;

	while (*pp != NULL && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	/* Already have it (a duplicate of a queued segment)? */
	if (*pp != NULL && (*pp)->seq == seq && (*pp)->len >= n) {
		tc->ts->stats.dup_segments++;
		return;
	}
	if (tc->ooo_n >= TCP_OOO_MAX || (o = malloc(sizeof(*o) + n)) == NULL) {
		tc->ts->stats.drop_ooo_full++;   /* the sender retransmits it */
		return;
	}
	o->seq = seq;
	o->len = n;
	tc->ooo_last = seq;
	memcpy(o->data, p, n);
	o->next = *pp;
	*pp = o;
	tc->ooo_n++;
	tc->ts->stats.ooo_segments++;
}

static void fin_in(struct tcp_conn *tc, uint64_t now_us)
{
	tc->fin_rcvd_pending = false;
	tc->rcv_nxt++;
	tc->ack_now = true;
	switch (tc->state) {
	case TCPS_ESTABLISHED:
		tcp_set_state(tc, TCPS_CLOSE_WAIT);
		if (tc->app != NULL)
			tc->ts->ops.eof(tc->app);
		break;
	case TCPS_FIN_WAIT_1:
		/* Our FIN not yet acknowledged: simultaneous close. */
		tcp_set_state(tc, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_set_state(tc, TCPS_TIME_WAIT);
		tcp_timer_arm(tc->ts, &tc->t_wait, now_us + tc->ts->cfg.time_wait_us);
		break;
	default:
		break;
	}
	tcp_mark(tc);
}

/* Data and FIN of an acceptable segment (RFC 9293 3.10.7.4, 7th/8th). */
static void data_in(struct tcp_conn *tc, const struct tcp_seg *s, uint64_t now_us)
{
	uint32_t seq = s->seq, n = s->len, wnd_end = tc->rcv_adv;
	const uint8_t *p = s->data;
	bool fin = (s->flags & TCP_FIN) != 0;

	if (tc->state != TCPS_ESTABLISHED && tc->state != TCPS_FIN_WAIT_1 &&
	    tc->state != TCPS_FIN_WAIT_2)
		n = 0, fin = false;   /* the peer already sent FIN: nothing more counts */
	if (seq_lt(wnd_end, tc->rcv_nxt))
		wnd_end = tc->rcv_nxt;
	if (n > 0 && seq_lt(seq, tc->rcv_nxt)) {          /* overlap at the front */
		uint32_t skip = tc->rcv_nxt - seq;
		if (skip >= n) {
			n = 0;
			tc->ts->stats.dup_segments++;
		} else {
			p += skip;
			n -= skip;
		}
		seq = tc->rcv_nxt;
		tc->ack_now = true;
	}
	if (n > 0 && seq_gt(seq + n, wnd_end)) {          /* beyond the window: trim */
		n = seq_gt(wnd_end, seq) ? wnd_end - seq : 0;
		fin = false;
		tc->ack_now = true;
	}
	if (fin && !tc->fin_rcvd_pending) {
		tc->fin_rcvd_pending = true;
		tc->fin_rcvd_seq = s->seq + s->len;
	}
	if (n > 0) {
		if (seq == tc->rcv_nxt) {
			bool had_ooo = tc->ooo != NULL;
			deliver(tc, p, n);
			ooo_drain(tc);
			/* Every second full segment is ACKed at once (RFC 5681 4.2);
			 * an ACK that fills a hole goes at once too (RFC 5681 4.2). */
			if (++tc->segs_unacked >= 2 || had_ooo)
				tc->ack_now = true;
			else if (tc->t_delack == 0)
				tcp_timer_arm(tc->ts, &tc->t_delack, now_us + tc->ts->cfg.delack_us);
		} else {
			ooo_insert(tc, seq, p, n);
			tc->ack_now = true;       /* a dup ACK drives fast retransmit */
		}
		tcp_mark(tc);
	}
	if (tc->fin_rcvd_pending && tc->fin_rcvd_seq == tc->rcv_nxt)
		fin_in(tc, now_us);
	else if (tc->fin_rcvd_pending)
		tc->ack_now = true, tcp_mark(tc);
}

/* The handshake is done either way: set up the send side from the ACK
 * of our SYN (s->win is the window of a segment that is not a SYN, or of
 * the SYN-ACK, which is never scaled). */
static void establish(struct tcp_conn *tc, const struct tcp_seg *s, uint32_t wnd, uint64_t now_us)
{
	tcp_set_state(tc, TCPS_ESTABLISHED);
	tc->snd_una = tc->snd_nxt = tc->snd_max = s->ack;
	tc->snd_wnd = wnd;
	tc->max_wnd = tc->snd_wnd;
	tc->snd_wl1 = s->seq;
	tc->snd_wl2 = s->ack;
	tc->cwnd = 10u * tc->mss;              /* RFC 6928 */
	tc->ssthresh = UINT32_MAX / 2;
	tc->recover = s->ack;
	tc->t_rto = 0;
	/* The handshake's RTT, unless a SYN or SYN-ACK was resent (Karn). */
	if (tc->backoff == 0)
		tcp_rtt_sample(tc, (uint32_t)(now_us - tc->rtt_ts));
	else
		tc->rto = TCP_RTO_INIT_US;
	tc->backoff = 0;
	tc->ts->stats.conns_opened++;
}

static void established_from_syn_rcvd(struct tcp_conn *tc, const struct tcp_seg *s, uint64_t now_us)
{
	struct tcp_stack *ts = tc->ts;

	establish(tc, s, (uint32_t)s->win << tc->snd_wscale, now_us);
	tc->app = ts->ops.accept(ts->io, tc, tc->lport);
	if (tc->app == NULL) {
		tcp_send_rst(tc);
		tcp_conn_destroy(tc, true);
	}
}

/* SYN-SENT (RFC 9293 3.10.7.3). */
static void syn_sent_in(struct tcp_conn *tc, const uint8_t *frame, const struct net_l4 *l4,
			const struct tcp_seg *s, uint64_t now_us)
{
	struct tcp_stack *ts = tc->ts;
	bool ack_ok = (s->flags & TCP_ACK) && s->ack == tc->iss + 1;

	if ((s->flags & TCP_ACK) && !ack_ok) {
		rst_reply(ts, frame, l4, s);
		return;
	}
	if (s->flags & TCP_RST) {
		if (ack_ok) {                     /* refused */
			ts->stats.rst_received++;
			tcp_conn_destroy(tc, true);
		}
		return;
	}
	/* A SYN without ACK (simultaneous open) is not taken: the peer's
	 * retransmission after our SYN's ACK resolves it. */
	if (!(s->flags & TCP_SYN) || !ack_ok)
		return;
	tc->irs = s->seq;
	tc->rcv_nxt = s->seq + 1;
	tc->ws_ok = s->wscale != 0xff;
	tc->snd_wscale = tc->ws_ok ? s->wscale : 0;
	tc->rcv_wscale = tc->ws_ok ? TCP_WSCALE : 0;
	tc->sack_ok = s->sack_ok;
	tc->mss = s->mss ? s->mss : TCP_DEFAULT_MSS;
	if (tc->mss > ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN)
		tc->mss = (uint16_t)(ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN);
	if (tc->mss < 64)
		tc->mss = 64;
	tc->rcv_adv = tc->rcv_nxt + min_u32(ts->cfg.rcvbuf, 0xffff);
	establish(tc, s, s->win, now_us);
	tc->ack_now = true;
	tcp_mark(tc);
	if (tc->app != NULL && ts->ops.connected != NULL)
		ts->ops.connected(tc->app);
}

struct tcp_conn *tcp_connect_local(struct tcp_stack *ts, uint32_t ip, uint16_t port, void *app,
				   uint64_t now_us)
{
	const unsigned span = TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1;
	struct tcp_conn *tc;
	uint16_t lport = 0;
	uint32_t hop;
	const uint8_t *mac;
	unsigned b;

	if (ts->stats.conns_current >= ts->cfg.max_conns)
		return NULL;
	for (unsigned i = 0; i < span && lport == 0; i++) {
		uint16_t p = (uint16_t)(TCP_EPHEMERAL_LO + (ts->next_port++ % span));
		if (flow_find(ts, ip, port, p) == NULL && !port_served(ts, p))
			lport = p;
	}
	if (lport == 0 || (tc = calloc(1, sizeof(*tc))) == NULL)
		return NULL;
	tc->ts = ts;
	tc->app = app;
	tc->lip = ts->nif->ip;
	tc->rip = ip;
	tc->lport = lport;
	tc->rport = port;
	tc->iss = make_isn(ts, ip, port, lport, now_us);
	tc->snd_una = tc->iss;
	tc->snd_nxt = tc->snd_max = tc->iss + 1;
	tc->mss = TCP_DEFAULT_MSS;
	tc->rto = TCP_RTO_INIT_US;
	tc->state = TCPS_SYN_SENT;
	b = flow_hash(tc->rip, tc->rport, tc->lport);
	tc->hnext = ts->buckets[b];
	ts->buckets[b] = tc;
	tc->next = ts->all;
	if (ts->all)
		ts->all->prev = tc;
	ts->all = tc;
	ts->stats.conns_current++;
	mac = net_next_hop_local(ts->nif, ip, now_us / 1000, &hop);
	if (mac != NULL) {
		memcpy(tc->rmac, mac, 6);
		tcp_send_syn(tc, now_us);
	} else {
		tc->arp_wait = true;
		tc->arp_tries = 19;      /* the first look asks at once */
		tcp_timer_arm(ts, &tc->t_rto, now_us);
	}
	return tc;
}

void tcp_input_local(struct tcp_stack *ts, const uint8_t *frame, const struct net_l4 *l4,
		     uint64_t now_us)
{
	struct tcp_seg s;
	struct tcp_conn *tc;
	uint32_t rcv_wnd;

	ts->stats.segs_in++;
	if (!parse_seg(ts, frame, l4, &s))
		return;
	tc = flow_find(ts, l4->src_ip, s.sport, s.dport);
	/* A new SYN on a TIME-WAIT flow with a higher sequence reopens it
	 * (RFC 9293 3.10.7.4 note, as BSD and Linux do). */
	if (tc != NULL && tc->state == TCPS_TIME_WAIT && (s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) ==
	    TCP_SYN && seq_gt(s.seq, tc->rcv_nxt)) {
		tcp_conn_destroy(tc, false);
		tc = NULL;
	}
	if (tc == NULL) {
		if (!port_served(ts, s.dport) || (s.flags & (TCP_RST | TCP_ACK)) ||
		    !(s.flags & TCP_SYN)) {
			if (!(s.flags & TCP_RST))
				ts->stats.drop_no_conn++;
			rst_reply(ts, frame, l4, &s);
			return;
		}
		listen_syn(ts, frame, l4, &s, now_us);
		return;
	}
	if (tc->state == TCPS_SYN_SENT) {
		if (!tc->arp_wait)
			syn_sent_in(tc, frame, l4, &s, now_us);
		return;
	}
	memcpy(tc->rmac, frame + 6, 6);

	if (tc->state == TCPS_SYN_RCVD) {
		if (s.flags & TCP_RST) {
			if (seq_ge(s.seq, tc->rcv_nxt) && seq_lt(s.seq, tc->rcv_adv)) {
				ts->stats.rst_received++;
				tcp_conn_destroy(tc, true);
			} else {
				ts->stats.rst_ignored++;
			}
			return;
		}
		if (s.flags & TCP_SYN) {
			if (s.seq == tc->irs)         /* our SYN-ACK was lost */
				tcp_send_synack(tc, now_us);
			else
				tcp_challenge_ack(tc, now_us);
			return;
		}
		if (!(s.flags & TCP_ACK))
			return;
		if (s.ack != tc->iss + 1) {
			rst_reply(ts, frame, l4, &s);
			return;
		}
		established_from_syn_rcvd(tc, &s, now_us);
		if (tc->state == TCPS_CLOSED)
			return;
		data_in(tc, &s, now_us);
		return;
	}

	/* Synchronized states. 1: is the segment in the window? */
	rcv_wnd = seq_gt(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
	if (s.flags & TCP_RST) {
		/* RFC 5961 3.2: only the exact next sequence resets. */
		if (s.seq == tc->rcv_nxt) {
			ts->stats.rst_received++;
			tcp_conn_destroy(tc, true);
		} else if (seq_gt(s.seq, tc->rcv_nxt) && seq_lt(s.seq, tc->rcv_nxt + rcv_wnd)) {
			tcp_challenge_ack(tc, now_us);
		} else {
			ts->stats.rst_ignored++;
		}
		return;
	}
	{
		uint32_t slen = s.len + !!(s.flags & TCP_SYN) + !!(s.flags & TCP_FIN);
		bool ok;
		if (slen == 0)
			ok = rcv_wnd == 0 ? s.seq == tc->rcv_nxt :
			     seq_ge(s.seq, tc->rcv_nxt) && seq_lt(s.seq, tc->rcv_nxt + rcv_wnd);
		else
			ok = rcv_wnd == 0 ? false :
			     (seq_ge(s.seq, tc->rcv_nxt) && seq_lt(s.seq, tc->rcv_nxt + rcv_wnd)) ||
			     (seq_ge(s.seq + slen - 1, tc->rcv_nxt) &&
			      seq_lt(s.seq + slen - 1, tc->rcv_nxt + rcv_wnd));
		/* A zero window still takes ACKs and the peer's probes. */
		if (!ok && slen > 0 && rcv_wnd == 0 && seq_le(s.seq, tc->rcv_nxt) &&
		    !(s.flags & TCP_SYN))
			ok = true;
		if (!ok && !(s.flags & TCP_SYN)) {
			ts->stats.drop_out_of_window++;
			if (slen > 0)
				ts->stats.dup_segments++;
			tc->ack_now = true;
			tcp_mark(tc);
			return;
		}
	}
	if (s.flags & TCP_SYN) {
		/* RFC 5961 4.2: any SYN on a synchronized flow. */
		tcp_challenge_ack(tc, now_us);
		return;
	}
	if (!(s.flags & TCP_ACK))
		return;
	if (!tcp_ack_in(tc, &s, now_us))
		return;
	/* Our FIN acknowledged? */
	if (tc->fin_queued && seq_gt(s.ack, tc->fin_seq)) {
		switch (tc->state) {
		case TCPS_FIN_WAIT_1:
			tcp_set_state(tc, TCPS_FIN_WAIT_2);
			tc->t_rto = 0;
			tcp_timer_arm(ts, &tc->t_wait, now_us + TCP_FIN_WAIT_2_US);
			break;
		case TCPS_CLOSING:
			tcp_set_state(tc, TCPS_TIME_WAIT);
			tc->t_rto = 0;
			tcp_timer_arm(ts, &tc->t_wait, now_us + ts->cfg.time_wait_us);
			break;
		case TCPS_LAST_ACK:
			tcp_conn_destroy(tc, false);
			return;
		default:
			break;
		}
	}
	if (tc->state == TCPS_TIME_WAIT) {
		/* A retransmitted FIN: our last ACK was lost. ACK and restart 2MSL. */
		if (s.flags & TCP_FIN) {
			tc->ack_now = true;
			tcp_mark(tc);
			tcp_timer_arm(ts, &tc->t_wait, now_us + ts->cfg.time_wait_us);
		}
		return;
	}
	data_in(tc, &s, now_us);
}

size_t tcp_describe_local(const struct tcp_stack *ts, char *buf, size_t len, uint64_t now_us)
{
	static const char *const names[] = { "CLOSED", "SYN-RCVD", "ESTABLISHED", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSING", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK", "SYN-SENT" };
	size_t n = 0;

	if (len > 0)
		buf[0] = 0;
	for (const struct tcp_conn *tc = ts->all; tc != NULL && n + 1 < len; tc = tc->next) {
		int w = snprintf(buf + n, len - n,
			"%u.%u.%u.%u:%u %s app=%d una+%u nxt+%u max+%u slen=%u swnd=%u cwnd=%u "
			"rec=%d sacked=%u backoff=%u persist=%d rto=%u srtt=%u rcv+%u adv+%u "
			"unread=%u ooo=%u t_rto=%lld t_tlp=%lld t_rack=%lld\n",
			tc->rip >> 24, tc->rip >> 16 & 255, tc->rip >> 8 & 255, tc->rip & 255, tc->rport,
			names[tc->state], tc->app != NULL, tc->snd_una - tc->iss,
			tc->snd_nxt - tc->iss, tc->snd_max - tc->iss, tc->slen, tc->snd_wnd, tc->cwnd,
			tc->in_recovery, tc->nsacked, tc->backoff, tc->persist, tc->rto, tc->srtt,
			tc->rcv_nxt - tc->irs, tc->rcv_adv - tc->irs, tc->unread, tc->ooo_n,
			tc->t_rto ? (long long)(tc->t_rto - now_us) : -1LL,
			tc->t_tlp ? (long long)(tc->t_tlp - now_us) : -1LL,
			tc->t_rack ? (long long)(tc->t_rack - now_us) : -1LL);
		if (w < 0)
			break;
		n += (size_t)w < len - n ? (size_t)w : len - n - 1;
	}
	return n;
}

/* ---- app side ---- */

size_t tcp_send_space(const struct tcp_conn *tc)
{
	if (tc->fin_queued || tc->state == TCPS_CLOSED)
		return 0;
	return tc->slen < tc->ts->cfg.sndbuf ? tc->ts->cfg.sndbuf - tc->slen : 0;
}

size_t tcp_send(struct tcp_conn *tc, const void *p, size_t n)
{
	size_t room = tcp_send_space(tc);

	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (tc->shead + tc->slen + n > tc->scap) {
		if (tc->shead > 0) {    /* reclaim acknowledged bytes first */
			memmove(tc->sbuf, tc->sbuf + tc->shead, tc->slen);
			tc->shead = 0;
		}
		if (tc->slen + n > tc->scap) {
			uint32_t cap = tc->scap ? tc->scap : TCP_SBUF_MIN;
			uint8_t *nb;
			while (cap < tc->slen + n)
				cap *= 2;
			if (cap > tc->ts->cfg.sndbuf)
				cap = tc->ts->cfg.sndbuf;
			if ((nb = realloc(tc->sbuf, cap)) == NULL)
				return 0;
			tc->sbuf = nb;
			tc->scap = cap;
		}
	}
	memcpy(tc->sbuf + tc->shead + tc->slen, p, n);
	tc->slen += (uint32_t)n;
	/* Out at the next flush; from inside the flow's own pull, tcp_output
	 * follows anyway (marking it again made every reply pull twice). */
	if (tc->ts->pulling != tc)
		tcp_mark(tc);
	return n;
}

void tcp_rx_unread(struct tcp_conn *tc, size_t n)
{
	tc->unread = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void tcp_close(struct tcp_conn *tc)
{
	tc->app = NULL;
	if (tc->state == TCPS_CLOSED || tc->fin_queued)
		return;
	/* Closed before the handshake finished: nothing was sent that needs a
	 * FIN, and queued data goes with the connection (RFC 9293 3.10.4
	 * lets SYN-SENT delete the TCB). */
	if (tc->state == TCPS_SYN_SENT) {
		tcp_conn_destroy(tc, false);
		return;
	}
	tc->fin_queued = true;
	tc->fin_seq = tc->snd_una + tc->slen;
	if (tc->state == TCPS_ESTABLISHED)
		tcp_set_state(tc, TCPS_FIN_WAIT_1);
	else if (tc->state == TCPS_CLOSE_WAIT)
		tcp_set_state(tc, TCPS_LAST_ACK);
	tcp_mark(tc);
}

void tcp_abort(struct tcp_conn *tc)
{
	tc->app = NULL;
	if (tc->state == TCPS_CLOSED)
		return;
	/* In SYN-SENT the peer has nothing to reset (RFC 9293 3.10.5), and
	 * may not even have a MAC address yet. */
	if (tc->state != TCPS_SYN_SENT)
		tcp_send_rst(tc);
	tcp_conn_destroy(tc, true);
}

void tcp_flush_local(struct tcp_stack *ts, uint64_t now_us)
{
	while (ts->marked != NULL) {
		struct tcp_conn *tc = ts->marked;

		ts->marked = tc->mnext;
		if (ts->marked == NULL)
			ts->marked_tail = &ts->marked;
		tc->marked = false;
		if (tc->state == TCPS_CLOSED) {
			conn_free(tc);
			continue;
		}
		if (tc->app != NULL) {
			ts->pulling = tc;
			ts->ops.pull(tc->app);   /* may queue data, close, or re-mark */
			ts->pulling = NULL;
		}
		if (tc->state != TCPS_CLOSED)
			tcp_output(tc, now_us);
		if (tc->state == TCPS_CLOSED && !tc->marked)
			conn_free(tc);
	}
}

void tcp_marked_foreach_local(struct tcp_stack *ts, void (*fn)(void *app, void *arg), void *arg)
{
	for (struct tcp_conn *tc = ts->marked; tc != NULL; tc = tc->mnext)
		if (tc->app != NULL && tc->state != TCPS_CLOSED)
			fn(tc->app, arg);
}

void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *peer_ip, uint16_t *peer_port,
		    uint32_t *local_ip, uint16_t *local_port)
{
	*peer_ip = tc->rip;
	*peer_port = tc->rport;
	*local_ip = tc->lip;
	*local_port = tc->lport;
}
