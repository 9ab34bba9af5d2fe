/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Redis's CRC-64: the Jones polynomial 0xad93d23594c935a9, reflected
 * (so the table uses its bit reversal 0x95ac9329ac4bc9b5), init 0, no final
 * xor. Byte-at-a-time from a table built once; a snapshot is bounded by
 * disk speed long before this matters (slice-by-8 is the next step if not).
 */
#include <pthread.h>
#include <stdint.h>

#include "storage/rdb.h"

#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint64_t c = i;

		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
		table[i] = c;
	}
}

uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&table_once, table_build);
	while (len--)
		crc = table[(uint8_t)(crc ^ *p++)] ^ (crc >> 8);
	return crc;
}
