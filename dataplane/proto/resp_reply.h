/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP reply encoders. Append to a buffer; a failed append marks it enomem.
 * Every encoder takes the writer of a connection: its output buffer and the
 * protocol version the client chose (HELLO), so that each reply type comes
 * out as RESP2 or RESP3 without the command knowing.
 */
#ifndef SS_PROTO_RESP_REPLY_H
#define SS_PROTO_RESP_REPLY_H

#include <stddef.h>
#include "dataplane/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

struct resp_w {
	struct buf *b;
	int proto;   /* 2 or 3 */
};

void resp_simple(struct resp_w *w, const char *s);                /* +s */
void resp_error(struct resp_w *w, const char *fmt, ...)           /* -fmt, CR/LF made spaces */
	__attribute__((format(printf, 2, 3)));
void resp_bulk(struct resp_w *w, const void *p, size_t n);        /* $n p */
void resp_cstr(struct resp_w *w, const char *s);                  /* $strlen(s) s */
void resp_verbatim(struct resp_w *w, const char *fmt3, const void *p, size_t n); /* $n | =n fmt:p */
void resp_double(struct resp_w *w, double v);                     /* $ %.17g | ,v */
void resp_null(struct resp_w *w);                                 /* $-1 | _ */
void resp_null_array(struct resp_w *w);                           /* *-1 | _ */
void resp_int(struct resp_w *w, long long v);                     /* :v */
void resp_array(struct resp_w *w, size_t n);                      /* *n */
void resp_map(struct resp_w *w, size_t n);                        /* *2n | %n (n pairs) */
void resp_set(struct resp_w *w, size_t n);                        /* *n | ~n */

#ifdef __cplusplus
}
#endif

#endif
