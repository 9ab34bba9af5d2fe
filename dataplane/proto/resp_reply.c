/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/proto/resp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void resp_simple(struct resp_w *w, const char *s)
{
	buf_appendf(w->b, "+%s\r\n", s);
}

void resp_error(struct resp_w *w, const char *fmt, ...)
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
	buf_appendf(w->b, "-%s\r\n", msg);
}

void resp_bulk(struct resp_w *w, const void *p, size_t n)
{
	if (buf_appendf(w->b, "$%zu\r\n", n) == 0 && buf_append(w->b, p, n) == 0)
		buf_append(w->b, "\r\n", 2);
}

void resp_cstr(struct resp_w *w, const char *s)
{
	resp_bulk(w, s, strlen(s));
}

void resp_null(struct resp_w *w)
{
	if (w->proto >= 3)
		buf_append(w->b, "_\r\n", 3);
	else
		buf_append(w->b, "$-1\r\n", 5);
}

void resp_null_array(struct resp_w *w)
{
	if (w->proto >= 3)
		buf_append(w->b, "_\r\n", 3);
	else
		buf_append(w->b, "*-1\r\n", 5);
}

void resp_int(struct resp_w *w, long long v)
{
	buf_appendf(w->b, ":%lld\r\n", v);
}

void resp_array(struct resp_w *w, size_t n)
{
	buf_appendf(w->b, "*%zu\r\n", n);
}

void resp_map(struct resp_w *w, size_t n)
{
	if (w->proto >= 3)
		buf_appendf(w->b, "%%%zu\r\n", n);
	else
		buf_appendf(w->b, "*%zu\r\n", 2 * n);
}

void resp_set(struct resp_w *w, size_t n)
{
	buf_appendf(w->b, "%c%zu\r\n", w->proto >= 3 ? '~' : '*', n);
}
