/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RESP data commands (cmd_resp_string.c, cmd_resp_msetnx.c,
 * cmd_resp_keys.c, cmd_resp_rename.c, cmd_resp_iter.c) as the
 * command table in cmd_resp.c names them: CMD_FNS(x) is x's plan, emit and
 * finish. Commands that share code share functions, under their own names.
 */
#ifndef SS_DATAPLANE_CMD_RESP_DATA_H
#define SS_DATAPLANE_CMD_RESP_DATA_H

#include "dataplane/conn_priv.h"

#define CMD_FNS(x) .plan = cmd_##x##_plan, .emit = cmd_##x##_emit, .finish = cmd_##x##_finish

#define CMD_DECL(x) \
	int cmd_##x##_plan(struct conn *c, uint32_t i, struct kop *op); \
	void cmd_##x##_emit(struct conn *c, uint32_t i, const struct kop *op, \
			    const struct kop_result *r); \
	void cmd_##x##_finish(struct conn *c);

/* The functions that exist; the aliases below map the rest onto them. */
int cmd_get_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_get_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
CMD_DECL(mget)
CMD_DECL(set)
int cmd_getdel_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_getdel_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
CMD_DECL(getex)
CMD_DECL(mset)
CMD_DECL(msetnx)
int cmd_append_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_append_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
int cmd_setrange_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_setrange_finish(struct conn *c);
CMD_DECL(getrange)
int cmd_strlen_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_strlen_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
CMD_DECL(incr)
CMD_DECL(incrbyfloat)
CMD_DECL(count)
int cmd_type_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_type_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
int cmd_expire_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_expire_finish(struct conn *c);
void cmd_status_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
int cmd_ttl_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_ttl_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
int cmd_persist_plan(struct conn *c, uint32_t i, struct kop *op);
CMD_DECL(rename)
CMD_DECL(keys)
CMD_DECL(scan)
CMD_DECL(randomkey)

#define cmd_get_finish NULL
#define cmd_setnx_plan cmd_set_plan
#define cmd_setnx_emit cmd_set_emit
#define cmd_setnx_finish cmd_set_finish
#define cmd_setex_plan cmd_set_plan
#define cmd_setex_emit cmd_set_emit
#define cmd_setex_finish cmd_set_finish
#define cmd_psetex_plan cmd_set_plan
#define cmd_psetex_emit cmd_set_emit
#define cmd_psetex_finish cmd_set_finish
#define cmd_getset_plan cmd_set_plan
#define cmd_getset_emit cmd_set_emit
#define cmd_getset_finish cmd_set_finish
#define cmd_getdel_finish NULL
#define cmd_append_finish NULL
#define cmd_setrange_emit cmd_append_emit
#define cmd_strlen_finish NULL
#define cmd_decr_plan cmd_incr_plan
#define cmd_decr_emit cmd_incr_emit
#define cmd_decr_finish cmd_incr_finish
#define cmd_incrby_plan cmd_incr_plan
#define cmd_incrby_emit cmd_incr_emit
#define cmd_incrby_finish cmd_incr_finish
#define cmd_decrby_plan cmd_incr_plan
#define cmd_decrby_emit cmd_incr_emit
#define cmd_decrby_finish cmd_incr_finish
#define cmd_del_plan cmd_count_plan
#define cmd_del_emit cmd_count_emit
#define cmd_del_finish cmd_count_finish
#define cmd_unlink_plan cmd_count_plan
#define cmd_unlink_emit cmd_count_emit
#define cmd_unlink_finish cmd_count_finish
#define cmd_exists_plan cmd_count_plan
#define cmd_exists_emit cmd_count_emit
#define cmd_exists_finish cmd_count_finish
#define cmd_touch_plan cmd_count_plan
#define cmd_touch_emit cmd_count_emit
#define cmd_touch_finish cmd_count_finish
#define cmd_type_finish NULL
#define cmd_expire_emit cmd_status_emit
#define cmd_pexpire_plan cmd_expire_plan
#define cmd_pexpire_emit cmd_status_emit
#define cmd_pexpire_finish cmd_expire_finish
#define cmd_expireat_plan cmd_expire_plan
#define cmd_expireat_emit cmd_status_emit
#define cmd_expireat_finish cmd_expire_finish
#define cmd_pexpireat_plan cmd_expire_plan
#define cmd_pexpireat_emit cmd_status_emit
#define cmd_pexpireat_finish cmd_expire_finish
#define cmd_ttl_finish NULL
#define cmd_pttl_plan cmd_ttl_plan
#define cmd_pttl_emit cmd_ttl_emit
#define cmd_pttl_finish NULL
#define cmd_expiretime_plan cmd_ttl_plan
#define cmd_expiretime_emit cmd_ttl_emit
#define cmd_expiretime_finish NULL
#define cmd_pexpiretime_plan cmd_ttl_plan
#define cmd_pexpiretime_emit cmd_ttl_emit
#define cmd_pexpiretime_finish NULL
#define cmd_persist_emit cmd_status_emit
#define cmd_persist_finish NULL
#define cmd_renamenx_plan cmd_rename_plan
#define cmd_renamenx_emit cmd_rename_emit
#define cmd_renamenx_finish cmd_rename_finish

#endif
