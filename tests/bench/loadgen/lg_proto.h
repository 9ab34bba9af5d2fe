/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load generator's wire protocols: request encoders and reply parsers
 * for RESP, memcached text and memcached meta, chosen by name at setup and
 * called through one table. Nothing here knows about sockets or time: the
 * connection engine hands a parser the bytes it holds, starting at the
 * oldest unanswered reply, and the parser says how many bytes that reply
 * took or that it needs more (the reply may be split at any byte).
 *
 * A reply that is well framed but not what the request asks for (an error
 * line, STORED to a GET, another key's VALUE) is LG_R_ERROR and the stream
 * goes on; a reply that cannot be framed is LG_R_ERROR with fatal set, and
 * the connection must be dropped because nothing after it can be trusted.
 */
#ifndef SS_LOADGEN_PROTO_H
#define SS_LOADGEN_PROTO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lg_op { LG_GET, LG_SET };

enum lg_kind {
	LG_R_STORED,   /* a SET was stored */
	LG_R_HIT,      /* a GET found the key: val/vlen point into the input */
	LG_R_MISS,     /* a GET did not find the key */
	LG_R_ERROR,    /* an error reply, or a reply that does not fit the request */
};

struct lg_reply {
	enum lg_kind kind;
	size_t used;       /* bytes this reply took (also for errors that are not fatal) */
	const char *val;
	size_t vlen;
	int fatal;         /* the bytes cannot be framed: drop the connection */
	const char *why;   /* LG_R_ERROR: what was wrong, a static string */
};

/* The longest TTL a SET carries: 30 days, because memcached reads a larger
 * exptime as an absolute unix time, not a number of seconds. */
#define LG_TTL_MAX 2592000u

/* A header line longer than this is not a reply of any of our servers. */
#define LG_LINE_MAX 1024
/* Nor is a value longer than this (memcached's and Redis's defaults are smaller). */
#define LG_VALUE_MAX (512u << 20)

struct lg_proto {
	const char *name;
	/* Write one request at out (at least lg_req_max() bytes); return its length.
	 * ttl: seconds the SET's key lives, 1..LG_TTL_MAX; 0 for none, which
	 * writes the request without any expiry field. */
	size_t (*enc_get)(char *out, const char *key, size_t klen);
	size_t (*enc_set)(char *out, const char *key, size_t klen, const char *val, size_t vlen,
			  unsigned ttl);
	/* The reply to op on key, at p[0..len): SS_NEED_MORE, or SS_OK with r set. */
	int (*parse)(enum lg_op op, const char *key, size_t klen, const char *p, size_t len,
		     struct lg_reply *r);
};

extern const struct lg_proto lg_proto_resp;
extern const struct lg_proto lg_proto_mc_text;
extern const struct lg_proto lg_proto_mc_meta;

/* "redis", "memcache_text" or "memcache_meta"; NULL for anything else. */
const struct lg_proto *lg_proto_find(const char *name);

/* An upper bound on one encoded request, any protocol. The most framing is
 * RESP's SET with EX: 13 bytes for "*5", "$3" and "SET", up to 25 around
 * each of the key and the value ('$', a length of up to 20 digits, two
 * CRLFs), and 21 for "$2", "EX" and a TTL of up to 7 digits: 84. */
static inline size_t lg_req_max(size_t klen, size_t vlen)
{
	return klen + vlen + 96;
}

/* Shared by the parsers (lg_proto.c). */
/* The offset of the "\r\n" ending the line at p, -1 if not there yet, or
 * -2 if the line is longer than LG_LINE_MAX or has a bare '\n' in it. */
long lg_line_end(const char *p, size_t len);
/* Parses a decimal in p[0..n) (digits only, no sign) into *v; 0 or -1. */
int lg_parse_u64(const char *p, size_t n, unsigned long long *v);
/* Sets r to an error; returns SS_OK so that a parser can `return lg_err(...)`. */
int lg_err(struct lg_reply *r, size_t used, int fatal, const char *why);

#ifdef __cplusplus
}
#endif

#endif
