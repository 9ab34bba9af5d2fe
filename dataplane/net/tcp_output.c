/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP transmit: frame building with software checksums, and what to send
 * when (windows, congestion window, FIN, ACKs owed).
 *
 * Ethernet (14) | IPv4 (20, DF, no options) | TCP (20 + options) | data
 * TCP header    | sport 2 | dport 2 | seq 4 | ack 4 | off/flags 2 | win 2 |
 *               | csum 2 | urg 2 | options ... |
 */
#include <string.h>

#include "dataplane/net/tcp_priv.h"


void tcp_emit_raw(struct tcp_stack *ts, const uint8_t dmac[6], uint32_t sip, uint32_t dip,
		  uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		  uint16_t win, const uint8_t *opt, uint8_t optlen, const uint8_t *data,
		  uint16_t dlen)
{
	uint16_t thl = (uint16_t)(TCP_HDR_MIN + optlen);
	uint16_t tot = (uint16_t)(NET_IPV4_MIN + thl + dlen);
	uint16_t flen = (uint16_t)(NET_ETHER_LEN + tot);
	uint16_t need = flen < NET_ETHER_MIN ? NET_ETHER_MIN : flen;
	void *handle;
	uint8_t *f = ts->ops.tx_alloc(ts->io, need, &handle), *ip, *th;
	uint32_t sum;

	if (f == NULL) {
		ts->stats.drop_no_buffer++;
		return;
	}
	memcpy(f, dmac, 6);
	memcpy(f + 6, ts->nif->mac, 6);
	wr16(f + 12, 0x0800);
	ip = f + NET_ETHER_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, tot);
	uint16_t id = ts->ip_id++;
	wr16(ip + 4, id);
	wr16(ip + 6, 0x4000);        /* DF: we size segments to the MTU */
	ip[8] = 64;
	ip[9] = 6;
	wr16(ip + 10, 0);
	wr32(ip + 12, sip);
	wr32(ip + 16, dip);
	/* The header's ten words summed as written above, not read back. */
	if (!ts->cfg.tx_csum_offload)
		wr16(ip + 10, (uint16_t)~net_csum_fold(0x4500u + tot + id + 0x4000u + 0x4006u +
						       (sip >> 16) + (sip & 0xffff) +
						       (dip >> 16) + (dip & 0xffff)));
	th = ip + NET_IPV4_MIN;
	wr16(th, sport);
	wr16(th + 2, dport);
	wr32(th + 4, seq);
	wr32(th + 8, ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	wr16(th + 14, win);
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	if (optlen)
		memcpy(th + TCP_HDR_MIN, opt, optlen);
	if (dlen)
		memcpy(th + thl, data, dlen);
	/* Pseudo-header: src, dst, zero+proto, TCP length. */
	sum = (sip >> 16) + (sip & 0xffff) + (dip >> 16) + (dip & 0xffff) + 6 + (uint32_t)(thl + dlen);
	if (ts->cfg.tx_csum_offload)   /* the NIC adds the segment to this sum */
		wr16(th + 16, net_csum_fold(sum));
	else
		wr16(th + 16, (uint16_t)~net_csum_fold(net_csum_add(sum, th, (size_t)thl + dlen)));
	if (flen < need)
		memset(f + flen, 0, (size_t)(need - flen));
	ts->stats.segs_out++;
	ts->stats.bytes_out += dlen;
	ts->ops.tx_send(ts->io, handle, need);
}

uint32_t tcp_rcv_space(const struct tcp_conn *tc)
{
	uint32_t cap = tc->ts->cfg.rcvbuf;

	return tc->unread < cap ? cap - tc->unread : 0;
}

/*
 * Receiver-side SWS avoidance (RFC 9293 3.8.6.2.2): the right edge moves
 * only in steps of at least min(rcvbuf/2, MSS), and never back.
 */
uint32_t tcp_rcv_window(const struct tcp_conn *tc)
{
	/* No more than the header field can say at our scale. */
	uint32_t space = min_u32(tcp_rcv_space(tc), (uint32_t)0xffff << tc->rcv_wscale);
	uint32_t edge = tc->rcv_nxt + space;
	uint32_t step = min_u32(tc->ts->cfg.rcvbuf / 2, tc->mss);

	if (seq_le(edge, tc->rcv_adv) || edge - tc->rcv_adv < step)
		edge = seq_gt(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv : tc->rcv_nxt;
	return edge - tc->rcv_nxt;
}

/*
 * SACK blocks (RFC 2018) for what the out-of-order queue holds, merged into
 * ranges, the one with the latest arrival first, at most 3:
 *   NOP NOP | kind 5 | len 2+8n | left edge 4 | right edge 4 | ...
 */
static uint8_t sack_option(const struct tcp_conn *tc, uint8_t opt[28])
{
	uint32_t l[TCP_SACK_RANGES], r[TCP_SACK_RANGES];
	unsigned n = 0, first = 0, out = 0;

	for (const struct tcp_ooo *o = tc->ooo; o != NULL; o = o->next) {
		uint32_t end = o->seq + o->len;
		if (n > 0 && seq_le(o->seq, r[n - 1])) {
			if (seq_gt(end, r[n - 1]))
				r[n - 1] = end;
			continue;
		}
		if (n == TCP_SACK_RANGES)
			break;
		l[n] = o->seq;
		r[n] = end;
		n++;
	}
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (seq_ge(tc->ooo_last, l[i]) && seq_lt(tc->ooo_last, r[i]))
			first = i;
	opt[0] = 1;
	opt[1] = 1;
	opt[2] = 5;
	for (unsigned k = 0; k < n && out < 3; k++) {
		unsigned i = k == 0 ? first : (k <= first ? k - 1 : k);
		wr32(opt + 4 + 8 * out, l[i]);
		wr32(opt + 8 + 8 * out, r[i]);
		out++;
	}
	opt[3] = (uint8_t)(2 + 8 * out);
	return (uint8_t)(4 + 8 * out);
}

void tcp_emit(struct tcp_conn *tc, uint32_t seq, uint8_t flags, const uint8_t *data,
	      uint16_t dlen, uint64_t now_us)
{
	uint32_t win = tcp_rcv_window(tc);
	uint32_t field = win >> tc->rcv_wscale;
	uint8_t opt[28], optlen = 0;

	(void)now_us;
	if (field > 0xffff)
		field = 0xffff;
	/* What the peer may send now is exactly what the field says. */
	tc->rcv_adv = tc->rcv_nxt + (field << tc->rcv_wscale);
	if (tc->sack_ok && tc->ooo != NULL) {
		optlen = sack_option(tc, opt);
		if (dlen + optlen > tc->mss)    /* a full segment has no room: skip */
			optlen = 0;
	}
	tcp_emit_raw(tc->ts, tc->rmac, tc->lip, tc->rip, tc->lport, tc->rport, seq, tc->rcv_nxt,
		     (uint8_t)(flags | TCP_ACK), (uint16_t)field, opt, optlen, data, dlen);
	tc->ack_now = false;
	tc->segs_unacked = 0;
	tc->t_delack = 0;
}

void tcp_send_synack(struct tcp_conn *tc, uint64_t now_us)
{
	uint8_t opt[12];
	uint8_t n = 0;
	uint16_t mss = (uint16_t)(tc->ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN);
	uint32_t win = min_u32(tc->ts->cfg.rcvbuf, 0xffff);   /* never scaled on a SYN */

	opt[n++] = 2; opt[n++] = 4; wr16(opt + n, mss); n += 2;
	if (tc->ws_ok) {
		opt[n++] = 1; opt[n++] = 3; opt[n++] = 3; opt[n++] = tc->rcv_wscale;
	}
	if (tc->sack_ok) {
		opt[n++] = 1; opt[n++] = 1; opt[n++] = 4; opt[n++] = 2;
	}
	tc->rcv_adv = tc->rcv_nxt + win;
	tcp_emit_raw(tc->ts, tc->rmac, tc->lip, tc->rip, tc->lport, tc->rport, tc->iss,
		     tc->rcv_nxt, TCP_SYN | TCP_ACK, (uint16_t)win, opt, n, NULL, 0);
	if (tc->t_rto == 0) {
		tc->rtt_ts = now_us;    /* the handshake's RTT sample starts here */
		tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
	}
}

void tcp_send_syn(struct tcp_conn *tc, uint64_t now_us)
{
	uint16_t mss = (uint16_t)(tc->ts->cfg.mtu - NET_IPV4_MIN - TCP_HDR_MIN);
	uint8_t opt[12] = { 2, 4, (uint8_t)(mss >> 8), (uint8_t)mss, 1, 3, 3, TCP_WSCALE,
			    1, 1, 4, 2 };
	uint32_t win = min_u32(tc->ts->cfg.rcvbuf, 0xffff);

	tc->rcv_adv = win;    /* no rcv_nxt yet: only used once it is known */
	tcp_emit_raw(tc->ts, tc->rmac, tc->lip, tc->rip, tc->lport, tc->rport, tc->iss, 0,
		     TCP_SYN, (uint16_t)win, opt, sizeof(opt), NULL, 0);
	if (tc->t_rto == 0) {
		tc->rtt_ts = now_us;
		tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
	}
}

static void start_rtt(struct tcp_conn *tc, uint32_t seq, uint64_t now_us)
{
	if (!tc->timing && seq == tc->snd_max) {   /* Karn: never time a resend */
		tc->timing = true;
		tc->rtt_seq = seq;
		tc->rtt_ts = now_us;
	}
}

void tcp_retransmit_one(struct tcp_conn *tc, uint64_t now_us)
{
	uint32_t off = tc->shead, n = min_u32(tc->slen, tc->mss);

	if (tc->timing && seq_ge(tc->rtt_seq, tc->snd_una))
		tc->timing = false;
	tc->ts->stats.retransmits++;
	tc->una_rexmit_us = now_us;
	tcp_arm_rack(tc, now_us);
	if (n > 0)
		tcp_emit(tc, tc->snd_una, n == tc->slen && !tc->fin_queued ? TCP_PSH : 0,
			 tc->sbuf + off, (uint16_t)n, now_us);
	else if (tc->fin_queued)
		tcp_emit(tc, tc->snd_una, TCP_FIN, NULL, 0, now_us);
	tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
}

void tcp_arm_rack(struct tcp_conn *tc, uint64_t now_us)
{
	uint64_t wait = max_u32(2 * tc->srtt, TCP_TLP_MIN_US);

	if (!tc->in_recovery)
		return;
	wait <<= tc->rack_n < 4 ? tc->rack_n : 4;
	if (tc->t_rto == 0 || now_us + wait < tc->t_rto)
		tcp_timer_arm(tc->ts, &tc->t_rack, now_us + wait);
}

void tcp_arm_tlp(struct tcp_conn *tc, uint64_t now_us)
{
	uint64_t pto;

	tc->t_tlp = 0;
	if (tc->srtt == 0 || tc->in_recovery || tc->tlp_sent || tc->backoff > 0 ||
	    tc->snd_una == tc->snd_max ||
	    tc->persist)
		return;
	pto = now_us + max_u32(2 * tc->srtt, TCP_TLP_MIN_US);
	/* One segment out: its ACK may be a delayed one (RFC 8985 7.2). */
	if (tc->snd_max - tc->snd_una <= tc->mss)
		pto += TCP_DELACK_MAX_US;
	if (tc->t_rto == 0 || pto < tc->t_rto)
		tcp_timer_arm(tc->ts, &tc->t_tlp, pto);
}

void tcp_send_tlp(struct tcp_conn *tc, uint64_t now_us)
{
	uint32_t data_end = min_u32(tc->slen, tc->snd_max - tc->snd_una);
	bool fin_out = tc->fin_queued && seq_gt(tc->snd_max, tc->fin_seq);
	uint32_t n = min_u32(data_end, tc->mss);

	tc->tlp_sent = true;
	tc->ts->stats.retransmits++;
	tc->ts->stats.tail_loss_probes++;
	if (tc->timing)
		tc->timing = false;   /* Karn */
	if (n > 0)
		tcp_emit(tc, tc->snd_una + data_end - n, (uint8_t)(TCP_PSH | (fin_out ? TCP_FIN : 0)),
			 tc->sbuf + tc->shead + data_end - n, (uint16_t)n, now_us);
	else if (fin_out)
		tcp_emit(tc, tc->fin_seq, TCP_FIN, NULL, 0, now_us);
	tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
}

void tcp_output(struct tcp_conn *tc, uint64_t now_us)
{
	bool sent = false;

	if (tc->state == TCPS_SYN_RCVD || tc->state == TCPS_SYN_SENT || tc->state == TCPS_CLOSED)
		return;
	for (;;) {
		uint32_t off = tc->snd_nxt - tc->snd_una;
		uint32_t avail = tc->slen > off ? tc->slen - off : 0;
		uint32_t wnd = min_u32(tc->snd_wnd, tc->cwnd + tc->lt_extra);
		uint32_t usable = wnd > off ? wnd - off : 0;
		uint32_t n = min_u32(min_u32(avail, usable), tc->mss);

		if (n == 0)
			break;
		/* Sender SWS avoidance: no small segment while data is in flight
		 * unless it is the last of what we have. */
		if (n < tc->mss && n < avail && off > 0)
			break;
		start_rtt(tc, tc->snd_nxt, now_us);
		tcp_emit(tc, tc->snd_nxt, n == avail ? TCP_PSH : 0, tc->sbuf + tc->shead + off,
			 (uint16_t)n, now_us);
		if (seq_lt(tc->snd_nxt, tc->snd_max))
			tc->ts->stats.retransmits++;
		tc->snd_nxt += n;
		if (seq_gt(tc->snd_nxt, tc->snd_max))
			tc->snd_max = tc->snd_nxt;
		sent = true;
	}
	/* FIN once every data byte has gone out; it takes no window. */
	if (tc->fin_queued && tc->snd_nxt == tc->fin_seq) {
		start_rtt(tc, tc->snd_nxt, now_us);
		tcp_emit(tc, tc->fin_seq, TCP_FIN, NULL, 0, now_us);
		tc->snd_nxt = tc->fin_seq + 1;
		if (seq_gt(tc->snd_nxt, tc->snd_max))
			tc->snd_max = tc->snd_nxt;
		sent = true;
	}
	if (sent) {
		tc->persist = false;
		if (tc->t_rto == 0)
			tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
		tcp_arm_tlp(tc, now_us);
	} else if (tc->ack_now) {
		tcp_emit(tc, tc->snd_nxt, 0, NULL, 0, now_us);
	} else if (tc->state != TCPS_TIME_WAIT) {
		/* The app freed buffer: tell the peer once the offer grows by two
		 * segments (or half the buffer), else a closed window waits for
		 * the peer's persist timer. */
		uint32_t offered = seq_gt(tc->rcv_adv, tc->rcv_nxt) ? tc->rcv_adv - tc->rcv_nxt : 0;
		uint32_t win = tcp_rcv_window(tc);

		if (win > offered &&
		    win - offered >= min_u32(tc->ts->cfg.rcvbuf / 2, 2u * tc->mss))
			tcp_emit(tc, tc->snd_nxt, 0, NULL, 0, now_us);
	}
	/* Data waits on a zero window with nothing in flight: probe it. */
	if (tc->snd_una == tc->snd_max && tc->slen > 0 && tc->snd_wnd == 0 && tc->t_rto == 0) {
		tc->persist = true;
		tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
	}
}
