/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growable byte buffer for connection input and output:
 *   data: [consumed | unread (rpos..wpos) | free (wpos..cap)]
 * Consumed bytes are reclaimed by moving the unread part to the front when
 * room is needed. Used by one core at a time.
 */
#ifndef SS_DATAPLANE_BUF_H
#define SS_DATAPLANE_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct buf {
	char *data;
	size_t rpos, wpos, cap;
	int enomem;     /* sticky: an append failed; the owner drops the connection */
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
/* Make room for n more bytes after wpos. Returns SS_OK or -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* prefix (a C string, may be "") then v in decimal: what a reply line's
 * numbers need, at a fraction of buf_appendf's cost. SS_OK or -ENOMEM. */
int buf_append_u64(struct buf *b, const char *prefix, uint64_t v);
int buf_append_i64(struct buf *b, const char *prefix, int64_t v);
void buf_consume(struct buf *b, size_t n);
/* Drop the allocation once empty and large, so idle connections stay small. */
void buf_shrink_if_idle(struct buf *b);

static inline size_t buf_len(const struct buf *b) { return b->wpos - b->rpos; }
static inline const char *buf_rptr(const struct buf *b) { return b->data + b->rpos; }
static inline char *buf_wptr(struct buf *b) { return b->data + b->wpos; }
static inline size_t buf_room(const struct buf *b) { return b->cap - b->wpos; }

#ifdef __cplusplus
}
#endif

#endif
