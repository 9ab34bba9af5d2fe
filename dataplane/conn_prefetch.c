/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the keys of waiting requests before they run. On a shard bigger
 * than the caches a GET or SET waits on two DRAM misses (the key's bucket,
 * then its item); one request after another, they add up. Peeked ahead
 * (dataplane/proto/req_peek.h) the loads of many requests are in flight at
 * once: first every bucket, then, once those have had time to arrive, every
 * item the buckets point to. Two places know what waits: the I/O backend,
 * which has a burst of connections with one new request each (pipeline 1),
 * and a connection whose input holds a pipeline.
 */
#include "dataplane/conn_priv.h"
#include "dataplane/proto/req_peek.h"
#include "dataplane/steer.h"
#include "storage/shard.h"
#include "storage/storage.h"

/* Requests of one connection's pipeline loaded ahead at once: with the two
 * lines of a bucket and one of an item each, well inside L1. */
#define PIPELINE_AHEAD 16

static size_t peek(const struct conn *c, const char *p, size_t n, struct ss_arg *key)
{
	return c->proto == PROTO_RESP ? resp_peek_key(p, n, key) : mc_peek_key(p, n, key);
}

/* The shard to load from: this worker's, when it outgrew the caches. */
static struct shard *large_shard(const struct conn *c)
{
	struct shard *s = storage_shard(c->worker);

	return s != NULL && shard_is_large(s) ? s : NULL;
}

/* Up to max requests from the front of c's input: their buckets, or with
 * `items` their items. Returns how many were peeked. */
static unsigned load(const struct conn *c, struct shard *s, unsigned max, bool items)
{
	const char *p = buf_rptr(&c->in);
	size_t n = buf_len(&c->in), len;
	struct ss_arg key;
	unsigned i;

	if (c->swallow > 0 || c->fl_n > 0)
		return 0;
	for (i = 0; i < max && (len = peek(c, p, n, &key)) > 0; i++, p += len, n -= len) {
		if (steer_owner(&key) != c->worker)
			continue;
		if (items)
			shard_prefetch_item(s, key.p, key.len);
		else
			shard_prefetch(s, key.p, key.len);
	}
	return i;
}

void conn_prefetch_first_local(struct conn *c, bool items)
{
	struct shard *s = large_shard(c);

	if (s != NULL)
		load(c, s, 1, items);
}

unsigned conn_prefetch_pipeline_local(struct conn *c)
{
	struct shard *s = large_shard(c);
	struct ss_arg key;
	unsigned n;

	/* One request alone was loaded by the backend with its burst. */
	if (s == NULL || peek(c, buf_rptr(&c->in), buf_len(&c->in), &key) == buf_len(&c->in))
		return 0;
	if ((n = load(c, s, PIPELINE_AHEAD, false)) > 1)
		load(c, s, PIPELINE_AHEAD, true);
	return n;
}
