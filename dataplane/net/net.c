/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/net/net.h"
#include "dataplane/net/be.h"

#include <string.h>

/*
 * Ethernet (14)   | dst mac 6 | src mac 6 | type 2 |
 * ARP (28)        | htype 2 | ptype 2 | hlen 1 | plen 1 | op 2 |
 *                 | sha 6 | spa 4 | tha 6 | tpa 4 |
 * IPv4 (20, no options) | ver/ihl | tos | total len 2 | id 2 | flags/frag 2 |
 *                 | ttl | proto | checksum 2 | src 4 | dst 4 |
 * ICMP echo (8+)  | type | code | checksum 2 | id 2 | seq 2 | data ... |
 * All multi-byte fields are big-endian on the wire.
 */
#define ETHER_TYPE_IPV4 0x0800
#define ETHER_TYPE_ARP  0x0806
#define ARP_OP_REQUEST  1
#define ARP_OP_REPLY    2
#define IP_PROTO_ICMP   1
#define IP_PROTO_TCP    6
#define IP_TTL_DEFAULT  64
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define ARP_TTL_MS_DEFAULT (300 * 1000)   /* Linux's gc_stale_time is 60 s; 5 min as BSD */

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };


/*
 * Eight bytes a step with the carry added back (end-around carry on 64-bit
 * words keeps the sum modulo 2^64 - 1, which 2^16 - 1 divides): every
 * packet is summed in software at both ends on memif (no offload). The
 * one's complement sum does not depend on byte order (RFC 1071 section
 * 2(B)): the words are added as the CPU loads them, folded to 16 bits in
 * fixed steps and swapped to network order once. The tail is loaded into a
 * zeroed word at the same offsets, so an odd last byte is the high byte of
 * a zero-padded 16-bit word, as the definition says.
 */
uint32_t net_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t acc = 0, w;
	uint16_t h;

	for (; len >= 8; len -= 8, b += 8) {
		memcpy(&w, b, 8);
		acc += w;
		acc += acc < w;
	}
	if (len) {
		uint8_t tail[8] = { 0 };
		for (size_t i = 0; i < len; i++)
			tail[i] = b[i];
		memcpy(&w, tail, 8);
		acc += w;
		acc += acc < w;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);   /* at most 2^33 - 2 */
	acc = (acc & 0xffffffff) + (acc >> 32);   /* 32 bits */
	acc = (acc & 0xffff) + (acc >> 16);       /* at most 0x1fffe */
	acc = (acc & 0xffff) + (acc >> 16);       /* 16 bits */
	h = (uint16_t)acc;
	/* h's bytes, as the CPU stored them, read as a network-order word */
	return sum + rd16((const uint8_t *)&h);
}

uint16_t net_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);   /* at most 0x1fffe */
	return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

/* The one's complement sum of a 20-byte IPv4 header: five 32-bit words,
 * in whatever order the CPU loads them (0xffff reads the same both ways). */
static uint16_t ipv4_hdr_sum(const uint8_t *ip)
{
	uint64_t acc = 0;
	uint32_t w;

	for (int i = 0; i < NET_IPV4_MIN; i += 4) {
		memcpy(&w, ip + i, 4);
		acc += w;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	return net_csum_fold((uint32_t)(acc & 0xffff) + (uint32_t)(acc >> 16));
}

void net_if_init(struct net_if *nif, const uint8_t mac[6], uint32_t ip,
		 uint32_t netmask, uint32_t gateway)
{
	memset(nif, 0, sizeof(*nif));
	memcpy(nif->mac, mac, 6);
	nif->ip = ip;
	nif->netmask = netmask;
	nif->gateway = gateway;
	nif->arp_ttl_ms = ARP_TTL_MS_DEFAULT;
}

/* ---- ARP cache: direct-mapped; a collision replaces (it is a cache). ---- */

static struct net_arp_entry *arp_slot(struct net_if *nif, uint32_t ip)
{
	return &nif->arp[(ip * 2654435761u) >> 26 & (NET_ARP_SLOTS - 1)];
}

static void arp_learn(struct net_if *nif, uint32_t ip, const uint8_t mac[6], uint64_t now_ms)
{
	struct net_arp_entry *e = arp_slot(nif, ip);

	e->ip = ip;
	memcpy(e->mac, mac, 6);
	e->expires_ms = now_ms + nif->arp_ttl_ms;
}

/* Only a sender on our subnet, with a unicast MAC, is worth remembering. */
static int arp_acceptable(const struct net_if *nif, uint32_t ip, const uint8_t mac[6])
{
	return ip != 0 && ip != nif->ip && ((ip ^ nif->ip) & nif->netmask) == 0 &&
	       (mac[0] & 1) == 0;
}

const uint8_t *net_next_hop_local(struct net_if *nif, uint32_t ip, uint64_t now_ms,
				  uint32_t *hop_ip)
{
	uint32_t hop = ((ip ^ nif->ip) & nif->netmask) == 0 ? ip : nif->gateway;
	struct net_arp_entry *e;

	*hop_ip = hop;
	if (hop == 0)
		return NULL;
	e = arp_slot(nif, hop);
	return e->ip == hop && e->expires_ms > now_ms ? e->mac : NULL;
}

static uint16_t pad_min(uint8_t *frame, uint16_t len, uint16_t cap)
{
	if (len < NET_ETHER_MIN && cap >= NET_ETHER_MIN) {
		memset(frame + len, 0, NET_ETHER_MIN - len);
		len = NET_ETHER_MIN;
	}
	return len;
}

static uint16_t arp_build(const struct net_if *nif, uint16_t op, const uint8_t *eth_dst,
			  const uint8_t *tha, uint32_t tpa, uint8_t *f, uint16_t cap)
{
	uint8_t *a = f + NET_ETHER_LEN;

	if (cap < NET_ETHER_LEN + NET_ARP_LEN)
		return 0;
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, nif->mac, 6);
	wr16(f + 12, ETHER_TYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, ETHER_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, nif->mac, 6);
	wr32(a + 14, nif->ip);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tpa);
	return pad_min(f, NET_ETHER_LEN + NET_ARP_LEN, cap);
}

uint16_t net_arp_request_build(const struct net_if *nif, uint32_t target_ip,
			       uint8_t *frame, uint16_t cap)
{
	static const uint8_t zero[6];
	return arp_build(nif, ARP_OP_REQUEST, broadcast, zero, target_ip, frame, cap);
}

uint16_t net_arp_gratuitous_build(const struct net_if *nif, uint8_t *frame, uint16_t cap)
{
	static const uint8_t zero[6];
	/* RFC 5227: a request announcing our own address, sender = target. */
	return arp_build(nif, ARP_OP_REQUEST, broadcast, zero, nif->ip, frame, cap);
}

static enum net_verdict arp_rx(struct net_if *nif, uint8_t *f, uint16_t *len, uint16_t cap,
			       uint64_t now_ms)
{
	uint8_t *a = f + NET_ETHER_LEN, sha[6];
	uint32_t spa, tpa;
	uint16_t op;

	if (*len < NET_ETHER_LEN + NET_ARP_LEN) {
		nif->stats.rx_runt++;
		return NET_DROP;
	}
	if (rd16(a) != 1 || rd16(a + 2) != ETHER_TYPE_IPV4 || a[4] != 6 || a[5] != 4) {
		nif->stats.arp_ignored++;
		return NET_DROP;
	}
	op = rd16(a + 6);
	memcpy(sha, a + 8, 6);
	spa = rd32(a + 14);
	tpa = rd32(a + 24);
	/* RFC 826 merge: refresh a sender we know; learn one that asks for us. */
	if (arp_acceptable(nif, spa, sha) && (tpa == nif->ip || arp_slot(nif, spa)->ip == spa))
		arp_learn(nif, spa, sha, now_ms);
	if (tpa != nif->ip || (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)) {
		nif->stats.arp_ignored++;
		return NET_DROP;
	}
	if (op == ARP_OP_REPLY) {
		nif->stats.arp_replies_learned++;
		return NET_DROP;
	}
	*len = arp_build(nif, ARP_OP_REPLY, sha, sha, spa, f, cap);
	nif->stats.arp_requests_answered++;
	return NET_TX;
}

static enum net_verdict icmp_rx(struct net_if *nif, uint8_t *f, uint16_t ip_len, uint16_t *len)
{
	uint8_t *ip = f + NET_ETHER_LEN, *icmp = ip + NET_IPV4_MIN;
	uint16_t icmp_len = (uint16_t)(ip_len - NET_IPV4_MIN);

	if (icmp_len < 8) {
		nif->stats.ipv4_bad_header++;
		return NET_DROP;
	}
	if (net_csum_fold(net_csum_add(0, icmp, icmp_len)) != 0xffff) {
		nif->stats.icmp_bad_checksum++;
		return NET_DROP;
	}
	if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0) {
		nif->stats.icmp_other++;
		return NET_DROP;
	}
	/* Echo reply in place: the same id, sequence and data. */
	icmp[0] = ICMP_ECHO_REPLY;
	wr16(icmp + 2, 0);
	wr16(icmp + 2, (uint16_t)~net_csum_fold(net_csum_add(0, icmp, icmp_len)));
	uint8_t addr[4];
	memcpy(addr, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, addr, 4);
	ip[8] = IP_TTL_DEFAULT;
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, NET_IPV4_MIN)));
	memcpy(f, f + 6, 6);
	memcpy(f + 6, nif->mac, 6);
	*len = (uint16_t)(NET_ETHER_LEN + ip_len);
	nif->stats.icmp_echo_answered++;
	return NET_TX;
}

static enum net_verdict ipv4_rx(struct net_if *nif, uint8_t *f, uint16_t *len, struct net_l4 *l4)
{
	uint8_t *ip = f + NET_ETHER_LEN;
	uint16_t tot, frag;

	if (*len < NET_ETHER_LEN + NET_IPV4_MIN) {
		nif->stats.rx_runt++;
		return NET_DROP;
	}
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5) {
		nif->stats.ipv4_bad_header++;
		return NET_DROP;
	}
	if ((ip[0] & 0xf) > 5) {
		nif->stats.ipv4_options_dropped++;
		return NET_DROP;
	}
	tot = rd16(ip + 2);
	if (tot < NET_IPV4_MIN || tot > *len - NET_ETHER_LEN) {
		nif->stats.ipv4_bad_header++;
		return NET_DROP;
	}
	if (!(nif->rx_csum & NET_RX_IP_CSUM_GOOD) && ipv4_hdr_sum(ip) != 0xffff) {
		nif->stats.ipv4_bad_checksum++;
		return NET_DROP;
	}
	frag = rd16(ip + 6);
	if (frag & 0x3fff) {   /* MF set or a non-zero offset: a fragment */
		nif->stats.ipv4_fragments_dropped++;
		return NET_DROP;
	}
	if (rd32(ip + 16) != nif->ip) {
		nif->stats.ipv4_not_for_us++;
		return NET_DROP;
	}
	switch (ip[9]) {
	case IP_PROTO_ICMP:
		return icmp_rx(nif, f, tot, len);
	case IP_PROTO_TCP:
		l4->src_ip = rd32(ip + 12);
		l4->dst_ip = rd32(ip + 16);
		l4->l3_off = NET_ETHER_LEN;
		l4->l4_off = NET_ETHER_LEN + NET_IPV4_MIN;
		l4->l4_len = (uint16_t)(tot - NET_IPV4_MIN);
		l4->csum_ok = (nif->rx_csum & NET_RX_L4_CSUM_GOOD) != 0;
		nif->stats.tcp_segments++;
		return NET_TCP;
	default:
		nif->stats.ipv4_other_proto++;
		return NET_DROP;
	}
}

enum net_verdict net_rx_local(struct net_if *nif, uint8_t *frame, uint16_t *len,
			      uint16_t cap, uint64_t now_ms, struct net_l4 *l4)
{
	nif->stats.rx_frames++;
	if (*len < NET_ETHER_LEN || *len > cap) {
		nif->stats.rx_runt++;
		return NET_DROP;
	}
	if (memcmp(frame, nif->mac, 6) != 0 && memcmp(frame, broadcast, 6) != 0) {
		nif->stats.rx_not_for_us++;
		return NET_DROP;
	}
	switch (rd16(frame + 12)) {
	case ETHER_TYPE_ARP:
		return arp_rx(nif, frame, len, cap, now_ms);
	case ETHER_TYPE_IPV4:
		/* Broadcast IPv4 is not ours to answer (no DHCP, no discovery). */
		if (frame[0] & 1) {
			nif->stats.rx_not_for_us++;
			return NET_DROP;
		}
		return ipv4_rx(nif, frame, len, l4);
	default:
		nif->stats.rx_bad_ether_type++;
		return NET_DROP;
	}
}
