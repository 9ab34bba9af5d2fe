/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A glance at a request before it is parsed: its first key and its length,
 * for prefetching (the worker loads the key's bucket and item while it
 * works on other requests). Only the common shapes are recognised; anything
 * else, or a request not yet whole, says "don't know" (0). A peek decides
 * nothing: the parsers alone say what a request means.
 */
#ifndef SS_PROTO_REQ_PEEK_H
#define SS_PROTO_REQ_PEEK_H

#include <stddef.h>

#include "dataplane/proto/arg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A RESP multibulk request at p: its length in bytes with *key = its
 * second argument (the key of GET, SET, INCR ...), or 0. */
size_t resp_peek_key(const char *p, size_t n, struct ss_arg *key);

/* A memcached text request at p: its length in bytes, data block
 * included, with *key = its second token (the key of get, set, mg, ms
 * ...), or 0. */
size_t mc_peek_key(const char *p, size_t n, struct ss_arg *key);

#ifdef __cplusplus
}
#endif

#endif
