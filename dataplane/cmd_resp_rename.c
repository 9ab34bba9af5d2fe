/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RENAME and RENAMENX (Redis 7.0 db.c renameGenericCommand). Both keys on
 * one owner: one kop, atomic. On two owners: read the source (kop 0), write
 * the target with the source's value, flags and expiry (kop 1, NX for
 * RENAMENX), delete the source if its CAS is still the one read (kop 2).
 * Not atomic: between kop 0 and kop 2 another client can see the value
 * under both names, and a write to the source after kop 0 is kept (the
 * source is then not deleted), which reads as that write happening right
 * after the rename.
 */
#include <errno.h>

#include "dataplane/cmd_args.h"
#include "dataplane/cmd_resp_data.h"
#include "dataplane/kop_keys.h"
#include "dataplane/kop_string.h"
#include "dataplane/steer.h"

/*
 * c->acc: 0 going on, 1 no such key, 2 not done (NX), 3 out of memory.
 * c->stash: the source's flags, expiry and CAS, then its value.
 */
enum { REN_GOING = 0, REN_NOKEY, REN_NX, REN_OOM };

struct ren_head {
	uint32_t flags;
	int64_t expire_ms;
	uint64_t cas;
};

static bool is_nx(struct conn *c)
{
	return strcmp(c->cmd->name, "renamenx") == 0;
}

int cmd_rename_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct ss_arg *src = ARGV(c, 1), *dst = ARGV(c, 2);
	struct ren_head h;

	if (c->acc != REN_GOING)
		return 1;
	if (arg_eq(src, dst) || steer_owner(src) == steer_owner(dst)) {
		if (i > 0)
			return 1;
		/* The same key: Redis only checks that it exists. */
		op->fn = arg_eq(src, dst) ? kop_key_exists : kop_key_rename;
		op->key = *src;
		op->val = *dst;
		op->mode = is_nx(c) ? KSET_NX : 0;
		return 0;
	}
	switch (i) {
	case 0:
		op->fn = kop_get;
		op->key = *src;
		return 0;
	case 1:
		memcpy(&h, buf_rptr(&c->stash), sizeof(h));
		op->fn = kop_str_set;
		op->key = *dst;
		op->val.p = buf_rptr(&c->stash) + sizeof(h);
		op->val.len = buf_len(&c->stash) - sizeof(h);
		op->flags = h.flags;
		op->expire_ms = h.expire_ms;
		op->mode = is_nx(c) ? KSET_NX : 0;
		return 0;
	case 2:
		memcpy(&h, buf_rptr(&c->stash), sizeof(h));
		op->fn = kop_key_del_cas;
		op->key = *src;
		op->cas = h.cas;
		return 0;
	default:
		return 1;
	}
}

void cmd_rename_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r)
{
	struct ren_head h;

	if (op->fn == kop_key_exists) {
		c->acc = r->status == 1 ? (is_nx(c) ? REN_NX : REN_GOING) : REN_NOKEY;
	} else if (op->fn == kop_key_rename) {
		c->acc = r->status == 1 ? REN_GOING : r->status == 0 ? REN_NX :
			 r->status == -ENOENT ? REN_NOKEY : REN_OOM;
	} else if (i == 0) {
		if (r->status != 1) {
			c->acc = REN_NOKEY;
			return;
		}
		h.flags = r->flags;
		h.expire_ms = r->expire_ms;
		h.cas = r->cas;
		buf_append(&c->stash, &h, sizeof(h));
		buf_append(&c->stash, r->val.p, r->val.len);
		if (c->stash.enomem)
			c->acc = REN_OOM;
	} else if (i == 1 && r->status != 1) {
		c->acc = r->status == 0 ? REN_NX : REN_OOM;
	}
}

void cmd_rename_finish(struct conn *c)
{
	switch (c->acc) {
	case REN_GOING:
		is_nx(c) ? resp_int(&c->w, 1) : resp_simple(&c->w, "OK");
		break;
	case REN_NOKEY:
		resp_error(&c->w, "ERR no such key");
		break;
	case REN_NX:
		resp_int(&c->w, 0);
		break;
	default:
		resp_error(&c->w, E_OOM);
	}
}
