/* SPDX-License-Identifier: BSD-3-Clause */
/* RESP reply encoders. Append to a buffer; a failed append marks it enomem. */
#ifndef SS_PROTO_RESP_REPLY_H
#define SS_PROTO_RESP_REPLY_H

#include <stddef.h>
#include "dataplane/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

void resp_simple(struct buf *b, const char *s);                /* +s */
void resp_error(struct buf *b, const char *fmt, ...)           /* -fmt, CR/LF made spaces */
	__attribute__((format(printf, 2, 3)));
void resp_bulk(struct buf *b, const void *p, size_t n);        /* $n p */
void resp_null(struct buf *b);                                 /* $-1 (RESP2) */
void resp_int(struct buf *b, long long v);                     /* :v */

#ifdef __cplusplus
}
#endif

#endif
