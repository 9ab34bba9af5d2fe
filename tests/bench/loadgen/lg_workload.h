/* SPDX-License-Identifier: BSD-3-Clause */
/* What to ask next: GET or SET by the --ratio weights, and which key, by
 * --key-pattern. Drawn per connection from its own PRNG; no shared state. */
#ifndef SS_LOADGEN_WORKLOAD_H
#define SS_LOADGEN_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "lg_proto.h"
#include "lg_rand.h"
#include "lg_zipf.h"

#ifdef __cplusplus
extern "C" {
#endif

enum lg_pattern { LG_KEYS_UNIFORM, LG_KEYS_ZIPF, LG_KEYS_SEQUENTIAL };

struct lg_workload {
	unsigned set_w, get_w;     /* --ratio SET:GET */
	uint64_t nkeys;
	enum lg_pattern pattern;
	struct lg_zipf zipf;
	char prefix[64];
	size_t prefix_len;
};

/* Per connection: its PRNG, and for the sequential pattern where it is. */
struct lg_draw {
	struct lg_rand rand;
	uint64_t seq, stride;
};

/* 0 or -EINVAL. */
int lg_workload_init(struct lg_workload *w, unsigned set_w, unsigned get_w, uint64_t nkeys,
		     enum lg_pattern pattern, double theta, const char *prefix);
/* Connection `index` of `count`: the sequential pattern walks index, index +
 * count, ... so that the connections together cover every key once. */
void lg_draw_init(struct lg_draw *d, uint64_t seed, uint64_t index, uint64_t count);

static inline enum lg_op lg_next_op(const struct lg_workload *w, struct lg_draw *d)
{
	return lg_rand_below(&d->rand, w->set_w + w->get_w) < w->set_w ? LG_SET : LG_GET;
}

static inline uint64_t lg_next_key(const struct lg_workload *w, struct lg_draw *d)
{
	uint64_t k;

	switch (w->pattern) {
	case LG_KEYS_ZIPF:
		return lg_zipf_next(&w->zipf, &d->rand);
	case LG_KEYS_SEQUENTIAL:
		k = d->seq % w->nkeys;
		d->seq += d->stride;
		return k;
	default:
		return lg_rand_below(&d->rand, w->nkeys);
	}
}

/* The key's name, prefix + decimal index, at out (room for prefix + 20). */
size_t lg_key_name(const struct lg_workload *w, uint64_t key, char *out);

#ifdef __cplusplus
}
#endif

#endif
