/* SPDX-License-Identifier: BSD-3-Clause */
/* MSETNX: all-or-nothing over keys that may live on several workers. */
#include <stdlib.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_group.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_keys.h"
#include "dataplane/kop_string.h"
#include "dataplane/steer.h"

/*
 * MSETNX is all-or-nothing. When every key has one owner (one key, or keys
 * sharing a {hash tag}, as Redis Cluster requires anyway) it is one kop
 * and atomic. Otherwise keys are claimed one at a time with SET NX, in the
 * order of their bytes; the first key that exists stops the claiming, and
 * the keys already claimed are deleted again, each only if its CAS is still
 * the one our write gave it (so a newer write by someone else survives).
 *
 * What this gives: the end state is all or nothing, and a key that existed
 * is never overwritten. Claiming in one global order is what lock ordering
 * gives locks: among MSETNX calls that collide only with each other, the
 * one holding the highest contested key is blocked by nobody, so at least
 * one of them succeeds (with argument order, two calls could each block the
 * other and both answer 0). What is not given is isolation: between a claim
 * and its undo another client can read a claimed key, and a failed MSETNX
 * can make a concurrent SETNX of one of its keys fail. A key given twice
 * keeps its last value, as in Redis.
 *
 * c->acc: 0 claiming, 1 a key existed (undoing), 2 out of memory (undoing).
 * c->stash: [u32 order[npairs]] the pairs by key bytes (then position),
 * then the CAS of each pair claimed so far, in that order (0 = skipped).
 */
enum { MSETNX_CLAIMING = 0, MSETNX_EXISTED = 1, MSETNX_OOM = 2 };

static bool one_owner(struct conn *c)
{
	unsigned owner = steer_owner(ARGV(c, 1));

	for (uint32_t j = 3; j < ARGC(c); j += 2)
		if (steer_owner(ARGV(c, j)) != owner)
			return false;
	return true;
}

static const struct ss_arg *pair_key(struct conn *c, uint32_t pair)
{
	return ARGV(c, 2 * pair + 1);
}

static int key_cmp(const struct ss_arg *a, const struct ss_arg *b)
{
	int d = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

	return d != 0 ? d : (a->len > b->len) - (a->len < b->len);
}

static int pair_cmp(const void *x, const void *y, void *arg)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int d = key_cmp(pair_key(arg, a), pair_key(arg, b));

	return d != 0 ? d : (a > b) - (a < b);
}

/* The claiming order, built into the stash on the first ask. */
static const uint32_t *claim_order(struct conn *c, uint32_t npairs)
{
	size_t len = npairs * sizeof(uint32_t);

	if (buf_len(&c->stash) == 0) {
		if (buf_reserve(&c->stash, len) < 0)
			return NULL;
		uint32_t *o = (uint32_t *)buf_wptr(&c->stash);
		for (uint32_t j = 0; j < npairs; j++)
			o[j] = j;
		qsort_r(o, npairs, sizeof(*o), pair_cmp, c);
		c->stash.wpos += len;
	}
	return (const uint32_t *)buf_rptr(&c->stash);
}

static void kop_nop(struct shard *s, const struct kop *op, struct kop_result *res, int64_t now_ms)
{
	(void)s;
	(void)op;
	(void)now_ms;
	res->status = 1;
}

int cmd_msetnx_plan(struct conn *c, uint32_t i, struct kop *op)
{
	uint32_t npairs = (ARGC(c) - 1) / 2, claimed, pair;
	const uint32_t *order;
	const char *cas;

	if (ARGC(c) % 2 == 0)
		return 1;
	if (one_owner(c)) {
		/* All the pairs in one kop (one group: one owner). */
		if (i > 0 || cmd_group_plan(c, 1, 2, 0, 0, op) != 0)
			return 1;
		op->fn = kop_str_msetnx;
		return 0;
	}
	if ((order = claim_order(c, npairs)) == NULL) {
		c->stash.enomem = 1;
		return 1;
	}
	cas = buf_rptr(&c->stash) + npairs * sizeof(uint32_t);
	claimed = (uint32_t)((buf_len(&c->stash) - npairs * sizeof(uint32_t)) / sizeof(uint64_t));
	if (c->acc == MSETNX_CLAIMING) {
		if (i >= npairs)
			return 1;
		pair = order[i];
		op->key = *pair_key(c, pair);
		op->val = *ARGV(c, 2 * pair + 2);
		/* Equal keys are neighbours in the order; the last one's value wins. */
		op->fn = i + 1 < npairs && key_cmp(&op->key, pair_key(c, order[i + 1])) == 0 ?
			 kop_nop : kop_str_set;
		op->mode = KSET_NX | KSET_RETCAS;
		return 0;
	}
	/* Undo: the pairs claimed, after the kop that stopped the claiming. */
	if (i < claimed + 1 || i - (claimed + 1) >= claimed)
		return 1;
	i -= claimed + 1;
	op->fn = kop_key_del_cas;
	op->key = *pair_key(c, order[i]);
	memcpy(&op->cas, cas + i * sizeof(uint64_t), sizeof(uint64_t));
	return 0;
}

void cmd_msetnx_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	uint64_t cas = op->fn == kop_nop ? 0 : r->cas;

	(void)i;
	if (op->fn == kop_str_msetnx)
		c->acc = r->status == 1 ? MSETNX_CLAIMING :
			 r->status == 0 ? MSETNX_EXISTED : MSETNX_OOM;
	else if (c->acc != MSETNX_CLAIMING)
		return;   /* an undo */
	else if (r->status == 0)
		c->acc = MSETNX_EXISTED;
	else if (r->status < 0)
		c->acc = MSETNX_OOM;
	else
		buf_append(&c->stash, &cas, sizeof(cas));
}

void cmd_msetnx_finish(struct conn *c)
{
	if (ARGC(c) % 2 == 0)
		resp_error(&c->w, "ERR wrong number of arguments for 'msetnx' command");
	else if (c->stash.enomem || c->acc == MSETNX_OOM)
		resp_error(&c->w, E_OOM);
	else
		resp_int(&c->w, c->acc == MSETNX_CLAIMING);
}
