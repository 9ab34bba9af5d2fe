/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2/L3 of the dataplane: Ethernet, ARP (answer, cache, resolve), IPv4
 * (validate; fragments and options dropped and counted), ICMP echo.
 *
 * Works on frame bytes, not on mbufs, so the same code runs in the DPDK
 * loop (frame = rte_pktmbuf_mtod) and in unit tests and fuzzers. Replies are
 * written in place over the request (the usual DPDK way: no allocation, the
 * received buffer goes straight back out).
 *
 * One struct net_if per worker core (_local: only its core touches it).
 */
#ifndef SS_DATAPLANE_NET_NET_H
#define SS_DATAPLANE_NET_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ETHER_LEN   14
#define NET_ARP_LEN     28
#define NET_IPV4_MIN    20
#define NET_ETHER_MIN   60      /* a frame without FCS is padded to this */
#define NET_ARP_SLOTS   64      /* per core, direct-mapped by address */

#define NET_STATS(X) \
	X(rx_frames) X(rx_not_for_us) X(rx_bad_ether_type) X(rx_runt) \
	X(arp_requests_answered) X(arp_replies_learned) X(arp_ignored) \
	X(ipv4_bad_header) X(ipv4_bad_checksum) X(ipv4_fragments_dropped) \
	X(ipv4_options_dropped) X(ipv4_not_for_us) X(ipv4_other_proto) \
	X(icmp_echo_answered) X(icmp_bad_checksum) X(icmp_other) X(tcp_segments)

struct net_stats {
#define NET_STAT_FIELD_(name) uint64_t name;
	NET_STATS(NET_STAT_FIELD_)
#undef NET_STAT_FIELD_
};

struct net_arp_entry {
	uint32_t ip;             /* host order; 0 = empty */
	uint8_t mac[6];
	uint64_t expires_ms;
};

/* What the NIC already verified about the frame being received (set by the
 * port layer before net_rx_local; 0 = nothing, check in software). */
#define NET_RX_IP_CSUM_GOOD 0x1u
#define NET_RX_L4_CSUM_GOOD 0x2u

struct net_if {
	uint8_t rx_csum;                 /* NET_RX_*_GOOD for the current frame */
	uint8_t mac[6];
	uint32_t ip, netmask, gateway;   /* host byte order; gateway 0 = none */
	uint64_t arp_ttl_ms;
	struct net_arp_entry arp[NET_ARP_SLOTS];
	struct net_stats stats;
};

/* What to do with a received frame. */
enum net_verdict {
	NET_DROP = 0,     /* counted; free the buffer */
	NET_TX,           /* rewritten in place into a reply of *len bytes: send it */
	NET_TCP,          /* a valid IPv4 TCP segment for us: hand to the TCP stack */
};

/* Where the layers of a NET_TCP frame start. */
struct net_l4 {
	uint32_t src_ip, dst_ip;  /* host order */
	uint16_t l3_off, l4_off, l4_len;
	uint8_t csum_ok;          /* the NIC verified the TCP checksum */
};

void net_if_init(struct net_if *nif, const uint8_t mac[6], uint32_t ip,
		 uint32_t netmask, uint32_t gateway);

/* One received frame of *len bytes in a buffer of `cap` bytes. */
enum net_verdict net_rx_local(struct net_if *nif, uint8_t *frame, uint16_t *len,
			      uint16_t cap, uint64_t now_ms, struct net_l4 *l4);

/* The MAC to send to `ip` through (the gateway when off-subnet), or NULL if
 * it is not in the ARP cache yet: then send net_arp_request_build()'s frame. */
const uint8_t *net_next_hop_local(struct net_if *nif, uint32_t ip, uint64_t now_ms,
				  uint32_t *hop_ip);

/* Frames this side originates; each returns the length written (>= 60). */
uint16_t net_arp_request_build(const struct net_if *nif, uint32_t target_ip,
			       uint8_t *frame, uint16_t cap);
uint16_t net_arp_gratuitous_build(const struct net_if *nif, uint8_t *frame, uint16_t cap);

/* RFC 1071 Internet checksum over len bytes, folded, not complemented. */
uint32_t net_csum_add(uint32_t sum, const void *p, size_t len);
uint16_t net_csum_fold(uint32_t sum);

#ifdef __cplusplus
}
#endif

#endif
