/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/cmd_group.h"

#include <stdbool.h>
#include <string.h>

#include "dataplane/kop_string.h"
#include "dataplane/steer.h"

#define MAX_OWNERS 256   /* worker ids fit a byte (storage/slot.c) */

int cmd_group_plan(struct conn *c, uint32_t first, uint32_t step, uint32_t i, size_t keep,
		   struct kop *op)
{
	bool seen[MAX_OWNERS] = { false };
	static const struct ss_arg none = { "", 0 };
	uint32_t argc = c->resp.argc, n = 0, j;
	unsigned owner = 0;

	/* The i-th distinct owner, in order of first appearance. */
	for (j = first; j < argc; j += step) {
		unsigned w = steer_owner(&c->resp.argv[j]);
		if (seen[w])
			continue;
		seen[w] = true;
		if (n++ == i) {
			owner = w;
			break;
		}
	}
	if (j >= argc)
		return 1;
	/* Rebuilt on every ask: asking again gives the same kop. */
	c->stash.wpos = c->stash.rpos + keep;
	op->key = c->resp.argv[j];
	for (; j < argc; j += step)
		if (steer_owner(&c->resp.argv[j]) == owner)
			kop_pairs_put(&c->stash, &c->resp.argv[j],
				      step == 2 ? &c->resp.argv[j + 1] : &none);
	if (c->stash.enomem)
		return 1;
	op->val.p = buf_rptr(&c->stash) + keep;
	op->val.len = buf_len(&c->stash) - keep;
	return 0;
}
