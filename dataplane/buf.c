/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fmt.h"
#include "platform/status.h"

#define BUF_MIN        4096
#define BUF_IDLE_KEEP  (64 * 1024)

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_fini(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

int buf_reserve(struct buf *b, size_t n)
{
	if (buf_room(b) >= n)
		return SS_OK;
	if (b->rpos > 0) {
		memmove(b->data, b->data + b->rpos, buf_len(b));
		b->wpos -= b->rpos;
		b->rpos = 0;
		if (buf_room(b) >= n)
			return SS_OK;
	}
	size_t cap = b->cap ? b->cap : BUF_MIN;
	while (cap - b->wpos < n) {
		if (cap > SIZE_MAX / 2) {
			b->enomem = 1;
			return -ENOMEM;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		b->enomem = 1;
		return -ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	return SS_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc == SS_OK && n > 0) {
		memcpy(b->data + b->wpos, p, n);
		b->wpos += n;
	}
	return rc;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	/* Straight into the free room when it fits (the usual case): one
	 * formatting pass, not one to measure and one to write. */
	va_start(ap, fmt);
	n = vsnprintf(b->data != NULL ? b->data + b->wpos : NULL, buf_room(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < buf_room(b)) {
		b->wpos += (size_t)n;
		return SS_OK;
	}
	if ((rc = buf_reserve(b, (size_t)n + 1)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->wpos, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->wpos += (size_t)n;
	return SS_OK;
}

int buf_append_u64(struct buf *b, const char *prefix, uint64_t v)
{
	size_t pl = strlen(prefix);
	int rc = buf_reserve(b, pl + FMT_U64_MAX);

	if (rc == SS_OK) {
		memcpy(b->data + b->wpos, prefix, pl);
		b->wpos += pl;
		b->wpos += fmt_u64(b->data + b->wpos, v);
	}
	return rc;
}

int buf_append_i64(struct buf *b, const char *prefix, int64_t v)
{
	size_t pl = strlen(prefix);
	int rc = buf_reserve(b, pl + 1 + FMT_U64_MAX);

	if (rc == SS_OK) {
		memcpy(b->data + b->wpos, prefix, pl);
		b->wpos += pl;
		b->wpos += fmt_i64(b->data + b->wpos, v);
	}
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	b->rpos += n;
	if (b->rpos == b->wpos)
		b->rpos = b->wpos = 0;
}

void buf_shrink_if_idle(struct buf *b)
{
	if (buf_len(b) == 0 && b->cap > BUF_IDLE_KEEP)
		buf_fini(b);
}
