/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Values the load generator SETs, and --verify's check of what GETs return.
 *
 * A value is derived from (run nonce, key index, version): its length from
 * the configured size or size range, its bytes from a PRNG seeded by all
 * three. The first 16 bytes say which nonce and version it is, in hex, so a
 * GET reply names the version to check against without a copy of every value:
 *
 *   | nonce (8 hex) | version (8 hex) | filler from PRNG(nonce, key, version) ... |
 *
 * The shadow table holds, per key, the newest version issued (a SET was
 * sent) and the newest acknowledged (its STORED came back). A GET sent when
 * `acked` was F must return a version v with F <= v <= issued: older would be
 * a lost write, newer one never sent. That needs the server to apply a key's
 * versions in the order they were issued, and servers only promise request
 * order within one connection: so under --verify each key is written by one
 * connection only (lg_values_own()), while any connection reads it.
 * Connections on all threads share the table, so updates are atomic; this
 * is the --verify path, not the peak one.
 */
#ifndef SS_LOADGEN_VALUE_H
#define SS_LOADGEN_VALUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LG_VALUE_HDR 16   /* the smallest value --verify can check */

struct lg_values {
	uint32_t nonce;
	size_t size_min, size_max;   /* equal for a fixed --data-size */
	uint64_t nkeys;
	uint32_t *issued;            /* per key; NULL without --verify */
	uint32_t *acked;
};

enum lg_check {
	LG_V_OK = 0,
	LG_V_FOREIGN = 1,      /* another run's value, for a key this run has not stored yet */
	LG_V_ERR_FORMAT = -1,  /* no nonce/version header */
	LG_V_ERR_VERSION = -2, /* a version this run never issued for the key */
	LG_V_ERR_STALE = -3,   /* older than the newest acknowledged before the GET */
	LG_V_ERR_LENGTH = -4,
	LG_V_ERR_CONTENT = -5, /* the filler is not this key's and version's */
	LG_V_ERR_LOST = -6,    /* a miss for a key whose SET was acknowledged */
};

/* verify: allocate the shadow table. 0, or -ENOMEM / -EINVAL (sizes). */
int lg_values_init(struct lg_values *v, uint32_t nonce, size_t size_min, size_t size_max,
		   uint64_t nkeys, int verify);
void lg_values_fini(struct lg_values *v);

/* --verify: the key near `key` that connection conn of nconns may SET (keys
 * with key % nconns == conn), or UINT64_MAX if it owns none (conn >= nkeys). */
uint64_t lg_values_own(uint64_t key, uint64_t conn, uint64_t nconns, uint64_t nkeys);

/* The length of (key, version)'s value. */
size_t lg_value_size(const struct lg_values *v, uint64_t key, uint32_t version);
/* Writes (key, version)'s value, lg_value_size() bytes, at out. */
void lg_value_fill(const struct lg_values *v, uint64_t key, uint32_t version, char *out);

/* With the shadow table (any thread). The version a new SET of key carries. */
uint32_t lg_values_issue(struct lg_values *v, uint64_t key);
/* The floor a GET sent now must see. */
uint32_t lg_values_floor(const struct lg_values *v, uint64_t key);
/* A SET's STORED came back. */
void lg_values_ack(struct lg_values *v, uint64_t key, uint32_t version);
/* Checks a GET's reply (val == NULL for a miss) against the floor read at send. */
enum lg_check lg_values_check(const struct lg_values *v, uint64_t key, uint32_t floor,
			      const char *val, size_t vlen);
const char *lg_check_str(enum lg_check c);

#ifdef __cplusplus
}
#endif

#endif
