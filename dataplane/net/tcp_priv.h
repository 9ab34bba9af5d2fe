/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the TCP stack: connection and stack layout shared by tcp.c (flow
 * table, input, state machine, reassembly, app side), tcp_ack.c (RTT, ACK
 * processing, congestion control, loss recovery), tcp_timer.c (timers) and
 * tcp_output.c (segment building, transmission). Not a public header.
 */
#ifndef SS_DATAPLANE_NET_TCP_PRIV_H
#define SS_DATAPLANE_NET_TCP_PRIV_H

#include "dataplane/net/be.h"
#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"

#define TCP_HDR_MIN      20
#define TCP_FIN  0x01
#define TCP_SYN  0x02
#define TCP_RST  0x04
#define TCP_PSH  0x08
#define TCP_ACK  0x10

#define TCP_HASH_BUCKETS 4096        /* per core; chains are short below ~16k flows */
#define TCP_OOO_MAX      256         /* out-of-order segments kept per connection (the window bounds the bytes) */
#define TCP_RTO_INIT_US  1000000u    /* RFC 6298 2.1 */
#define TCP_RTO_MIN_US   200000u     /* Linux's floor; RFC 6298's 1 s is too slow on a LAN */
#define TCP_RTO_MAX_US   60000000u   /* RFC 6298 2.5 */
#define TCP_MAX_BACKOFF  12          /* retransmissions before the connection is dropped */
#define TCP_SYNACK_RETRIES 5
#define TCP_FIN_WAIT_2_US 60000000u  /* a detached half-open flow is not kept forever */
#define TCP_DEFAULT_MSS  536         /* RFC 9293 3.7.1 when the peer sends none */
#define TCP_WSCALE       4           /* ours: windows up to 1 MB */
#define TCP_SBUF_MIN     4096
#define TCP_ARP_POLL_US  10000u      /* active open: look for the ARP answer this often */
#define TCP_ARP_TRIES    300         /* ... for 3 s, an ARP request every 20 looks */
#define TCP_EPHEMERAL_LO 32768       /* Linux's ip_local_port_range */
#define TCP_EPHEMERAL_HI 60999
#define TCP_SACK_KEEP    16          /* SACKed ranges the sender tracks */
#define TCP_SACK_RANGES  16          /* merged ranges looked at for SACK blocks */
#define TCP_DELACK_MAX_US 200000u    /* RFC 8985 WCDelAckT */
#define TCP_TLP_MIN_US   10000u      /* RFC 8985 7.2: PTO >= 2*SRTT, with a floor */

enum tcp_state {
	TCPS_CLOSED,       /* freed at the next flush (still on the mark list) */
	TCPS_SYN_RCVD,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSING,
	TCPS_TIME_WAIT,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_SYN_SENT,     /* active open; arp_wait while the next hop is unknown */
};

/* An out-of-order segment's payload, kept sorted by seq. */
struct tcp_ooo {
	struct tcp_ooo *next;
	uint32_t seq, len;
	uint8_t data[];
};

struct tcp_conn {
	struct tcp_conn *hnext;            /* flow-table chain */
	struct tcp_conn *prev, *next;      /* all connections (timer scan) */
	struct tcp_conn *mnext;            /* marked for the next flush */
	struct tcp_stack *ts;
	void *app;
	uint32_t lip, rip;
	uint16_t lport, rport;
	uint8_t rmac[6];
	uint8_t state;
	bool marked, ack_now, fin_queued, fin_rcvd_pending, persist, in_recovery, timing;
	bool ws_ok, sack_ok;               /* options the peer offered on its SYN */
	bool arp_wait;                     /* SYN_SENT: no MAC for the next hop yet */
	unsigned arp_tries;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;                      /* what we send per segment */

	/* send side; the buffer holds bytes from snd_una on */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_wnd;
	uint32_t fin_seq;                  /* valid when fin_queued */
	uint8_t *sbuf;
	uint32_t scap, shead, slen;
	uint32_t cwnd, ssthresh, recover;
	uint32_t lt_extra;                 /* limited transmit: cwnd + this on dup ACKs 1, 2 */
	unsigned dupacks, backoff;
	uint32_t srtt, rttvar, rto;        /* us; srtt 0 = no sample yet */
	uint32_t rtt_seq;
	uint64_t rtt_ts;
	uint32_t sacked[TCP_SACK_KEEP][2]; /* SACKed ranges above snd_una, sorted */
	unsigned nsacked;
	uint32_t rexmit_nxt;               /* holes below it were resent this recovery */
	uint64_t una_rexmit_us;            /* when the segment at snd_una was last resent */
	uint64_t t_rack;                   /* in recovery: resend snd_una if still unacked */
	unsigned rack_n;                   /* such resends this recovery (backs off) */

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv;    /* rcv_adv: right edge we advertised */
	uint32_t unread;                   /* delivered, not yet consumed by the app */
	uint32_t fin_rcvd_seq;
	uint32_t ooo_last;                 /* seq of the latest out-of-order arrival */
	struct tcp_ooo *ooo;
	unsigned ooo_n;
	unsigned segs_unacked;

	/* deadlines in us, 0 = off */
	uint64_t t_rto;                    /* retransmission or persist (see persist) */
	uint64_t t_delack;
	uint64_t t_wait;                   /* TIME-WAIT or FIN-WAIT-2 expiry */
	uint64_t t_tlp;                    /* tail loss probe (RFC 8985 7) */
	bool tlp_sent;                     /* one probe per flight */
};

struct tcp_stack {
	struct tcp_config cfg;
	struct net_if *nif;
	struct tcp_ops ops;
	void *io;
	struct tcp_conn *buckets[TCP_HASH_BUCKETS];
	struct tcp_conn *all;
	struct tcp_conn *marked, **marked_tail;
	struct tcp_conn *pulling;   /* the flow whose pull runs (tcp_flush_local) */
	uint64_t next_timer;
	uint16_t ip_id;
	uint16_t next_port;                /* ephemeral ports for active open */
	struct tcp_stats stats;
};

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static inline void tcp_timer_arm(struct tcp_stack *ts, uint64_t *t, uint64_t when)
{
	*t = when;
	if (when < ts->next_timer)
		ts->next_timer = when;
}

/* A parsed segment (tcp.c parses, tcp_ack.c reads the ACK side). */
struct tcp_seg {
	uint32_t seq, ack, len;     /* len: data bytes */
	uint16_t sport, dport, win, mss;
	uint8_t flags, wscale;      /* wscale 0xff: no option */
	bool sack_ok;               /* SACK-permitted on a SYN */
	uint8_t nsack;              /* SACK blocks on an ACK */
	uint32_t sack[4][2];
	const uint8_t *data;
};

static inline uint32_t tcp_flight(const struct tcp_conn *tc) { return tc->snd_max - tc->snd_una; }

/* tcp.c */
void tcp_set_state(struct tcp_conn *tc, uint8_t st);
/* Out of the flow table now, closed() to an attached app, memory at the
 * next flush. reset: counted as reset, not closed. */
void tcp_conn_destroy(struct tcp_conn *tc, bool reset);
void tcp_send_rst(struct tcp_conn *tc);

/* tcp_ack.c */
void tcp_rtt_sample(struct tcp_conn *tc, uint32_t r);
void tcp_challenge_ack(struct tcp_conn *tc, uint64_t now_us);
/* The ACK side of a segment on a synchronized flow. Returns false when the
 * segment is to be dropped here. */
bool tcp_ack_in(struct tcp_conn *tc, const struct tcp_seg *s, uint64_t now_us);

/* tcp_output.c */
/* One segment with explicit addresses (replies to unknown flows, RST). */
void tcp_emit_raw(struct tcp_stack *ts, const uint8_t dmac[6], uint32_t sip, uint32_t dip,
		  uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		  uint16_t win, const uint8_t *opt, uint8_t optlen, const uint8_t *data,
		  uint16_t dlen);
/* A segment on tc at seq carrying the current ACK and window. */
void tcp_emit(struct tcp_conn *tc, uint32_t seq, uint8_t flags, const uint8_t *data,
	      uint16_t dlen, uint64_t now_us);
void tcp_send_synack(struct tcp_conn *tc, uint64_t now_us);
/* Active open: the SYN (MSS, window scale, SACK-permitted). */
void tcp_send_syn(struct tcp_conn *tc, uint64_t now_us);
/* Send what the windows allow, FIN when due, else an ACK if one is owed. */
void tcp_output(struct tcp_conn *tc, uint64_t now_us);
/* In recovery, after resending snd_una: when to suspect that resend lost. */
void tcp_arm_rack(struct tcp_conn *tc, uint64_t now_us);
/* Resend one segment at snd_una (fast retransmit, partial ACK). */
void tcp_retransmit_one(struct tcp_conn *tc, uint64_t now_us);
/* Resend the last segment sent: a tail loss then gets fast recovery
 * instead of waiting for the RTO. */
void tcp_send_tlp(struct tcp_conn *tc, uint64_t now_us);
/* Arm the probe timeout after sending new data (or an ACK of some). */
void tcp_arm_tlp(struct tcp_conn *tc, uint64_t now_us);
uint32_t tcp_rcv_space(const struct tcp_conn *tc);
/* The window we would advertise now (bytes; never shrinks the right edge). */
uint32_t tcp_rcv_window(const struct tcp_conn *tc);

#endif
