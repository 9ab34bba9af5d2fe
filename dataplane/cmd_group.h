/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multi-key commands grouped by owner: one kop per worker that owns some
 * of the keys, carrying all of that worker's keys (MSET, DEL, UNLINK,
 * EXISTS, TOUCH). One round trip per owner instead of per key, and what
 * one kop does on its owner is atomic. Inside the dataplane only.
 */
#ifndef SS_DATAPLANE_CMD_GROUP_H
#define SS_DATAPLANE_CMD_GROUP_H

#include "dataplane/conn_priv.h"

/*
 * Kop i of a grouped plan over the keys at argv[first], argv[first+step],
 * ...: the i-th owner in order of first appearance. op->key is that
 * owner's first key (so the kop goes there), op->val its keys in argument
 * order as kop_pairs_put() pairs (with the value after each key when step
 * is 2, empty when 1), built in c->stash after its first `keep` bytes
 * (what the command gathered so far; the rest is dropped). Returns 0, or 1
 * when there is no group i (or no memory: c->stash.enomem is then set).
 */
int cmd_group_plan(struct conn *c, uint32_t first, uint32_t step, uint32_t i, size_t keep,
		   struct kop *op);

#endif
