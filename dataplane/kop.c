/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/kop.h"

#include "platform/clock.h"
#include "platform/status.h"
#include "storage/shard.h"

void kop_exec_local(struct shard *s, const struct kop *op, struct kop_result *res)
{
	int64_t now = clock_unix_ms();
	struct item *it;

	res->status = 0;
	res->flags = 0;
	res->cas = 0;
	res->val.p = NULL;
	res->val.len = 0;
	switch (op->kind) {
	case KOP_GET:
		if ((it = shard_get_local(s, op->key.p, op->key.len, now)) != NULL) {
			res->status = 1;
			res->flags = item_flags(it);
			res->cas = item_cas(it);
			res->val.p = item_value(it);
			res->val.len = item_vlen(it);
		}
		break;
	case KOP_SET:
		/* memcached: a negative exptime stores an item that is already
		 * expired, i.e. the key reads as missing from now on. */
		if (op->expire_ms < 0) {
			shard_del_local(s, op->key.p, op->key.len, now);
			res->status = SS_OK;
			break;
		}
		res->status = shard_set_local(s, op->key.p, op->key.len, op->val.p,
					      op->val.len, op->flags, op->expire_ms);
		break;
	case KOP_DEL:
		res->status = shard_del_local(s, op->key.p, op->key.len, now);
		break;
	}
}
