/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers: retransmission timeout (RFC 6298 back-off; go-back-N from
 * snd_una), persist with zero-window probes, SYN and SYN-ACK resends, the
 * wait for an ARP answer before an active open's SYN, tail loss probes,
 * recovery resends, delayed ACKs, TIME-WAIT and FIN-WAIT-2 expiry. Each
 * connection keeps absolute deadlines; the stack keeps the earliest, so a
 * loop iteration with nothing due costs one comparison.
 */
#include <string.h>

#include "dataplane/net/tcp_priv.h"

/* SYN_SENT's timer: the ARP answer, or the SYN's retransmission. */
static void syn_sent_timer(struct tcp_conn *tc, uint64_t now_us)
{
	struct tcp_stack *ts = tc->ts;

	if (tc->arp_wait) {
		uint32_t hop;
		const uint8_t *mac = net_next_hop_local(ts->nif, tc->rip, now_us / 1000, &hop);
		if (mac != NULL) {
			memcpy(tc->rmac, mac, 6);
			tc->arp_wait = false;
			tcp_send_syn(tc, now_us);
			return;
		}
		if (++tc->arp_tries > TCP_ARP_TRIES || hop == 0) {
			ts->stats.conns_timed_out++;
			tcp_conn_destroy(tc, false);
			return;
		}
		if (tc->arp_tries % 20 == 0) {
			void *h;
			uint8_t *f = ts->ops.tx_alloc(ts->io, NET_ETHER_MIN, &h);
			if (f != NULL)
				ts->ops.tx_send(ts->io, h, net_arp_request_build(ts->nif, hop, f,
										 NET_ETHER_MIN));
		}
		tcp_timer_arm(ts, &tc->t_rto, now_us + TCP_ARP_POLL_US);
		return;
	}
	if (++tc->backoff > TCP_SYNACK_RETRIES) {
		ts->stats.conns_timed_out++;
		tcp_conn_destroy(tc, false);
		return;
	}
	tc->rto = min_u32(TCP_RTO_MAX_US, tc->rto * 2);
	ts->stats.retransmits++;
	tcp_send_syn(tc, now_us);
}

/* ---- timers ---- */

static void rto_fire(struct tcp_conn *tc, uint64_t now_us)
{
	struct tcp_stack *ts = tc->ts;

	tc->t_rto = 0;
	if (tc->persist) {
		/* Zero-window probe: an old sequence number makes the peer
		 * answer with its current window (as Linux's probe0). */
		ts->stats.zero_window_probes++;
		tcp_emit(tc, tc->snd_una - 1, 0, NULL, 0, now_us);
		if (tc->backoff < TCP_MAX_BACKOFF)
			tc->backoff++;
		tcp_timer_arm(ts, &tc->t_rto, now_us + min_u32(TCP_RTO_MAX_US,
							    tc->rto << tc->backoff));
		return;
	}
	tc->t_tlp = 0;
	if (tc->state == TCPS_SYN_SENT) {
		syn_sent_timer(tc, now_us);
		return;
	}
	if (tc->state != TCPS_SYN_RCVD && tc->snd_una == tc->snd_max)
		return;
	ts->stats.rto_fired++;
	if (tc->state == TCPS_SYN_RCVD) {
		if (++tc->backoff > TCP_SYNACK_RETRIES) {
			ts->stats.conns_timed_out++;
			tcp_conn_destroy(tc, false);
			return;
		}
		tc->rto = min_u32(TCP_RTO_MAX_US, tc->rto * 2);
		ts->stats.retransmits++;
		tcp_send_synack(tc, now_us);
		return;
	}
	if (++tc->backoff > TCP_MAX_BACKOFF) {
		ts->stats.conns_timed_out++;
		tcp_send_rst(tc);
		tcp_conn_destroy(tc, true);
		return;
	}
	/* RFC 5681 (4): one segment, half the flight as threshold; RFC 6298
	 * 5.5: back off; Karn: the resent data is not timed. Go back to snd_una. */
	tc->ssthresh = max_u32(tcp_flight(tc) / 2, 2u * tc->mss);
	tc->cwnd = tc->mss;
	tc->rto = min_u32(TCP_RTO_MAX_US, tc->rto * 2);
	tc->timing = false;
	tc->in_recovery = false;
	tc->recover = tc->snd_max;
	tc->dupacks = 0;
	tc->nsacked = 0;        /* the receiver may have reneged (RFC 2018 8) */
	tc->t_rack = 0;
	tc->rexmit_nxt = tc->snd_una;
	tc->snd_nxt = tc->snd_una;
	tcp_output(tc, now_us);
	if (tc->t_rto == 0)
		tcp_timer_arm(ts, &tc->t_rto, now_us + tc->rto);
}

uint64_t tcp_next_timer_local(const struct tcp_stack *ts) { return ts->next_timer; }

void tcp_timers_local(struct tcp_stack *ts, uint64_t now_us)
{
	uint64_t next = UINT64_MAX;

	if (now_us < ts->next_timer)
		return;
	for (struct tcp_conn *tc = ts->all, *n; tc != NULL; tc = n) {
		n = tc->next;
		if (tc->t_wait && tc->t_wait <= now_us) {
			tc->t_wait = 0;
			tcp_conn_destroy(tc, false);   /* TIME-WAIT over, or FIN-WAIT-2 gave up */
			continue;
		}
		if (tc->t_delack && tc->t_delack <= now_us) {
			tc->t_delack = 0;
			tc->ack_now = true;
			tcp_mark(tc);
		}
		if (tc->t_rack && tc->t_rack <= now_us) {
			tc->t_rack = 0;
			if (tc->in_recovery && tc->snd_una != tc->snd_max) {
				tc->rack_n++;
				tcp_retransmit_one(tc, now_us);
				tcp_mark(tc);
			}
		}
		if (tc->t_tlp && tc->t_tlp <= now_us) {
			tc->t_tlp = 0;
			if (!tc->in_recovery && tc->snd_una != tc->snd_max && !tc->persist)
				tcp_send_tlp(tc, now_us);
		}
		if (tc->t_rto && tc->t_rto <= now_us) {
			rto_fire(tc, now_us);
			if (tc->state == TCPS_CLOSED)
				continue;
		}
		if (tc->t_wait && tc->t_wait < next)
			next = tc->t_wait;
		if (tc->t_delack && tc->t_delack < next)
			next = tc->t_delack;
		if (tc->t_rto && tc->t_rto < next)
			next = tc->t_rto;
		if (tc->t_tlp && tc->t_tlp < next)
			next = tc->t_tlp;
		if (tc->t_rack && tc->t_rack < next)
			next = tc->t_rack;
	}
	ts->next_timer = next;
}
