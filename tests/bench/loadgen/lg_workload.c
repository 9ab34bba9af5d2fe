/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_workload.h"

#include <errno.h>
#include <string.h>

#include "platform/fmt.h"

int lg_workload_init(struct lg_workload *w, unsigned set_w, unsigned get_w, uint64_t nkeys,
		     enum lg_pattern pattern, double theta, const char *prefix)
{
	size_t pl = strlen(prefix);

	memset(w, 0, sizeof(*w));
	if (set_w + get_w == 0 || nkeys == 0 || pl >= sizeof(w->prefix))
		return -EINVAL;
	w->set_w = set_w;
	w->get_w = get_w;
	w->nkeys = nkeys;
	w->pattern = pattern;
	memcpy(w->prefix, prefix, pl + 1);
	w->prefix_len = pl;
	if (pattern == LG_KEYS_ZIPF)
		return lg_zipf_init(&w->zipf, nkeys, theta);
	return 0;
}

void lg_draw_init(struct lg_draw *d, uint64_t seed, uint64_t index, uint64_t count)
{
	lg_rand_seed(&d->rand, seed ^ (index + 1) * 0xd1b54a32d192ed03ull);
	d->seq = index;
	d->stride = count ? count : 1;
}

size_t lg_key_name(const struct lg_workload *w, uint64_t key, char *out)
{
	memcpy(out, w->prefix, w->prefix_len);
	return w->prefix_len + fmt_u64(out + w->prefix_len, key);
}
