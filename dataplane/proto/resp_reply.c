/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/proto/resp_reply.h"

#include <stdarg.h>
#include <stdio.h>

void resp_simple(struct buf *b, const char *s)
{
	buf_appendf(b, "+%s\r\n", s);
}

void resp_error(struct buf *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* An error is one line: Redis turns CR and LF inside it into spaces. */
	for (char *p = msg; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	buf_appendf(b, "-%s\r\n", msg);
}

void resp_bulk(struct buf *b, const void *p, size_t n)
{
	if (buf_appendf(b, "$%zu\r\n", n) == 0 && buf_append(b, p, n) == 0)
		buf_append(b, "\r\n", 2);
}

void resp_null(struct buf *b)
{
	buf_append(b, "$-1\r\n", 5);
}

void resp_int(struct buf *b, long long v)
{
	buf_appendf(b, ":%lld\r\n", v);
}
