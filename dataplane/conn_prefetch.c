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

/* Whether c's input starts with a request (not a data block being
 * discarded, nor behind a flight's replies). */
static bool request_first(const struct conn *c)
{
	return c->swallow == 0 && c->fl_n == 0;
}

/* The first request's length and key, peeked once for the three looks at
 * it (bucket, item, the pipeline check): the input only grows between them,
 * and then it is peeked again. */
static size_t peek_first(struct conn *c, struct ss_arg *key)
{
	const char *p = buf_rptr(&c->in);
	size_t n = buf_len(&c->in);

	if (p != c->pk_at || n != c->pk_n) {
		c->pk_at = p;
		c->pk_n = n;
		c->pk_len = peek(c, p, n, &c->pk_key);
	}
	*key = c->pk_key;
	return c->pk_len;
}

void conn_prefetch_first_local(struct conn *c, bool items)
{
	struct shard *s = large_shard(c);
	struct ss_arg key;

	if (s == NULL || !request_first(c) || peek_first(c, &key) == 0 ||
	    steer_owner(&key) != c->worker)
		return;
	if (items)
		shard_prefetch_item(s, key.p, key.len);
	else
		shard_prefetch(s, key.p, key.len);
}

unsigned conn_prefetch_pipeline_local(struct conn *c)
{
	struct shard *s = large_shard(c);
	const char *p = buf_rptr(&c->in);
	size_t n = buf_len(&c->in), len;
	struct ss_arg keys[PIPELINE_AHEAD];
	unsigned i, nk = 0;

	if (s == NULL || !request_first(c))
		return 0;
	/* Each request is peeked once: the keys this worker owns are kept for
	 * the item pass (nothing touches the input in between). The first
	 * was likely peeked with the backend's burst already. */
	for (i = 0; i < PIPELINE_AHEAD &&
		    (len = i == 0 ? peek_first(c, &keys[nk]) : peek(c, p, n, &keys[nk])) > 0;
	     i++, p += len, n -= len) {
		if (i == 0 && len == n)
			return 0;   /* one request alone: the backend loaded it with its burst */
		if (steer_owner(&keys[nk]) != c->worker)
			continue;
		shard_prefetch(s, keys[nk].p, keys[nk].len);
		nk++;
	}
	if (i > 1)
		for (unsigned k = 0; k < nk; k++)
			shard_prefetch_item(s, keys[k].p, keys[k].len);
	return i;
}
