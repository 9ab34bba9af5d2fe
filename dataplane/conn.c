/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/conn_priv.h"
#include "dataplane/proto/resp_reply.h"
#include "dataplane/steer.h"
#include "platform/status.h"
#include "storage/storage.h"

static uint64_t next_id = 1;   /* CLIENT ID: unique across workers */

struct conn *conn_create(enum proto p, unsigned worker, conn_kick_fn kick, void *io)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	c->proto = p;
	c->worker = worker;
	c->kick = kick;
	c->io = io;
	buf_init(&c->in);
	buf_init(&c->out);
	c->w.b = &c->out;
	conn_resp_reset(c);
	resp_req_init(&c->resp);
	mc_req_init(&c->mc);
	return c;
}

static void conn_free(struct conn *c)
{
	buf_fini(&c->in);
	buf_fini(&c->out);
	resp_req_fini(&c->resp);
	mc_req_fini(&c->mc);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	free(c);
}

void conn_release(struct conn *c)
{
	c->released = true;
	if (!c->away)
		conn_free(c);
}

struct buf *conn_in(struct conn *c) { return &c->in; }
struct buf *conn_out(struct conn *c) { return &c->out; }
uint64_t conn_id(const struct conn *c) { return c->id; }

bool conn_wants_input(const struct conn *c)
{
	return !c->away && !c->closing && buf_len(&c->out) < CONN_OUT_HIGH;
}

bool conn_wants_close(const struct conn *c)
{
	return c->closing || c->in.enomem || c->out.enomem;
}

/* What parsing one request gave. */
enum parsed {
	PARSED_NONE = 0,             /* bytes consumed, no command (empty, or an error replied) */
	PARSED_NEED = SS_NEED_MORE,  /* wait for c->need bytes */
	PARSED_CMD = 2,              /* c->cmd is ready to run */
};

/* RESP: one request into c->cmd. */
static enum parsed parse_resp(struct conn *c, size_t *consumed)
{
	const char *err = NULL;
	int rc = resp_parse(&c->resp, buf_rptr(&c->in), buf_len(&c->in), consumed, &err);

	if (rc == SS_NEED_MORE) {
		c->need = c->resp.need;
		return PARSED_NEED;
	}
	if (rc < 0) {
		/* Redis answers a protocol error and closes the connection. */
		if (rc == -EPROTO)
			resp_error(&c->w, "ERR %s", err);
		c->closing = true;
		return PARSED_NONE;
	}
	if (c->resp.argc == 0)
		return PARSED_NONE;
	c->cmd = cmd_resp_lookup(&c->resp.argv[0]);
	if (c->cmd == NULL ||
	    (c->cmd->arity > 0 && c->resp.argc != (uint32_t)c->cmd->arity) ||
	    (c->cmd->arity < 0 && c->resp.argc < (uint32_t)-c->cmd->arity)) {
		cmd_resp_reject(c, c->cmd);
		return PARSED_NONE;
	}
	/* Redis checks the command and its arity first, then AUTH. */
	if (!cmd_resp_auth_ok(c, c->cmd))
		return PARSED_NONE;
	return PARSED_CMD;
}

static enum parsed parse_mc(struct conn *c, size_t *consumed)
{
	const char *err = NULL;
	int rc = mc_parse(&c->mc, buf_rptr(&c->in), buf_len(&c->in), consumed, &err);

	switch (rc) {
	case SS_NEED_MORE:
		c->need = c->mc.need;
		return PARSED_NEED;
	case SS_OK:
		if ((c->cmd = cmd_mc_lookup(c->mc.cmd)) != NULL)
			return PARSED_CMD;
		/* A command we do not serve reads as unknown. */
		__attribute__((fallthrough));
	case -ENOENT:
		buf_append(&c->out, "ERROR\r\n", 7);
		return PARSED_NONE;
	case -E2BIG:
		/* Discard the value as it arrives; the reply (and, for set, the
		 * unlink of the old value) is a command of its own. Assigned, not
		 * added: a re-parse after a kop comes back sets the same value. */
		c->swallow = c->mc.swallow;
		c->cmd = cmd_mc_too_large();
		return PARSED_CMD;
	case -EINVAL:
		/* A meta set with bad flags: its data block is discarded unread. */
		c->swallow = c->mc.swallow;
		/* memcached mutes even its error replies under noreply. */
		if (!c->mc.noreply)
			buf_appendf(&c->out, "%s\r\n", err);
		return PARSED_NONE;
	case -EPROTO:
		/* A line too long to be a command: memcached closes without a
		 * word (err only names the reason). */
	default:
		c->closing = true;
		return PARSED_NONE;
	}
}

static void reply_arrived(struct conn *c, const struct kop_result *res);

/* Kop i of c's plan into op (zeroed first: plans set only what their kind
 * uses; target -1 routes by key). Returns 0, or 1 when there is none. */
static int plan_kop(struct conn *c, uint32_t i, struct kop *op)
{
	memset(op, 0, sizeof(*op));
	op->target = -1;
	return c->cmd->plan == NULL ? 1 : c->cmd->plan(c, i, op);
}

/* Run the plan of c->cmd from c->op_next. Returns true when the request is
 * complete, false when a kop went to another worker. */
static bool run_plan(struct conn *c)
{
	struct kop op;
	struct kop_result res;

	while (plan_kop(c, c->op_next, &op) == 0) {
		unsigned owner = op.target >= 0 ? (unsigned)op.target : steer_owner(&op.key);
		if (owner != c->worker) {
			if (steer_send(c->worker, owner, c, &op, reply_arrived) < 0) {
				c->out.enomem = 1;   /* cannot answer in order: drop */
				return true;
			}
			c->away = true;
			return false;
		}
		kop_exec_local(storage_shard(c->worker), &op, &res);
		c->cmd->emit(c, c->op_next++, &op, &res);
	}
	if (c->cmd->finish != NULL)
		c->cmd->finish(c);
	return true;
}

static enum parsed parse_one(struct conn *c, size_t *consumed)
{
	return c->proto == PROTO_RESP ? parse_resp(c, consumed) : parse_mc(c, consumed);
}

void conn_process_local(struct conn *c)
{
	while (conn_wants_input(c) && !conn_wants_close(c)) {
		size_t len = buf_len(&c->in), consumed = 0;
		enum parsed rc;

		if (c->swallow > 0) {
			size_t n = len < c->swallow ? len : c->swallow;
			buf_consume(&c->in, n);
			c->swallow -= n;
			if (c->swallow > 0)
				break;
			continue;
		}
		if (len == 0 || len < c->need)
			break;
		c->need = 0;
		if ((rc = parse_one(c, &consumed)) == PARSED_NEED)
			break;
		if (rc == PARSED_CMD) {
			c->req_len = consumed;
			c->op_next = 0;
			c->acc = 0;
			if (!run_plan(c))
				break;   /* resumes in reply_arrived() */
		}
		buf_consume(&c->in, consumed);
	}
	buf_shrink_if_idle(&c->in);
}

/* A kop's result is back from its owner: emit it and go on with the plan. */
static void reply_arrived(struct conn *c, const struct kop_result *res)
{
	struct kop op;
	size_t consumed = 0;

	c->away = false;
	if (c->released) {
		conn_free(c);
		return;
	}
	if (res == NULL) {   /* dropped at shutdown */
		c->closing = true;
		return;
	}
	/* The request is still at the front of `in`: parse it again to get its
	 * arguments back (the buffer may have moved, the bytes did not). */
	if (parse_one(c, &consumed) != PARSED_CMD || consumed != c->req_len ||
	    plan_kop(c, c->op_next, &op) != 0) {
		c->closing = true;   /* cannot happen unless `in` was corrupted */
		c->kick(c, c->io);
		return;
	}
	c->cmd->emit(c, c->op_next++, &op, res);
	if (run_plan(c)) {
		buf_consume(&c->in, consumed);
		conn_process_local(c);
	}
	c->kick(c, c->io);
}
