/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached text protocol request parser (memcached 1.6 protocol.txt):
 * the classic text commands and the meta commands (mg ms md ma mn me).
 *
 * Stateless over the unconsumed input, like resp_parse(): on SS_NEED_MORE
 * call again when at least req->need bytes are buffered (0 = unknown).
 * A command line ends in "\n" (with or without "\r"); storage commands are
 * followed by <bytes> of data and "\r\n".
 *
 * Lines are split on ' ' only (memcached's tokenize_command) and end at the
 * first NUL (memcached works on the line as a C string); numbers are read
 * with memcached's safe_strto*() rules (strtoul & co. on the token).
 * A line whose "\n" is not within its first MC_LINE_MAX + 1 bytes is
 * refused unless it starts with "get " or "gets " (after at most 100
 * spaces); memcached refuses it only when a read ends before the "\n",
 * we always do, so the outcome does not depend on how the bytes arrived.
 *
 * May run on any core; no shared state.
 */
#ifndef SS_PROTO_MC_PARSE_H
#define SS_PROTO_MC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dataplane/proto/arg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MC_KEY_MAX        250          /* KEY_MAX_LENGTH */
#define MC_LINE_MAX       2048         /* a non-get line longer than this is refused */
#define MC_ITEM_MAX_DEFAULT (1024 * 1024) /* -I, item_size_max */
#define MC_ITEM_OVERHEAD  59           /* memcached 1.6: 48-byte item header, 8-byte
	                                  CAS, the key's NUL, the value's CRLF */

enum mc_cmd {
	MC_GET, MC_GETS, MC_GAT, MC_GATS,
	MC_SET, MC_ADD, MC_REPLACE, MC_APPEND, MC_PREPEND, MC_CAS,
	MC_DELETE, MC_INCR, MC_DECR, MC_TOUCH,
	MC_FLUSH_ALL, MC_VERSION, MC_VERBOSITY, MC_STATS, MC_QUIT,
	MC_MG, MC_MS, MC_MD, MC_MA, MC_MN, MC_ME,
};

#define MC_META_TOKENS    24   /* flag tokens a meta line can carry */
#define MC_META_OPAQUE_MAX 32  /* MFLAG_MAX_OPAQUE_LENGTH, the 'O' included */

/* Bit of meta flag letter ch ('A'..'Z', 'a'..'z') in mc_meta.seen. */
#define MC_MF(ch) ((ch) >= 'a' ? 1ull << ((ch) - 'a' + 26) : 1ull << ((ch) - 'A'))

/*
 * A meta command's flags, as memcached's _meta_flag_preparse() reads them.
 * The flag tokens are kept in request order: replies echo O, k, c ... in
 * that order, and T/N before or after t changes what t shows.
 */
struct mc_meta {
	uint64_t seen;            /* MC_MF() of every flag present */
	char mode;                /* M<char>, 0 if none */
	bool opaque_too_long;     /* an O token over MC_META_OPAQUE_MAX: mg and ma
	                             reply the error after running, as memcached */
	int32_t ttl;              /* T */
	int32_t vivify_ttl;       /* N */
	int32_t recache_ttl;      /* R */
	uint32_t client_flags;    /* F */
	uint64_t cas;             /* C */
	uint64_t delta;           /* D (default 1) */
	uint64_t initial;         /* J */
	struct ss_arg tok[MC_META_TOKENS];
	uint32_t ntok;
	char key[MC_KEY_MAX];     /* the decoded key of a 'b' (base64) request */
};

struct mc_req {
	enum mc_cmd cmd;
	struct ss_arg *keys;   /* get/gets/gat/gats: nkeys keys (gat(s) may have
	                          none); stats: its arguments; flush_all, version,
	                          verbosity, quit: none; others: 1 key */
	uint32_t nkeys;
	uint32_t cap;
	uint32_t flags;        /* storage commands: client flags */
	int64_t exptime;       /* storage, touch, gat(s): as sent (memcached rules
	                          for relative/absolute/negative are applied later) */
	uint64_t cas;          /* cas: the compare value */
	uint64_t delta;        /* incr/decr */
	int64_t delay;         /* flush_all [delay]; verbosity level */
	struct ss_arg data;    /* storage commands: the data block (no \r\n) */
	struct ss_arg stats_arg; /* stats [group]: empty for plain "stats" */
	bool noreply;          /* also set on -EINVAL/-E2BIG when memcached would
	                          have muted that error reply (it checks the last
	                          token for "noreply" before validating the rest) */
	size_t swallow;        /* on -E2BIG: bytes to discard after the line */
	size_t need;           /* on SS_NEED_MORE: total bytes wanted, 0 = unknown */
	size_t item_max;       /* memcached's item_size_max (-I); init sets default */
	size_t item_overhead;  /* what memcached counts in an item besides key and
	                          value (header, CAS, NULs, CRLF: MC_ITEM_OVERHEAD,
	                          plus 4 bytes for non-zero flags); 0 = item_max
	                          bounds the value alone */
	struct mc_meta meta;   /* mg ms md ma me: flags; keys[0] is the key (decoded
	                          when 'b') */
};

void mc_req_init(struct mc_req *r);
void mc_req_fini(struct mc_req *r);

/*
 * Parse one request from the front of buf.
 *   SS_OK:        *consumed = line (+ data block) length.
 *   SS_NEED_MORE: nothing consumed; see req->need.
 *   -ENOENT:      unknown command, an empty line, or a known command with
 *                 the wrong number of tokens (memcached answers all of these
 *                 "ERROR"): reply "ERROR\r\n"; *consumed = the line.
 *   -EINVAL:      *err = full reply line without "\r\n" (e.g. "CLIENT_ERROR
 *                 bad command line format"); *consumed = what to skip; the
 *                 connection stays usable. A bad command line skips the line
 *                 only (any data block that follows is read as commands, as
 *                 memcached does); a meta set whose flags are bad skips
 *                 the line and sets req->swallow = <bytes> + 2 to discard,
 *                 like -E2BIG; "CLIENT_ERROR bad data chunk" (the
 *                 <bytes> + 2 after the line do not end in "\r\n") skips the
 *                 line and those <bytes> + 2 bytes, as memcached's nread does.
 *   -E2BIG:       data block over item_max: *err = "SERVER_ERROR object too
 *                 large for cache"; *consumed = the command line only, keys[0]
 *                 = the key (memcached unlinks it on "set"), and
 *                 req->swallow = data bytes + 2 that the caller discards as
 *                 they arrive (memcached's swallow state), so an oversized
 *                 value is never buffered. noreply is honoured by the caller.
 *                 (A negative <bytes> is -EINVAL "bad command line format",
 *                 as in memcached 1.6.) item_max bounds the value alone;
 *                 memcached also counts its item header and key.
 *   -EPROTO:      the caller closes the connection without a reply, as
 *                 memcached does (a line over MC_LINE_MAX that is not a get);
 *                 *err names the reason.
 *   -ENOMEM:      keys could not grow.
 */
int mc_parse(struct mc_req *r, const char *buf, size_t len,
	     size_t *consumed, const char **err);

#ifdef __cplusplus
}
#endif

#endif
