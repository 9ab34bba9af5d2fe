/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/proto/resp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "platform/errstat.h"
#include "platform/fmt.h"

/* "<type><n>\r\n" in one append. */
static void head_u(struct buf *b, char type, uint64_t n)
{
	char h[FMT_U64_MAX + 3];
	size_t l = 1;

	h[0] = type;
	l += fmt_u64(h + 1, n);
	h[l++] = '\r';
	h[l++] = '\n';
	buf_append(b, h, l);
}

void resp_simple(struct resp_w *w, const char *s)
{
	size_t n = strlen(s);

	if (buf_reserve(w->b, n + 3) != 0)
		return;
	char *p = buf_wptr(w->b);
	p[0] = '+';
	memcpy(p + 1, s, n);
	p[n + 1] = '\r';
	p[n + 2] = '\n';
	w->b->wpos += n + 3;
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
	/* one reservation for header, payload and CRLF */
	if (buf_reserve(w->b, n + FMT_U64_MAX + 5) != 0)
		return;
	char *d = buf_wptr(w->b);
	size_t l = 1;

	d[0] = '$';
	l += fmt_u64(d + 1, n);
	d[l++] = '\r';
	d[l++] = '\n';
	if (n > 0)
		memcpy(d + l, p, n);
	l += n;
	d[l++] = '\r';
	d[l++] = '\n';
	w->b->wpos += l;
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
	char h[FMT_U64_MAX + 4];
	size_t l = 1;

	h[0] = ':';
	l += fmt_i64(h + 1, v);
	h[l++] = '\r';
	h[l++] = '\n';
	buf_append(w->b, h, l);
}

void resp_array(struct resp_w *w, size_t n)
{
	head_u(w->b, '*', n);
}

void resp_map(struct resp_w *w, size_t n)
{
	if (w->proto >= 3)
		head_u(w->b, '%', n);
	else
		head_u(w->b, '*', 2 * n);
}

void resp_set(struct resp_w *w, size_t n)
{
	head_u(w->b, w->proto >= 3 ? '~' : '*', n);
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
