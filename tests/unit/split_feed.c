/* SPDX-License-Identifier: BSD-3-Clause */
#include "split_feed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "platform/status.h"

void sf_arg(struct buf *b, const char *p, size_t n)
{
	size_t i;

	buf_append(b, "[", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '\\')
			buf_appendf(b, "\\x%02x", c);
		else
			buf_append(b, p + i, 1);
	}
	buf_append(b, "]", 1);
}

const char *sf_str(struct buf *b)
{
	/* buf is bytes, not a string: put a NUL past them, uncounted. A failed
	 * append anywhere before is sticky, so this one check covers them. */
	buf_reserve(b, 1);
	assert_false(b->enomem);
	b->data[b->wpos] = '\0';
	return buf_rptr(b);
}

char *sf_repeat(const char *head, char fill, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, fill, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

char *sf_feed(const char *in, size_t len, size_t k, sf_step_fn *step, void *req,
	      int show_swallow)
{
	struct buf out;
	size_t avail = 0, off = 0, need = 0, swallow = 0;
	char *base = malloc(len ? len : 1), *copy;
	int closed = 0;

	assert_non_null(base);
	buf_init(&out);
	while (!closed) {
		/* The bytes received end where the allocation ends. */
		avail += len - avail < k ? len - avail : k;
		copy = base + len - avail;
		memcpy(copy, in, avail);
		while (off < avail && !closed) {
			/* used starts wrong: the parser must set it, 0 included. */
			struct sf_step st = { .used = 99 };
			size_t have = avail - off;

			if (swallow > 0) {
				size_t n = have < swallow ? have : swallow;

				off += n;
				swallow -= n;
				continue;
			}
			step(req, copy + off, have, &st, &out);
			if (st.rc == SS_NEED_MORE) {
				assert_int_equal(st.used, 0);
				assert_true(st.need == 0 || st.need > have);
				if (have < need)
					assert_int_equal(st.need, need);
				need = st.need;
				break;
			}
			assert_true(have >= need);
			need = 0;
			if (st.close) {
				closed = 1;
				break;
			}
			assert_true(st.used > 0 && st.used <= have);
			off += st.used;
			swallow = st.swallow;
		}
		if (avail == len)
			break;
	}
	buf_appendf(&out, "END rest=%zu need=%zu", len - off, need);
	if (show_swallow)
		buf_appendf(&out, " sw=%zu", swallow);
	buf_appendf(&out, "%s\n", closed ? " closed" : "");
	sf_str(&out);
	free(base);
	/* The caller frees the string with free(), which is what buf_fini does. */
	return out.data;
}

static size_t next_k(size_t k, size_t len, size_t full_sweep_max)
{
	static const size_t big[] = { 1000, 4093, 65535, 65536, 65537, 65538 };
	size_t i;

	if (len <= full_sweep_max || k < 8)
		return k + 1;
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (big[i] > k && big[i] < len - 1)
			return big[i];
	return k < len - 1 ? len - 1 : len + 1;
}

void sf_check(const struct sf_target *t, const char *in, size_t len, const char *want)
{
	char *one = t->run(in, len, len, t->cfg);
	size_t k;

	if (strcmp(one, want) != 0)
		fail_msg("one read:\n got: %s\nwant: %s", one, want);
	for (k = 1; k <= len; k = next_k(k, len, t->full_sweep_max)) {
		char *got = t->run(in, len, k, t->cfg);

		if (strcmp(got, one) != 0)
			fail_msg("%zu bytes per read:\n got: %s\nwant: %s", k, got, one);
		free(got);
	}
	free(one);
}

void sf_check_repeat(const struct sf_target *t, const char *head, char fill, size_t n,
		     const char *tail, const char *want)
{
	char *s = sf_repeat(head, fill, n, tail);

	sf_check(t, s, strlen(s), want);
	free(s);
}
