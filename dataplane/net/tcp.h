/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small TCP (RFC 9293) for the dataplane: one struct tcp_stack per worker
 * core (_local: only its core touches it), a flow table keyed by the 4-tuple,
 * passive open on the served ports, active open on request.
 *
 * Like net.c it works on frame bytes, not mbufs: tcp_input_local() takes an
 * Ethernet frame that net_rx_local() classified NET_TCP, and every segment
 * the stack sends is written into a buffer the backend hands out through
 * ops->tx_alloc and is sent by ops->tx_send. The same code runs in the DPDK
 * loop, in unit tests and in the fuzzer. Time is passed in (microseconds,
 * any monotonic origin), never read, so tests drive the timers.
 *
 * The application side (a struct conn in io_dpdk.c) sees:
 *   accept(io, tc, local_port)  handshake done; returns its object or NULL (RST)
 *   recv(app, bytes, n)         in-order bytes, never more than the window offered
 *   eof(app)                    the peer sent FIN after all its bytes
 *   pull(app)                   the stack is about to transmit on tc: process
 *                               input, move output with tcp_send(), report
 *                               tcp_rx_unread(), maybe tcp_close()
 *   closed(app)                 tc is gone (reset, or timed out): drop app
 * pull() is how ACKs get piggybacked on replies: tcp_input_local() only marks
 * connections, tcp_flush_local() (once per burst) pulls and then transmits.
 * A pull is not repeated for what it sent itself: an app that stops with
 * work left calls tcp_mark() to be pulled again.
 *
 * Send path: sender-side SWS avoidance and MSS segmentation, the peer's
 * window, cwnd (RFC 5681 slow start / congestion avoidance, fast retransmit,
 * NewReno recovery RFC 6582), RTO per RFC 6298 (Karn, back-off), persist
 * timer with zero-window probes. Receive path: bounded out-of-order queue,
 * overlap trimming, window advertised from free buffer, delayed ACK.
 * RFC 5961 challenge ACKs for inexact RST and for SYN on a synchronized flow.
 */
#ifndef SS_DATAPLANE_NET_TCP_H
#define SS_DATAPLANE_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct net_if;
struct net_l4;
struct tcp_stack;
struct tcp_conn;

#define TCP_STATS(X) \
	X(segs_in) X(segs_out) X(bytes_in) X(bytes_out) \
	X(drop_bad_checksum) X(drop_bad_header) X(drop_out_of_window) X(drop_no_conn) \
	X(drop_syn_backlog) X(drop_conn_limit) X(drop_ooo_full) X(drop_no_buffer) \
	X(rst_sent) X(rst_received) X(rst_ignored) X(challenge_acks) \
	X(retransmits) X(rto_fired) X(fast_retransmits) X(tail_loss_probes) X(zero_window_probes) \
	X(dup_segments) X(ooo_segments) X(dup_acks) X(sack_blocks_in) X(partial_acks) \
	X(conns_opened) X(conns_closed) X(conns_reset) X(conns_timed_out) \
	X(conns_current) X(conns_syn_rcvd) X(conns_time_wait)

struct tcp_stats {
#define TCP_STAT_FIELD_(name) uint64_t name;
	TCP_STATS(TCP_STAT_FIELD_)
#undef TCP_STAT_FIELD_
};

struct tcp_ops {
	/* A buffer for one outgoing frame of at least `need` bytes, or NULL
	 * (the segment is then not sent, as if lost). *handle goes back to
	 * tx_send with the frame's length. */
	uint8_t *(*tx_alloc)(void *io, uint16_t need, void **handle);
	void (*tx_send)(void *io, void *handle, uint16_t len);
	void *(*accept)(void *io, struct tcp_conn *tc, uint16_t local_port);
	void (*recv)(void *app, const uint8_t *p, size_t n);
	void (*eof)(void *app);
	void (*pull)(void *app);
	void (*closed)(void *app);
	/* An active open (tcp_connect_local) completed. May be NULL when the
	 * stack never connects out. */
	void (*connected)(void *app);
};

struct tcp_config {
	uint16_t ports[4];          /* served ports; 0 = unused slot */
	unsigned max_conns;         /* per core, all states */
	unsigned syn_backlog;       /* connections in SYN-RECEIVED at once */
	uint32_t rcvbuf;            /* bytes the peer may have in flight to us */
	uint32_t sndbuf;            /* bytes kept for (re)transmission */
	uint16_t mtu;               /* IP MTU of the port */
	uint32_t time_wait_us;      /* 2*MSL */
	uint32_t delack_us;
	uint64_t isn_secret;        /* RFC 6528: ISNs are unpredictable */
	bool tx_csum_offload;       /* the port fills the IPv4 and TCP checksums: frames
	                               carry 0 and the pseudo-header sum (DPDK's rule) */
	uint16_t ephemeral_offset;  /* where active opens start looking for a free local
	                               port; random per stack (RFC 6056) so that a new
	                               process does not reuse the 4-tuples a peer may
	                               still hold from the last one */
};

/* Defaults: the ports must be filled in. */
void tcp_config_default(struct tcp_config *cfg);

struct tcp_stack *tcp_stack_create(const struct tcp_config *cfg, struct net_if *nif,
				   const struct tcp_ops *ops, void *io);
/* Frees every connection without sending anything; apps still attached
 * get closed(). */
void tcp_stack_destroy(struct tcp_stack *ts);
const struct tcp_stats *tcp_stats_local(const struct tcp_stack *ts);

/* One NET_TCP frame (l4 from net_rx_local). The frame is not kept. */
void tcp_input_local(struct tcp_stack *ts, const uint8_t *frame, const struct net_l4 *l4,
		     uint64_t now_us);
/* Pull and transmit on every connection marked since the last call. */
void tcp_flush_local(struct tcp_stack *ts, uint64_t now_us);
/* fn(app, arg) for each marked connection with an app, in the order
 * tcp_flush_local() will pull them (a backend's look ahead at the burst). */
void tcp_marked_foreach_local(struct tcp_stack *ts, void (*fn)(void *app, void *arg), void *arg);
/* Fire due timers (RTO, persist, delayed ACK, TIME-WAIT). Cheap when none
 * is due; call every loop iteration. */
void tcp_timers_local(struct tcp_stack *ts, uint64_t now_us);
/* The earliest timer deadline, UINT64_MAX when none. */
uint64_t tcp_next_timer_local(const struct tcp_stack *ts);

/* One line per connection (state, sequence space, windows, timers) into
 * buf, for logs; returns the length written. */
size_t tcp_describe_local(const struct tcp_stack *ts, char *buf, size_t len, uint64_t now_us);

/* Active open to ip:port from an ephemeral port, for app (which gets
 * connected() once established, or closed() if it fails: no ARP answer, RST,
 * no SYN-ACK). The next hop is resolved through the interface's ARP cache.
 * Returns NULL at the connection limit or without a free port. With
 * several workers behind RSS the answer must hash to this core: the caller
 * picks the worker (no such choice is made here). */
struct tcp_conn *tcp_connect_local(struct tcp_stack *ts, uint32_t ip, uint16_t port, void *app,
				   uint64_t now_us);

/* ---- for the application, on the connection's core ---- */

/* Copy up to n bytes into the send buffer; returns how many fit. */
size_t tcp_send(struct tcp_conn *tc, const void *p, size_t n);
size_t tcp_send_space(const struct tcp_conn *tc);
/* Bytes received but not yet consumed by the app: the window shrinks by them. */
void tcp_rx_unread(struct tcp_conn *tc, size_t n);
/* No more data from the app: FIN after what is queued. The app is detached
 * (no more callbacks) and must not use tc again. */
void tcp_close(struct tcp_conn *tc);
/* Reset the flow now (RST to the peer); the app is detached as by tcp_close. */
void tcp_abort(struct tcp_conn *tc);
/* Transmit on tc at the next tcp_flush_local (after pull). */
void tcp_mark(struct tcp_conn *tc);
/* The connection's addresses, host byte order (CLIENT LIST, SLOWLOG). */
void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *peer_ip, uint16_t *peer_port,
		    uint32_t *local_ip, uint16_t *local_port);

#ifdef __cplusplus
}
#endif

#endif
