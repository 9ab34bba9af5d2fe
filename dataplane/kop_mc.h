/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached's owner-side key operations: each read-modify-write (store
 * modes, incr/decr, touch, the meta commands) is one kop that runs whole on
 * the core owning the key, so it is atomic without locks. Inside the
 * dataplane only (cmd_mc*.c); the kop's mode bits and result codes below
 * are the contract between a command's plan/emit and its owner function.
 */
#ifndef SS_DATAPLANE_KOP_MC_H
#define SS_DATAPLANE_KOP_MC_H

#include <stdint.h>
#include "dataplane/kop.h"

/* memcached exptime (seconds: 0 never, up to 30 days relative, beyond an
 * absolute Unix time, negative or past already expired) -> absolute Unix
 * ms as kops carry it (0 never, -1 already expired). */
int64_t mc_exptime_to_ms(int64_t exptime, int64_t now_ms);

/*
 * memcached's ITEM_KEY_BINARY: the key was stored by "ms ... b", so replies
 * that echo it from the item (mg k, me) base64 it again. A protocol-owned
 * item_meta bit beside the ones storage/shard.h names (0x01..0x04).
 */
#define MC_ITEM_KEY_BINARY 0x08u

/* Result codes (kop_result.status) of the store, delete and arith kops;
 * negative = -errno (out of memory). */
enum {
	MC_R_MISS = 0,        /* NOT_FOUND, NF, EN */
	MC_R_OK = 1,          /* STORED / DELETED / the new number, HD */
	MC_R_NOT_STORED = 2,  /* NOT_STORED, NS */
	MC_R_EXISTS = 3,      /* EXISTS, EX */
	MC_R_NON_NUMERIC = 4, /* incr/decr on a value that is not a number */
};

/* kop_mc_store: mode = one store mode | option bits. val, flags, expire_ms;
 * cas when MC_ST_HAS_CAS. res: status, cas = the stored item's CAS. */
enum {
	MC_ST_SET, MC_ST_ADD, MC_ST_REPLACE, MC_ST_APPEND, MC_ST_PREPEND, MC_ST_CAS,
	MC_ST_MODE_MASK = 0x0f,
	MC_ST_HAS_CAS = 0x10,   /* append/prepend: refuse (EXISTS) unless it matches */
	MC_ST_STALE = 0x20,     /* ms I: a CAS older than the item's stores the
	                           value marked stale (memcached CAS_STALE) */
	MC_ST_KEY_BINARY = 0x40, /* ms b: mark the item MC_ITEM_KEY_BINARY */
};
void kop_mc_store(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_get (get, gets, gat, gats): marks the item fetched; with MC_GET_TOUCH
 * sets expire_ms first. res as kop_get. */
enum { MC_GET_TOUCH = 1 };
void kop_mc_get(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_touch: status 1 if the key exists (expire_ms set), else 0. */
void kop_mc_touch(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_arith: num = delta, num2 = initial (MC_AR_VIVIFY), cas (MC_AR_HAS_CAS),
 * expire_ms (MC_AR_TTL, applied after), flags = the raw N exptime of a created
 * item. res: status (MC_R_*), cas, val = the number (no padding), expire_ms =
 * the TTL before T/N were applied, num = 1 if created. */
enum {
	MC_AR_DECR = 1, MC_AR_HAS_CAS = 2, MC_AR_VIVIFY = 4, MC_AR_TTL = 8,
	MC_AR_TTL_AFTER_VIVIFY = 16,   /* T comes after N: a created item takes T */
};
void kop_mc_arith(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_mget (mg): expire_ms = T, num = N's expiry for a created item,
 * num2 = R's recache time. res: status = MC_MG_* bits (0 = miss), flags, cas,
 * expire_ms = the TTL before T/N, num = seconds since the previous access,
 * val when MC_MG_VALUE. */
enum {
	MC_MG_TTL = 1, MC_MG_VIVIFY = 2, MC_MG_RECACHE = 4, MC_MG_NOBUMP = 8,
	MC_MG_VALUE = 16, MC_MG_TTL_BEFORE_RECACHE = 32,
};
enum {
	MC_MGR_HIT = 1, MC_MGR_CREATED = 2, MC_MGR_FETCHED = 4,
	MC_MGR_Z = 8,      /* a win token was already handed out */
	MC_MGR_X = 16,     /* the item is stale */
	MC_MGR_W = 32,     /* this client wins: it should recache */
	MC_MGR_KEY_BINARY = 64,   /* the item is MC_ITEM_KEY_BINARY */
};
void kop_mc_mget(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_mdel (md): cas when MC_MD_HAS_CAS; MC_MD_STALE marks stale (new
 * CAS, expire_ms when MC_MD_TTL) instead of deleting. status MC_R_*. */
enum { MC_MD_HAS_CAS = 1, MC_MD_STALE = 2, MC_MD_TTL = 4 };
void kop_mc_mdel(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_debug (me): no access counted. status MC_MGR_HIT | MC_MGR_FETCHED
 * | MC_MGR_KEY_BINARY,
 * cas, expire_ms, num = seconds since the last access, flags = value bytes. */
void kop_mc_debug(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

/* kop_mc_flush (flush_all; one kop per worker, by target): drop every item
 * at expire_ms (<= now: now). */
void kop_mc_flush(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms);

#endif
