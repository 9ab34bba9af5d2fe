/* SPDX-License-Identifier: BSD-3-Clause */
#include "storage/slot.h"

#include <errno.h>
#include <string.h>

#include "platform/status.h"

static uint16_t crc16_table[256];
static uint8_t owner_of_slot[SLOT_COUNT];
static unsigned n_owners;   /* cores the slots are split over; 0 before the setup */

/* CRC16-CCITT (XMODEM): poly 0x1021, init 0, as Redis Cluster specifies. */
static void crc16_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t crc = (uint16_t)(i << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
		crc16_table[i] = crc;
	}
}

uint16_t slot_crc16(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint16_t crc = 0;

	if (crc16_table[1] == 0)
		crc16_init();
	for (size_t i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^ crc16_table[((crc >> 8) ^ p[i]) & 0xff]);
	return crc;
}

uint16_t slot_of_key(const void *key, size_t len)
{
	const char *k = key;
	const char *open = memchr(k, '{', len);

	if (open != NULL) {
		size_t off = (size_t)(open - k) + 1;
		const char *close = memchr(open + 1, '}', len - off);
		/* Only a non-empty tag counts: "{}" hashes the whole key. */
		if (close != NULL && close > open + 1)
			return slot_crc16(open + 1, (size_t)(close - open - 1)) & (SLOT_COUNT - 1);
	}
	return slot_crc16(k, len) & (SLOT_COUNT - 1);
}

int slot_table_setup(unsigned ncores)
{
	if (ncores == 0 || ncores > 255)
		return -EINVAL;
	if (crc16_table[1] == 0)
		crc16_init();
	for (unsigned s = 0; s < SLOT_COUNT; s++)
		owner_of_slot[s] = (uint8_t)((unsigned long)s * ncores / SLOT_COUNT);
	n_owners = ncores;
	return SS_OK;
}

unsigned slot_owner(uint16_t slot)
{
	return owner_of_slot[slot & (SLOT_COUNT - 1)];
}

/* Steering asks this for every request; a one-worker appliance (a core per
 * process, as benchmarks run it) need not hash the key to learn "0". */
unsigned slot_owner_of_key(const void *key, size_t len)
{
	if (n_owners == 1)
		return 0;
	return slot_owner(slot_of_key(key, len));
}
