/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP request parser (multibulk "*N\r\n$L\r\n...\r\n" and inline commands),
 * with Redis 7's limits and protocol error strings.
 *
 * Stateless over the unconsumed input: the caller keeps the bytes, calls
 * resp_parse() on [buf, buf+len) and, on SS_NEED_MORE, calls again once at
 * least req->need bytes are there (0: any more byte may help). Re-parsing a
 * prefix is bounded by the request's header lines, never by its bulk data,
 * because `need` lets the caller wait for a whole bulk.
 *
 * The result never depends on how the bytes were split into reads. Where
 * Redis's own answer does (a header or inline line longer than 64 KiB is
 * refused only if a read ends before its terminator), we refuse it always:
 * a "*"/"$" line whose '\r', or an inline line whose '\n', is not within
 * its first RESP_INLINE_MAX + 1 bytes is a protocol error. Like Redis
 * (strchr on the query buffer), a NUL byte before that terminator hides it,
 * so such a request waits for more bytes until the 64 KiB limit refuses it.
 * Redis 7 accepts up to INT_MAX multibulk entries; we keep the older 1M cap.
 *
 * May run on any core; no shared state.
 */
#ifndef SS_PROTO_RESP_PARSE_H
#define SS_PROTO_RESP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "dataplane/proto/arg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RESP_INLINE_MAX     (64 * 1024)      /* PROTO_INLINE_MAX_SIZE */
#define RESP_MULTIBULK_MAX  (1024 * 1024)    /* Redis: > 1M args refused */
#define RESP_BULK_MAX_DEFAULT (512LL * 1024 * 1024) /* proto-max-bulk-len */

struct resp_req {
	struct ss_arg *argv;  /* argc entries, pointing into the parsed buffer
	                         (or into scratch, see below) */
	uint32_t argc;
	uint32_t cap;         /* allocated entries of argv */
	size_t need;          /* on SS_NEED_MORE: total bytes wanted, 0 = unknown */
	long long max_bulk;   /* proto-max-bulk-len; set by init to the default */
	int is_inline;        /* the last request was an inline command */
	/* Inline arguments that are not a plain byte range of the input (quoted
	 * ones with escapes, or "mixed"'quoting') are unescaped here; argv[i]
	 * then points into scratch, valid until the next resp_parse() or
	 * resp_req_fini(). Every other argv[i] points into the parsed buffer. */
	char *scratch;
	size_t scratch_cap;
	char errbuf[48];      /* backs *err for "expected '$', got 'X'" */
};

void resp_req_init(struct resp_req *r);
void resp_req_fini(struct resp_req *r);

/*
 * Parse one request from the front of buf.
 *   SS_OK:         *consumed = its length; argc may be 0 (an empty line or
 *                  "*0\r\n"/"*-1\r\n", which Redis skips): skip it.
 *   SS_NEED_MORE:  nothing consumed; see req->need.
 *   -EPROTO:       *err = the message after "-ERR " (e.g. "Protocol error:
 *                  invalid multibulk length"); Redis replies and closes.
 *                  *err stays valid until the next resp_parse()/fini.
 *   -ENOMEM:       argv (or the inline scratch) could not grow.
 */
int resp_parse(struct resp_req *r, const char *buf, size_t len,
	       size_t *consumed, const char **err);

#ifdef __cplusplus
}
#endif

#endif
