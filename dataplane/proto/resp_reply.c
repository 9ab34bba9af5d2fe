/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/proto/resp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "platform/errstat.h"

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
	errstat_add(msg, strlen(msg));
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

/* RESP3 verbatim string (INFO, CLIENT LIST, LATENCY DOCTOR ...): "=len\r\nfmt:..."
 * where fmt is three characters ("txt"); RESP2 sees a bulk string. */
void resp_verbatim(struct resp_w *w, const char *fmt3, const void *p, size_t n)
{
	if (w->proto < 3) {
		resp_bulk(w, p, n);
		return;
	}
	if (buf_appendf(w->b, "=%zu\r\n%.3s:", n + 4, fmt3) == 0 && buf_append(w->b, p, n) == 0)
		buf_append(w->b, "\r\n", 2);
}

/* Redis's addReplyDouble: %.17g as a bulk string in RESP2, a double in RESP3. */
void resp_double(struct resp_w *w, double v)
{
	char s[64];
	int n;

	if (v != v)
		n = snprintf(s, sizeof(s), "nan");
	else if (v > 1.7976931348623157e308)
		n = snprintf(s, sizeof(s), "inf");
	else if (v < -1.7976931348623157e308)
		n = snprintf(s, sizeof(s), "-inf");
	else
		n = snprintf(s, sizeof(s), "%.17g", v);
	if (w->proto >= 3)
		buf_appendf(w->b, ",%.*s\r\n", n, s);
	else
		resp_bulk(w, s, (size_t)n);
}
