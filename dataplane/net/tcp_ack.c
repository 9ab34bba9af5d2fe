/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP on ACK arrival: RTT and RTO estimation (RFC 6298, Karn), the send
 * window, congestion control (RFC 5681 slow start and avoidance, limited
 * transmit RFC 3042), loss recovery (fast retransmit, NewReno RFC 6582,
 * a SACK scoreboard after RFC 2018 / 6675, a RACK-style resend of a lost
 * retransmission) and the RFC 5961 ACK checks.
 */
#include <string.h>

#include "dataplane/net/tcp_priv.h"

static void rto_from_srtt(struct tcp_conn *tc)
{
	tc->rto = tc->srtt + max_u32(1000, 4 * tc->rttvar);   /* G = 1 ms */
	if (tc->rto < TCP_RTO_MIN_US)
		tc->rto = TCP_RTO_MIN_US;
	if (tc->rto > TCP_RTO_MAX_US)
		tc->rto = TCP_RTO_MAX_US;
}

/* RFC 6298 2.2/2.3 on one sample. */
void tcp_rtt_sample(struct tcp_conn *tc, uint32_t r)
{
	if (r == 0)
		r = 1;
	if (tc->srtt == 0) {
		tc->srtt = r;
		tc->rttvar = r / 2;
	} else {
		uint32_t d = tc->srtt > r ? tc->srtt - r : r - tc->srtt;
		tc->rttvar = (3 * tc->rttvar + d) / 4;
		tc->srtt = (7 * tc->srtt + r) / 8;
	}
	rto_from_srtt(tc);
}


static void send_buf_consume(struct tcp_conn *tc, uint32_t n)
{
	if (n > tc->slen)
		n = tc->slen;
	tc->shead += n;
	tc->slen -= n;
	if (tc->slen == 0)
		tc->shead = 0;
}

/* A challenge ACK (RFC 5961 3.2, 4.2): the sender proves it sees our flow. */
void tcp_challenge_ack(struct tcp_conn *tc, uint64_t now_us)
{
	tc->ts->stats.challenge_acks++;
	tcp_emit(tc, tc->snd_nxt, 0, NULL, 0, now_us);
}

/* ---- SACK scoreboard (RFC 2018 / a lean RFC 6675) ---- */

/* Forget what the cumulative ACK covers. */
static void sack_prune(struct tcp_conn *tc)
{
	unsigned j = 0;

	for (unsigned i = 0; i < tc->nsacked; i++) {
		if (seq_le(tc->sacked[i][1], tc->snd_una))
			continue;
		tc->sacked[j][0] = seq_lt(tc->sacked[i][0], tc->snd_una) ? tc->snd_una : tc->sacked[i][0];
		tc->sacked[j][1] = tc->sacked[i][1];
		j++;
	}
	tc->nsacked = j;
}

/* Merge the blocks of one ACK into the sorted, disjoint ranges. */
static void sack_merge(struct tcp_conn *tc, const struct tcp_seg *s)
{
	for (unsigned b = 0; b < s->nsack; b++) {
		uint32_t l = s->sack[b][0], r = s->sack[b][1];
		unsigned i, j;

		if (!seq_lt(l, r) || seq_le(r, tc->snd_una) || seq_gt(r, tc->snd_max))
			continue;   /* stale, or not something we sent (RFC 2018 D-SACK aside) */
		if (seq_lt(l, tc->snd_una))
			l = tc->snd_una;
		for (i = 0; i < tc->nsacked && seq_lt(tc->sacked[i][1], l); i++)
			;
		/* ranges i.. that touch [l, r) merge into it */
		for (j = i; j < tc->nsacked && seq_le(tc->sacked[j][0], r); j++) {
			if (seq_lt(tc->sacked[j][0], l))
				l = tc->sacked[j][0];
			if (seq_gt(tc->sacked[j][1], r))
				r = tc->sacked[j][1];
		}
		if (j == i && tc->nsacked == TCP_SACK_KEEP)
			continue;   /* full: the RTO still covers what we do not track */
		memmove(&tc->sacked[i + 1], &tc->sacked[j], (tc->nsacked - j) * sizeof(tc->sacked[0]));
		tc->nsacked = tc->nsacked - (j - i) + 1;
		tc->sacked[i][0] = l;
		tc->sacked[i][1] = r;
	}
}

static uint32_t sacked_bytes(const struct tcp_conn *tc)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < tc->nsacked; i++)
		n += tc->sacked[i][1] - tc->sacked[i][0];
	return n;
}

/*
 * Resend up to `budget` segments of the holes below the highest SACKed
 * byte, from where the last call stopped (each hole once per recovery;
 * a lost retransmission is the RTO's).
 */
static unsigned sack_rexmit(struct tcp_conn *tc, unsigned budget, uint64_t now_us)
{
	uint32_t seq = seq_gt(tc->rexmit_nxt, tc->snd_una) ? tc->rexmit_nxt : tc->snd_una;
	uint32_t hi;
	unsigned sent = 0;

	if (tc->nsacked == 0)
		return 0;
	hi = tc->sacked[tc->nsacked - 1][1];
	while (sent < budget && seq_lt(seq, hi)) {
		uint32_t end = seq + tc->mss, off;
		bool moved = false;

		for (unsigned i = 0; i < tc->nsacked; i++) {
			if (seq_ge(seq, tc->sacked[i][0]) && seq_lt(seq, tc->sacked[i][1])) {
				seq = tc->sacked[i][1];
				moved = true;
				break;
			}
			if (seq_gt(tc->sacked[i][0], seq) && seq_lt(tc->sacked[i][0], end))
				end = tc->sacked[i][0];
		}
		if (moved)
			continue;
		off = seq - tc->snd_una;
		if (off >= tc->slen)
			break;
		if (end - seq > tc->slen - off)
			end = seq + (tc->slen - off);
		if (tc->timing && seq_ge(tc->rtt_seq, seq))
			tc->timing = false;   /* Karn */
		tcp_emit(tc, seq, 0, tc->sbuf + tc->shead + off, (uint16_t)(end - seq), now_us);
		tc->ts->stats.retransmits++;
		if (seq == tc->snd_una) {
			tc->una_rexmit_us = now_us;
			tcp_arm_rack(tc, now_us);
		}
		sent++;
		seq = end;
	}
	tc->rexmit_nxt = seq;
	if (sent)
		tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
	return sent;
}

/* Loss of snd_una is clear after three dup ACKs, or (RFC 6675) more than
 * three segments SACKed above it, or when everything sent after it is
 * SACKed, or the tail loss probe came back SACKed (RFC 8985 7.4). */
static bool loss_detected(const struct tcp_conn *tc)
{
	return tc->dupacks >= 3 || sacked_bytes(tc) > 3u * tc->mss ||
	       (tc->nsacked > 0 && (tc->tlp_sent ||
				    seq_ge(tc->sacked[tc->nsacked - 1][1], tc->snd_max)));
}

/* Fast retransmit (RFC 6582 3.2 step 2); recover is one past the highest
 * byte sent, and no new recovery starts before it is ACKed (step 1). */
static void enter_recovery(struct tcp_conn *tc, uint64_t now_us)
{
	tc->ssthresh = max_u32(tcp_flight(tc) / 2, 2u * tc->mss);
	tc->recover = tc->snd_max;
	tc->in_recovery = true;
	tc->t_tlp = 0;
	tc->rexmit_nxt = tc->snd_una;
	tc->lt_extra = 0;
	tc->rack_n = 0;
	tc->ts->stats.fast_retransmits++;
	if (sack_rexmit(tc, 1, now_us) == 0)
		tcp_retransmit_one(tc, now_us);
	tc->cwnd = tc->ssthresh + 3u * tc->mss;
}

/* Returns false when the connection is gone. */
bool tcp_ack_in(struct tcp_conn *tc, const struct tcp_seg *s, uint64_t now_us)
{
	uint32_t win = (uint32_t)s->win << tc->snd_wscale, old_wnd = tc->snd_wnd;
	uint32_t acked;

	/* RFC 5961 5.2: ACKs older than the peer's largest window are blind. */
	if (seq_lt(s->ack, tc->snd_una - tc->max_wnd)) {
		tcp_challenge_ack(tc, now_us);
		return false;
	}
	if (seq_gt(s->ack, tc->snd_max)) {
		tc->ack_now = true;
		tcp_mark(tc);
		return false;
	}
	if (seq_lt(tc->snd_wl1, s->seq) || (tc->snd_wl1 == s->seq && seq_le(tc->snd_wl2, s->ack))) {
		bool grew = win > tc->snd_wnd;
		tc->snd_wnd = win;
		tc->snd_wl1 = s->seq;
		tc->snd_wl2 = s->ack;
		tc->max_wnd = max_u32(tc->max_wnd, win);
		if (grew) {
			if (tc->persist) {
				tc->persist = false;
				tc->t_rto = 0;
				tc->backoff = 0;
			}
			tcp_mark(tc);
		}
	}
	uint32_t sacked_before = sacked_bytes(tc);
	tc->ts->stats.sack_blocks_in += s->nsack;
	if (tc->sack_ok && s->nsack)
		sack_merge(tc, s);
	if (seq_le(s->ack, tc->snd_una)) {
		/* RFC 5681 dup ACK: nothing new, no data, same window, data out;
		 * RFC 6675: or new SACK information, whatever the window (a
		 * receiver whose buffer grows changes it in every ACK). */
		if (s->ack == tc->snd_una && s->len == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) &&
		    tcp_flight(tc) > 0 && !tc->persist &&
		    (win == old_wnd || sacked_bytes(tc) > sacked_before)) {
			tc->dupacks++;
			tc->ts->stats.dup_acks++;
			if (!tc->in_recovery && tc->dupacks <= 2)
				tc->lt_extra = tc->dupacks * tc->mss;   /* RFC 3042 */
			if (loss_detected(tc) && !tc->in_recovery && seq_ge(s->ack, tc->recover)) {
				enter_recovery(tc, now_us);
			} else if (!tc->in_recovery) {
				tcp_mark(tc);          /* limited transmit may send */
			} else if (tc->sack_ok && tc->nsacked > 0 &&
				   now_us - tc->una_rexmit_us > tc->srtt + tc->srtt / 4 + 1000) {
				/* Segments sent after our resend of snd_una are SACKed
				 * a while later and snd_una still is not: the resend
				 * was lost too (the RACK idea, RFC 8985). */
				tcp_retransmit_one(tc, now_us);
				tcp_mark(tc);
			} else {
				/* each dup ACK: a segment left the network; with SACK
				 * it says which, so the next hole can go */
				if (!tc->sack_ok || sack_rexmit(tc, 1, now_us) == 0)
					tc->cwnd += tc->mss;
				tcp_mark(tc);
			}
		}
		return true;
	}
	acked = s->ack - tc->snd_una;
	if (tc->timing && seq_gt(s->ack, tc->rtt_seq)) {
		tc->timing = false;
		tcp_rtt_sample(tc, (uint32_t)(now_us - tc->rtt_ts));
	}
	/* New data acknowledged: the path works again. Back to the estimate
	 * (as BSD does), else one bad spell leaves the RTO backed off until
	 * a segment that was never resent gets timed (Karn). */
	if (tc->backoff > 0 && tc->srtt != 0)
		rto_from_srtt(tc);
	tc->backoff = 0;
	/* The FIN's sequence number is not a buffered byte. */
	send_buf_consume(tc, acked);
	tc->snd_una = s->ack;
	if (seq_lt(tc->snd_nxt, tc->snd_una))
		tc->snd_nxt = tc->snd_una;
	if (tc->in_recovery) {
		if (seq_ge(s->ack, tc->recover)) {
			/* Full ACK: leave recovery (RFC 6582 3.2 step 3). */
			tc->in_recovery = false;
			tc->t_rack = 0;
			tc->cwnd = min_u32(tc->ssthresh, max_u32(tcp_flight(tc), tc->mss) + tc->mss);
		} else {
			/* Partial ACK: the next hole is lost too. */
			tc->ts->stats.partial_acks++;
			sack_prune(tc);
			if (!tc->sack_ok || sack_rexmit(tc, 2, now_us) == 0) {
				if (seq_ge(tc->snd_una, tc->rexmit_nxt) || !tc->sack_ok) {
					tcp_retransmit_one(tc, now_us);
					tc->rexmit_nxt = tc->snd_una + min_u32(tc->slen, tc->mss);
				}
			}
			tc->cwnd = tc->cwnd > acked ? tc->cwnd - acked : 0;
			tc->cwnd += tc->mss;
		}
	} else if (tc->cwnd < tc->ssthresh) {
		tc->cwnd += min_u32(acked, tc->mss);                 /* slow start */
	} else {
		tc->cwnd += max_u32(1, (uint32_t)((uint64_t)tc->mss * tc->mss / tc->cwnd));
	}
	tc->dupacks = 0;
	tc->lt_extra = 0;
	sack_prune(tc);
	/* A new ACK can show a loss by its SACK blocks alone (RFC 6675). */
	if (!tc->in_recovery && tc->nsacked > 0 && seq_ge(s->ack, tc->recover) &&
	    loss_detected(tc))
		enter_recovery(tc, now_us);
	tc->tlp_sent = false;
	if (tc->snd_una == tc->snd_max) {
		tc->t_rto = 0;
		tc->t_tlp = 0;
		tc->persist = false;
	} else {
		tcp_timer_arm(tc->ts, &tc->t_rto, now_us + tc->rto);
		tcp_arm_tlp(tc, now_us);
	}
	tcp_mark(tc);
	return true;
}
