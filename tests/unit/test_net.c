/* SPDX-License-Identifier: BSD-3-Clause */
/* L2/L3 on crafted frames: ARP, IPv4 validation, ICMP echo, next hop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/net/net.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
#define OUR_IP  0xc6120002u   /* 198.18.0.2 */
#define PEER_IP 0xc6120001u   /* 198.18.0.1 */
#define GW_IP   0xc61200feu   /* 198.18.0.254 */

static struct net_if nif;

static int setup(void **state)
{
	(void)state;
	net_if_init(&nif, our_mac, OUR_IP, 0xffffff00u, GW_IP);
	return 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint16_t arp_frame(uint8_t *f, uint16_t op, const uint8_t *dst_mac, uint32_t spa, uint32_t tpa)
{
	memset(f, 0, 60);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, peer_mac, 6);
	put32(f + 28, spa);
	put32(f + 38, tpa);
	return 60;
}

/* An IPv4 frame to us with a correct header checksum; payload follows. */
static uint16_t ip_frame(uint8_t *f, uint8_t proto, const uint8_t *payload, uint16_t plen)
{
	uint8_t *ip = f + 14;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + plen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);   /* DF */
	ip[8] = 17;
	ip[9] = proto;
	put32(ip + 12, PEER_IP);
	put32(ip + 16, OUR_IP);
	put16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
	memcpy(ip + 20, payload, plen);
	return (uint16_t)(34 + plen);
}

static uint16_t echo_request(uint8_t *f, uint16_t data_len)
{
	uint8_t icmp[8 + 1400];

	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, 0xbeef);
	put16(icmp + 6, 7);
	for (uint16_t i = 0; i < data_len; i++)
		icmp[8 + i] = (uint8_t)(i * 13);
	put16(icmp + 2, (uint16_t)~net_csum_fold(net_csum_add(0, icmp, 8u + data_len)));
	return ip_frame(f, 1, icmp, (uint16_t)(8 + data_len));
}

static void test_checksum_rfc1071(void **state)
{
	/* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	(void)state;
	assert_int_equal(net_csum_fold(net_csum_add(0, b, sizeof(b))), 0xddf2);
	assert_int_equal(net_csum_fold(net_csum_add(0, b, 3)), 0xf201);   /* odd length: zero pad */
}

/* The word-at-a-time sum against the definition (big-endian byte pairs,
 * an odd last byte zero-padded): every length to 300 at every alignment
 * to 8, with random bytes and starting sums, and all-0xff data (most carries). */
static uint32_t csum_reference(uint32_t sum, const uint8_t *b, size_t len)
{
	for (; len >= 2; len -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static void test_checksum_matches_definition(void **state)
{
	static uint8_t buf[320];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = fill ? 0xff : (uint8_t)x;
		}
		for (size_t off = 0; off < 8; off++) {
			for (size_t len = 0; len <= 300; len++) {
				uint32_t start = (uint32_t)(x % 400000);
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				assert_int_equal(net_csum_fold(net_csum_add(start, buf + off, len)),
						 net_csum_fold(csum_reference(start, buf + off, len)));
			}
		}
	}
}

static void test_arp_request_answered(void **state)
{
	uint8_t f[128];
	uint16_t len = arp_frame(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", PEER_IP, OUR_IP);
	struct net_l4 l4;

	(void)state;
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 1000, &l4), NET_TX);
	assert_int_equal(len, 60);
	assert_memory_equal(f, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(get16(f + 20), 2);                 /* reply */
	assert_memory_equal(f + 22, our_mac, 6);            /* sha = us */
	assert_int_equal(get16(f + 28), 0xc612);
	assert_int_equal(get16(f + 30), 0x0002);            /* spa = our ip */
	assert_memory_equal(f + 32, peer_mac, 6);           /* tha = asker */
	assert_int_equal(nif.stats.arp_requests_answered, 1);
	/* The asker was learned: the next hop to it resolves without ARP. */
	uint32_t hop;
	const uint8_t *mac = net_next_hop_local(&nif, PEER_IP, 2000, &hop);
	assert_non_null(mac);
	assert_int_equal(hop, PEER_IP);
	assert_memory_equal(mac, peer_mac, 6);
	/* ... until the entry expires. */
	assert_null(net_next_hop_local(&nif, PEER_IP, 1000 + nif.arp_ttl_ms, &hop));
}

static void test_arp_ignored(void **state)
{
	uint8_t f[128];
	struct net_l4 l4;
	uint16_t len;

	(void)state;
	len = arp_frame(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", PEER_IP, 0xc6120009u);
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.arp_ignored, 1);
	uint32_t hop;
	assert_null(net_next_hop_local(&nif, PEER_IP, 1, &hop));   /* not for us: not learned */
	len = arp_frame(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", PEER_IP, OUR_IP);
	f[18] = 8;                                                 /* bad hlen */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	len = 30;                                                  /* runt */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.rx_runt, 1);
	/* A reply to us is learned, not answered. */
	len = arp_frame(f, 2, our_mac, PEER_IP, OUR_IP);
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.arp_replies_learned, 1);
	assert_non_null(net_next_hop_local(&nif, PEER_IP, 1, &hop));
	/* Frames for another MAC are not ours. */
	len = arp_frame(f, 1, peer_mac, PEER_IP, OUR_IP);
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.rx_not_for_us, 1);
}

static void test_arp_builders_and_next_hop(void **state)
{
	uint8_t f[64];
	uint32_t hop;

	(void)state;
	assert_int_equal(net_arp_gratuitous_build(&nif, f, sizeof(f)), 60);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(get16(f + 20), 1);
	assert_memory_equal(f + 28, f + 38, 4);             /* spa == tpa == us */
	assert_int_equal(net_arp_request_build(&nif, GW_IP, f, sizeof(f)), 60);
	assert_int_equal(get16(f + 38), 0xc612);
	assert_int_equal(get16(f + 40), 0x00fe);
	assert_int_equal(net_arp_request_build(&nif, GW_IP, f, 20), 0);   /* no room */
	/* Off-subnet goes through the gateway; no gateway, no route. */
	assert_null(net_next_hop_local(&nif, 0x08080808u, 0, &hop));
	assert_int_equal(hop, GW_IP);
	nif.gateway = 0;
	assert_null(net_next_hop_local(&nif, 0x08080808u, 0, &hop));
	assert_int_equal(hop, 0);
}

static void test_icmp_echo(void **state)
{
	uint8_t f[1600], orig[1600];
	struct net_l4 l4;

	(void)state;
	for (uint16_t data = 0; data < 1400; data += 199) {
		uint16_t len = echo_request(f, data), sent = len;
		memcpy(orig, f, len);
		assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_TX);
		assert_int_equal(len, sent);
		assert_memory_equal(f, peer_mac, 6);
		assert_memory_equal(f + 6, our_mac, 6);
		assert_memory_equal(f + 26, orig + 30, 4);      /* addresses swapped */
		assert_memory_equal(f + 30, orig + 26, 4);
		assert_int_equal(f[22], 64);
		assert_int_equal(net_csum_fold(net_csum_add(0, f + 14, 20)), 0xffff);
		assert_int_equal(f[34], 0);                     /* echo reply */
		assert_int_equal(net_csum_fold(net_csum_add(0, f + 34, len - 34u)), 0xffff);
		assert_memory_equal(f + 38, orig + 38, len - 38u);   /* id, seq, data */
	}
	/* Padding after the IP datagram (a 60-byte minimum frame) is trimmed. */
	uint16_t len = echo_request(f, 0);
	memset(f + len, 0, 60 - len);
	len = 60;
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_TX);
	assert_int_equal(len, 42);
}

/* The received header's checksum is checked by a sum of its own (five
 * 32-bit words): it must agree with the definition on any header. Random
 * id, TTL and source (the rest must be as received for us): correct sums
 * pass, any one bit flipped in the header drops. */
static void test_ipv4_header_checksum_any_values(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint8_t f[128];
	struct net_l4 l4;
	uint16_t len;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		len = ip_frame(f, 6, (const uint8_t *)"01234567890123456789", 20);
		put16(f + 18, (uint16_t)x);             /* id */
		f[22] = (uint8_t)(x >> 16);             /* TTL */
		put32(f + 26, (uint32_t)(x >> 24));     /* source */
		put16(f + 24, 0);
		put16(f + 24, (uint16_t)~net_csum_fold(net_csum_add(0, f + 14, 20)));
		uint64_t bad = nif.stats.ipv4_bad_checksum;
		uint16_t n = len;
		net_rx_local(&nif, f, &n, sizeof(f), 0, &l4);
		assert_int_equal(nif.stats.ipv4_bad_checksum, bad);
		unsigned bit = (unsigned)(x >> 56) % 160;
		if (bit / 8 == 0 || bit / 8 == 6 || bit / 8 == 7)
			continue;   /* version/IHL, flags: dropped before the sum */
		f[14 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		n = len;
		net_rx_local(&nif, f, &n, sizeof(f), 0, &l4);
		if (bit / 8 == 2 || bit / 8 == 3)   /* total length: may fail earlier */
			continue;
		assert_int_equal(nif.stats.ipv4_bad_checksum, bad + 1);
	}
}

static void test_ipv4_drops(void **state)
{
	uint8_t f[256];
	struct net_l4 l4;
	uint16_t len;

	(void)state;
	len = echo_request(f, 8);
	f[24] ^= 1;                                          /* header checksum */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.ipv4_bad_checksum, 1);

	len = echo_request(f, 8);
	f[14] = 0x46;                                        /* options */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.ipv4_options_dropped, 1);

	static const uint16_t frags[] = { 0x2000, 0x0001, 0x6000, 0x1fff };
	for (size_t i = 0; i < 4; i++) {
		uint8_t pl[8] = { 0 };
		len = ip_frame(f, 1, pl, 8);
		put16(f + 20, frags[i]);
		put16(f + 24, 0);
		put16(f + 24, (uint16_t)~net_csum_fold(net_csum_add(0, f + 14, 20)));
		assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	}
	assert_int_equal(nif.stats.ipv4_fragments_dropped, 4);

	len = echo_request(f, 8);
	put16(f + 16, 200);                                  /* longer than the frame */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	len = echo_request(f, 8);
	f[14] = 0x65;                                        /* version 6 */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.ipv4_bad_header, 2);

	len = echo_request(f, 8);
	f[36] ^= 0xff;                                       /* ICMP checksum */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.icmp_bad_checksum, 1);

	uint8_t udp[8] = { 0 };
	len = ip_frame(f, 17, udp, 8);
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.ipv4_other_proto, 1);

	len = ip_frame(f, 17, udp, 8);
	memset(f, 0xff, 6);                                  /* broadcast IPv4 */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);

	len = echo_request(f, 8);
	put16(f + 12, 0x86dd);                               /* IPv6 */
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_DROP);
	assert_int_equal(nif.stats.rx_bad_ether_type, 1);
}

static void test_tcp_handed_up(void **state)
{
	uint8_t f[256], seg[40] = { 0x1f, 0x90, 0x18, 0xeb };
	struct net_l4 l4;
	uint16_t len = ip_frame(f, 6, seg, sizeof(seg));

	(void)state;
	assert_int_equal(net_rx_local(&nif, f, &len, sizeof(f), 0, &l4), NET_TCP);
	assert_int_equal(l4.src_ip, PEER_IP);
	assert_int_equal(l4.dst_ip, OUR_IP);
	assert_int_equal(l4.l3_off, 14);
	assert_int_equal(l4.l4_off, 34);
	assert_int_equal(l4.l4_len, 40);
	assert_int_equal(nif.stats.tcp_segments, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_checksum_rfc1071, setup),
		cmocka_unit_test_setup(test_checksum_matches_definition, setup),
		cmocka_unit_test_setup(test_arp_request_answered, setup),
		cmocka_unit_test_setup(test_arp_ignored, setup),
		cmocka_unit_test_setup(test_arp_builders_and_next_hop, setup),
		cmocka_unit_test_setup(test_icmp_echo, setup),
		cmocka_unit_test_setup(test_ipv4_drops, setup),
		cmocka_unit_test_setup(test_ipv4_header_checksum_any_values, setup),
		cmocka_unit_test_setup(test_tcp_handed_up, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
