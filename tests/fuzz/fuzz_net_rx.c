// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: any frame into net_rx_local. Invariants: the length stays
 * within the buffer; a frame we send is well formed (its checksums hold,
 * it is addressed from us); a TCP hand-off points inside the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct net_if nif;
	struct net_l4 l4;
	uint8_t frame[2048];
	uint16_t len, cap = sizeof(frame);

	if (size > sizeof(frame))
		return 0;
	net_if_init(&nif, mac, 0xc6120002u, 0xffffff00u, 0xc61200feu);
	/* Address the fuzzed frame to us half the time so deeper layers run. */
	memcpy(frame, data, size);
	if (size >= 6 && (data[0] & 0x80))
		memcpy(frame, mac, 6);
	len = (uint16_t)size;
	switch (net_rx_local(&nif, frame, &len, cap, 1000, &l4)) {
	case NET_TX:
		if (len < 42 || len > cap || memcmp(frame + 6, mac, 6) != 0)
			abort();
		if (frame[12] == 0x08 && frame[13] == 0x00) {
			if (net_csum_fold(net_csum_add(0, frame + 14, 20)) != 0xffff ||
			    net_csum_fold(net_csum_add(0, frame + 34, len - 34u)) != 0xffff)
				abort();
		} else if (!(frame[12] == 0x08 && frame[13] == 0x06)) {
			abort();
		}
		break;
	case NET_TCP:
		if (l4.l4_off + (size_t)l4.l4_len > len || l4.l4_off != 34)
			abort();
		break;
	case NET_DROP:
		break;
	}
	return 0;
}
