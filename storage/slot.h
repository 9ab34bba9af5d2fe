/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key ownership: Redis Cluster's 16384 hash slots. slot = CRC16(key) mod
 * 16384, where a non-empty {hash tag} replaces the key, so keys sharing a tag
 * share a slot. Slots map to worker cores inside a node (and to nodes across
 * a cluster), which makes multi-key commands with hash tags core-local.
 * Pure functions, safe on any core; the slot -> core table is set once at
 * start-up before workers run and read-only afterwards.
 */
#ifndef SS_STORAGE_SLOT_H
#define SS_STORAGE_SLOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLOT_COUNT 16384

uint16_t slot_crc16(const void *buf, size_t len);
uint16_t slot_of_key(const void *key, size_t len);

/* Even split: slot s goes to core s * ncores / SLOT_COUNT. */
int slot_table_setup(unsigned ncores);
unsigned slot_owner(uint16_t slot);
/* The core that owns key's slot; with one core, 0 without hashing the key. */
unsigned slot_owner_of_key(const void *key, size_t len);

#ifdef __cplusplus
}
#endif

#endif
