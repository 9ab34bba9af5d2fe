/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/kop_scratch.h"

#include <pthread.h>
#include <stdlib.h>

/* Big results (KEYS) should not pin memory: past this the buffer is let go
 * when the next kop asks for it. */
#define SCRATCH_KEEP (256 * 1024)

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	struct buf *b = p;

	buf_fini(b);
	free(b);
}

static void make_key(void)
{
	/* A key with a destructor rather than a bare __thread pointer, so
	 * each worker's buffer is freed when the worker exits. */
	(void)pthread_key_create(&key, scratch_free);
}

struct buf *kop_scratch(void)
{
	static struct buf fallback;   /* only if the per-thread one cannot be had */
	struct buf *b;

	pthread_once(&once, make_key);
	b = pthread_getspecific(key);
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL || pthread_setspecific(key, b) != 0) {
			free(b);
			b = &fallback;
			b->enomem = 1;
			return b;
		}
		buf_init(b);
	}
	if (b->cap > SCRATCH_KEEP)
		buf_fini(b);
	b->rpos = b->wpos = 0;
	b->enomem = 0;
	return b;
}
