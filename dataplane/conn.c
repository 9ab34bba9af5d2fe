/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/conn_priv.h"
#include "dataplane/proto/resp_reply.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/repl.h"
#include "storage/shard.h"
#include "storage/storage.h"

static uint64_t next_id = 1;   /* CLIENT ID: unique across workers */

/* Each worker's connections (CLIENT LIST/KILL walk them on their worker). */
#define CONN_LISTS 256
static struct conn_list {
	struct conn *head;
	struct conn *waiting;   /* those whose kop waits (KOP_TARGET_WAIT) */
} __attribute__((aligned(64))) lists[CONN_LISTS];

struct conn *conn_first_local(unsigned w)
{
	return w < CONN_LISTS ? lists[w].head : NULL;
}

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
	buf_init(&c->stash);
	c->w.b = &c->out;
	c->created_ms = c->last_ms = clock_unix_ms();
	c->created_tsc = clock_tsc();
	if (worker < CONN_LISTS) {
		c->next = lists[worker].head;
		if (c->next != NULL)
			c->next->prev = c;
		lists[worker].head = c;
	}
	conn_resp_reset(c);
	resp_req_init(&c->resp);
	mc_req_init(&c->mc);
	return c;
}

static void conn_free(struct conn *c)
{
	buf_fini(&c->in);
	buf_fini(&c->out);
	buf_fini(&c->stash);
	if (c->fl != NULL)
		for (unsigned i = 0; i < FLIGHT_MAX; i++)
			free(c->fl[i].val);
	free(c->fl);
	if (c->worker < CONN_LISTS) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			lists[c->worker].head = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
	}
	resp_req_fini(&c->resp);
	mc_req_fini(&c->mc);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	free(c->handoff);   /* a SYNC whose socket was never handed over */
	free(c);
}

/* A kop of c is at another worker: its reply must come back before c is
 * freed or closed. */
static bool busy(const struct conn *c)
{
	return c->away || c->fl_away > 0;
}

void conn_release(struct conn *c)
{
	c->released = true;
	if (!busy(c))
		conn_free(c);
}

void conn_set_addrs(struct conn *c, const char *peer, const char *local)
{
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	snprintf(c->laddr, sizeof(c->laddr), "%s", local);
}

void conn_note_rx(struct conn *c, uint64_t tsc) { c->rx_tsc = tsc; }

struct buf *conn_in(struct conn *c) { return &c->in; }
struct buf *conn_out(struct conn *c) { return &c->out; }
uint64_t conn_id(const struct conn *c) { return c->id; }

bool conn_wants_input(const struct conn *c)
{
	return !c->away && !c->closing && buf_len(&c->out) < CONN_OUT_HIGH;
}

bool conn_wants_close(const struct conn *c)
{
	/* Not while a kop is away: the reply it completes must go out first
	 * (CLIENT KILL of the caller itself marks it closing mid-plan). */
	if (busy(c))
		return false;
	return c->closing || c->in.enomem || c->out.enomem;
}

/* What parsing one request gave. */
enum parsed {
	PARSED_NONE = 0,             /* bytes consumed, no command (empty, or an error replied) */
	PARSED_NEED = SS_NEED_MORE,  /* wait for c->need bytes */
	PARSED_CMD = 2,              /* c->cmd is ready to run */
};

/* proto-max-bulk-len, cached per worker until CONFIG SET changes an option
 * (a new limit applies to the next request of every connection, as Redis). */
static __thread unsigned bulk_gen = ~0u;
static __thread long long bulk_max;

static long long max_bulk(void)
{
	if (bulk_gen != opt_generation()) {
		bulk_gen = opt_generation();
		bulk_max = opt_int(OPT_proto_max_bulk_len);
		if (bulk_max <= 0)   /* options not set up (unit tests): the parser's default */
			bulk_max = RESP_BULK_MAX_DEFAULT;
	}
	return bulk_max;
}

/* A replica's primary sent a command this engine does not serve (a hash,
 * a list ...): the replica no longer holds what the primary holds. Counted,
 * and said in the log at most every 10 s, since the reply goes nowhere. */
static void note_unapplied(struct conn *c)
{
	static __thread uint64_t last_ms;
	uint64_t now = clock_mono_ms();
	const struct ss_arg *a = &c->resp.argv[0];

	metric_add_local(METRIC_repl_unapplied, 1);
	if (last_ms != 0 && now - last_ms < 10000)
		return;
	last_ms = now;
	log_warn("Replication: the master sent '%.*s', which is not served here: not applied "
		 "(this replica no longer matches its master; see "
		 "slipstream_replication_unapplied_total)", (int)(a->len < 64 ? a->len : 64), a->p);
}

/* RESP: one request into c->cmd. */
static enum parsed parse_resp(struct conn *c, size_t *consumed)
{
	const char *err = NULL;
	int rc;

	c->resp.max_bulk = max_bulk();
	rc = resp_parse(&c->resp, buf_rptr(&c->in), buf_len(&c->in), consumed, &err);

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
	c->cmd = cmd_resp_lookup_conn(c, &c->resp.argv[0]);
	if (c->cmd == NULL ||
	    (c->cmd->arity > 0 && c->resp.argc != (uint32_t)c->cmd->arity) ||
	    (c->cmd->arity < 0 && c->resp.argc < (uint32_t)-c->cmd->arity)) {
		if (c->repl_master)
			note_unapplied(c);
		if (c->cmd != NULL)
			conn_stat_reject(c, c->cmd);
		cmd_resp_reject(c, c->cmd);
		return PARSED_NONE;
	}
	/* Redis checks the command and its arity first, then AUTH. */
	if (!cmd_resp_sub_ok(c) || !cmd_resp_protected_ok(c)) {
		conn_stat_reject(c, c->cmd);
		return PARSED_NONE;
	}
	if (!cmd_resp_auth_ok(c, c->cmd)) {
		conn_stat_reject(c, c->cmd);
		return PARSED_NONE;
	}
	return PARSED_CMD;
}

#define MC_READONLY "SERVER_ERROR write refused: this node is a read-only replica\r\n"

/* memcached commands that change data (gat/gats and touch change a TTL). */
static bool mc_writes(enum mc_cmd cmd)
{
	switch (cmd) {
	case MC_SET: case MC_ADD: case MC_REPLACE: case MC_APPEND: case MC_PREPEND:
	case MC_CAS: case MC_DELETE: case MC_INCR: case MC_DECR: case MC_TOUCH:
	case MC_GAT: case MC_GATS: case MC_FLUSH_ALL: case MC_MS: case MC_MD: case MC_MA:
		return true;
	default:
		return false;
	}
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

/* steer-reads, cached per worker until CONFIG SET changes an option. */
static __thread unsigned reads_gen = ~0u;
static __thread bool reads_rcu;

/* A read of another worker's key done here under RCU (CREW) when the
 * option says so and the kop has an RCU form; false: send it to the owner.
 * (QSBR: the backends keep their workers online while they process.) */
static bool read_here(const struct kop *op, unsigned owner, struct kop_result *res)
{
	kop_fn fn = kop_rcu_variant(op->fn);
	struct shard *s;

	if (fn == NULL)
		return false;
	if (reads_gen != opt_generation()) {
		reads_gen = opt_generation();
		reads_rcu = opt_enum(OPT_steer_reads) == 0;
	}
	if (!reads_rcu || (s = storage_shard(owner)) == NULL)
		return false;
	memset(res, 0, sizeof(*res));
	fn(s, op, res, clock_unix_ms());
	return true;
}

/* Start loading kop i's key (its bucket, or with `item` the item its tag
 * points to) when this worker owns it. false: the plan has no kop i. */
static bool prefetch_kop(struct conn *c, struct shard *s, uint32_t i, bool item)
{
	struct kop op;

	if (plan_kop(c, i, &op) != 0)
		return false;
	if (op.target >= 0 || steer_owner(&op.key) != c->worker)
		return true;
	if (item)
		shard_prefetch_item(s, op.key.p, op.key.len);
	else
		shard_prefetch(s, op.key.p, op.key.len);
	return true;
}

/* Run the plan of c->cmd from c->op_next. Returns true when the request is
 * complete, false when a kop went to another worker. */
static bool run_plan(struct conn *c)
{
	struct kop op;
	struct kop_result res;
	struct shard *local = NULL;
	/* A multi-key read on a shard bigger than the caches: the buckets
	 * KOP_PREFETCH_AHEAD kops on and the items half as far are loading
	 * while this kop runs, so the DRAM misses overlap. */
	bool pf = (c->cmd->flags & CMD_PREFETCH) && (local = storage_shard(c->worker)) != NULL &&
		  shard_is_large(local);

	/* Kop 0 runs at once, and a one-key plan (most gets) has nothing
	 * ahead: the request's own key came with its pipeline or burst. */
	if (pf && c->op_next == 0)
		for (uint32_t j = 1; j < KOP_PREFETCH_AHEAD; j++)
			if (!prefetch_kop(c, local, j, false)) {
				pf = j > 1;
				break;
			}
	while (plan_kop(c, c->op_next, &op) == 0) {
		if (pf) {
			prefetch_kop(c, local, c->op_next + KOP_PREFETCH_AHEAD, false);
			prefetch_kop(c, local, c->op_next + KOP_PREFETCH_AHEAD / 2, true);
		}
		if (op.target == KOP_TARGET_WAIT) {
			memset(&res, 0, sizeof(res));
			if (c->cmd->wait(c, true, &res) == 0) {
				c->wait_next = lists[c->worker].waiting;
				lists[c->worker].waiting = c;
				c->away = true;
				return false;   /* resumes in conn_poll_waits_local() */
			}
			c->cmd->emit(c, c->op_next++, &op, &res);
			conn_stat_note(c);
			continue;
		}
		unsigned owner = op.target >= 0 ? (unsigned)op.target : steer_owner(&op.key);
		if (owner != c->worker && read_here(&op, owner, &res)) {
			c->cmd->emit(c, c->op_next++, &op, &res);
			conn_stat_note(c);
			continue;
		}
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
		conn_stat_note(c);
	}
	if (c->cmd->finish != NULL)
		c->cmd->finish(c);
	conn_stat_end(c);
	return true;
}

static enum parsed parse_one(struct conn *c, size_t *consumed)
{
	return c->proto == PROTO_RESP ? parse_resp(c, consumed) : parse_mc(c, consumed);
}

/* A replica's data is its primary's: only the stream writes. Checked once,
 * when a request is first parsed (a re-parse after a kop comes back must
 * not refuse what already ran, should the role change meanwhile).
 * Returns true when c->cmd was refused (replied). */
static bool refuse_write(struct conn *c)
{
	if (c->repl_master)
		return false;
	if (c->proto == PROTO_RESP) {
		if (!(c->cmd->flags & CMD_WRITE) || !repl_read_only())
			return false;
		conn_stat_reject(c, c->cmd);
		resp_error(&c->w, "READONLY You can't write against a read only replica.");
		return true;
	}
	if (!mc_writes(c->mc.cmd) || !repl_read_only())
		return false;
	/* memcached has no replicas, so no word for this: a SERVER_ERROR,
	 * which clients read as "not stored, try elsewhere"; muted by
	 * noreply like memcached's own errors */
	if (!c->mc.noreply)
		buf_append(&c->out, MC_READONLY, sizeof(MC_READONLY) - 1);
	return true;
}

/*
 * ---- The flight ----
 *
 * A pipeline of independent one-key commands (CMD_PIPELINED) does not wait
 * for each remote kop's reply before parsing the next request: each
 * request's kop runs here (local key) or is sent to its owner, and the
 * request joins the flight. Replies are written from the head, in request
 * order, as results arrive. Anything else (another command, an error to
 * reply, a full flight) waits until the flight has drained, so replies,
 * connection state and a key's order of operations stay as without it.
 * A GET in the flight goes to its owner as a message, never by an RCU read
 * here, so it sees the pipeline's earlier writes to its key.
 */

static struct flight_ent *fl_at(struct conn *c, unsigned i)
{
	return &c->fl[(c->fl_head + i) % FLIGHT_MAX];
}

static void flight_arrived(struct conn *c, const struct kop_result *res);

/* Keep a kop's result for a later reply: its bytes may live in a shard. */
static bool keep_result(struct flight_ent *e, const struct kop_result *res)
{
	e->res = *res;
	e->val = NULL;
	if (res->val.p != NULL) {
		e->val = malloc(res->val.len ? res->val.len : 1);
		if (e->val == NULL)
			return false;
		memcpy(e->val, res->val.p, res->val.len);
		e->res.val.p = e->val;
	}
	e->done = true;
	return true;
}

/* c->cmd's request of `len` bytes (parsed into c->resp/c->mc) joins the
 * flight: its kop runs now or goes to its owner. false: out of memory. */
static bool flight_add(struct conn *c, size_t len, uint64_t t0, uint64_t t_rx)
{
	struct flight_ent *e;
	struct kop op;
	struct kop_result res;

	if (c->fl == NULL && (c->fl = calloc(FLIGHT_MAX, sizeof(*c->fl))) == NULL)
		goto oom;
	e = &c->fl[c->fl_seq % FLIGHT_MAX];
	e->len = len;
	e->t0 = t0;
	e->t_rx = t_rx;
	e->done = false;
	e->val = NULL;
	c->op_next = 0;
	c->acc = 0;
	if (plan_kop(c, 0, &op) != 0) {
		e->done = true;          /* no kop: the finish replies (an argument error) */
		memset(&e->res, 0, sizeof(e->res));
	} else {
		unsigned owner = op.target >= 0 ? (unsigned)op.target : steer_owner(&op.key);
		if (owner == c->worker) {
			kop_exec_local(storage_shard(c->worker), &op, &res);
			if (!keep_result(e, &res))
				goto oom;
		} else {
			op.tag = c->fl_seq;
			if (steer_send(c->worker, owner, c, &op, flight_arrived) < 0)
				goto oom;
			c->fl_away++;
		}
	}
	c->fl_seq++;
	c->fl_n++;
	c->fl_bytes += len;
	return true;
oom:
	c->out.enomem = 1;   /* cannot answer in order: drop the connection */
	return false;
}

/* Write the replies of the flight's head while they are ready. */
static void flight_drain(struct conn *c)
{
	while (c->fl_n > 0 && fl_at(c, 0)->done) {
		struct flight_ent *e = fl_at(c, 0);
		size_t consumed = 0;
		struct kop op;

		/* The head request is at the front of `in`: parse it again for
		 * its arguments (it passed every check when it joined). */
		if (parse_one(c, &consumed) != PARSED_CMD || consumed != e->len) {
			c->closing = true;   /* cannot happen unless `in` was corrupted */
			return;
		}
		c->op_next = 0;
		c->acc = 0;
		buf_consume(&c->stash, buf_len(&c->stash));
		conn_stat_begin(c);
		c->t0 = e->t0;
		c->t_rx = e->t_rx;
		if (plan_kop(c, 0, &op) == 0) {
			c->cmd->emit(c, c->op_next++, &op, &e->res);
			conn_stat_note(c);
		}
		if (c->cmd->finish != NULL)
			c->cmd->finish(c);
		conn_stat_end(c);
		buf_consume(&c->in, e->len);
		c->fl_bytes -= e->len;
		/* `need` counts from the front of `in`, which just moved: wanting
		 * that many more bytes could wait for bytes that never come.
		 * 0 is always safe (it only saves a re-parse). */
		c->need = 0;
		free(e->val);
		e->val = NULL;
		c->fl_head = (c->fl_head + 1) % FLIGHT_MAX;
		c->fl_n--;
	}
}

enum peek { PEEK_JOIN, PEEK_NEED, PEEK_WAIT };

/* The request after the flight, parsed without replying anything: may it
 * join? (PEEK_WAIT: it must run after the flight drains, errors included.) */
static enum peek flight_peek(struct conn *c, size_t *len)
{
	const char *p = buf_rptr(&c->in) + c->fl_bytes, *err = NULL;
	size_t n = buf_len(&c->in) - c->fl_bytes;
	const struct cmd *cmd;
	int rc;

	if (c->proto == PROTO_RESP) {
		c->resp.max_bulk = max_bulk();
		rc = resp_parse(&c->resp, p, n, len, &err);
		if (rc == SS_NEED_MORE) {
			c->need = c->resp.need ? c->fl_bytes + c->resp.need : 0;
			return PEEK_NEED;
		}
		if (rc != SS_OK || c->resp.argc == 0 || !c->authed)
			return PEEK_WAIT;
		cmd = cmd_resp_lookup_conn(c, &c->resp.argv[0]);
		if (cmd == NULL || !(cmd->flags & CMD_PIPELINED) ||
		    ((cmd->flags & CMD_WRITE) && !c->repl_master && repl_read_only()) ||
		    (cmd->arity > 0 && c->resp.argc != (uint32_t)cmd->arity) ||
		    (cmd->arity < 0 && c->resp.argc < (uint32_t)-cmd->arity))
			return PEEK_WAIT;
	} else {
		rc = mc_parse(&c->mc, p, n, len, &err);
		if (rc == SS_NEED_MORE) {
			c->need = c->mc.need ? c->fl_bytes + c->mc.need : 0;
			return PEEK_NEED;
		}
		if (rc != SS_OK || (cmd = cmd_mc_lookup(c->mc.cmd)) == NULL ||
		    !(cmd->flags & CMD_PIPELINED) || (mc_writes(c->mc.cmd) && repl_read_only()))
			return PEEK_WAIT;
	}
	c->cmd = cmd;
	return PEEK_JOIN;
}

/* Parse and send the request after the flight. false: stop for now. */
static bool flight_more(struct conn *c)
{
	size_t len = 0;

	if (c->fl_n == FLIGHT_MAX || buf_len(&c->in) <= c->fl_bytes ||
	    buf_len(&c->in) < c->need)
		return false;
	c->need = 0;
	if (flight_peek(c, &len) != PEEK_JOIN)
		return false;
	return flight_add(c, len, clock_tsc(), c->rx_tsc);
}

/* The request at the front (c->cmd, parsed) starts a flight when it is
 * pipelined and its kop must go to another worker. */
static bool flight_start(struct conn *c, size_t len)
{
	struct kop op;

	/* One worker owns every key: nothing can be away. */
	if (!(c->cmd->flags & CMD_PIPELINED) || steer_workers() == 1 || plan_kop(c, 0, &op) != 0)
		return false;
	unsigned owner = op.target >= 0 ? (unsigned)op.target : steer_owner(&op.key);
	if (owner == c->worker || kop_rcu_variant(op.fn) != NULL)
		return false;   /* runs now: local, or an RCU read */
	return flight_add(c, len, c->t0, c->t_rx);
}

/* A flight kop's result is back from its owner (or NULL at shutdown). */
static void flight_arrived(struct conn *c, const struct kop_result *res)
{
	c->fl_away--;
	if (res == NULL) {
		c->closing = true;
	} else if (!keep_result(&c->fl[res->tag % FLIGHT_MAX], res)) {
		c->out.enomem = 1;
	}
	if (c->released) {
		if (!busy(c))
			conn_free(c);
		return;
	}
	if (res != NULL && !c->out.enomem) {
		flight_drain(c);
		conn_process_local(c);
	}
	c->kick(c, c->io);
}

void conn_process_local(struct conn *c)
{
	unsigned ahead = 0;   /* requests whose keys are already loading */

	while (conn_wants_input(c) && !conn_wants_close(c)) {
		size_t len, consumed = 0;
		enum parsed rc;

		if (c->fl_n > 0) {
			flight_drain(c);
			if (c->fl_n > 0) {
				if (!flight_more(c))
					break;
				continue;
			}
		}
		len = buf_len(&c->in);
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
		if (ahead == 0)
			ahead = conn_prefetch_pipeline_local(c);
		if (ahead > 0)
			ahead--;
		if ((rc = parse_one(c, &consumed)) == PARSED_NEED)
			break;
		if (rc == PARSED_CMD && refuse_write(c))
			rc = PARSED_NONE;
		if (rc == PARSED_CMD) {
			c->req_len = consumed;
			c->op_next = 0;
			c->acc = 0;
			buf_consume(&c->stash, buf_len(&c->stash));
			c->stash.enomem = 0;
			conn_stat_begin(c);
			if (flight_start(c, consumed))
				continue;    /* its bytes stay until its reply is written */
			if (!run_plan(c))
				break;   /* resumes in reply_arrived() */
		}
		buf_consume(&c->in, consumed);
	}
	buf_shrink_if_idle(&c->in);
	c->pk_at = NULL;   /* the input moved on: the burst's peek is stale */
	/* A finished command's stash (a big KEYS reply) is not kept around. */
	if (!c->away) {
		buf_consume(&c->stash, buf_len(&c->stash));
		buf_shrink_if_idle(&c->stash);
	}
}

/* A kop's result is back from its owner: emit it and go on with the plan.
 * A connection the backend let go of still finishes the command in flight
 * (as Redis runs a command whose client left): a plan that spans owners
 * must get to its end (MSETNX's undo, RENAME's delete of the source), or
 * a half-done command would stay half done. Its output is dropped. */
static void reply_arrived(struct conn *c, const struct kop_result *res)
{
	struct kop op;
	size_t consumed = 0;

	c->away = false;
	if (res == NULL) {   /* dropped at shutdown */
		if (c->released && !busy(c))
			conn_free(c);
		else
			c->closing = true;
		return;
	}
	/* The request is still at the front of `in`: parse it again to get its
	 * arguments back (the buffer may have moved, the bytes did not). */
	if (parse_one(c, &consumed) != PARSED_CMD || consumed != c->req_len ||
	    plan_kop(c, c->op_next, &op) != 0) {
		c->closing = true;   /* cannot happen unless `in` was corrupted */
	} else {
		c->out_mark = buf_len(&c->out);   /* `out` may have been sent meanwhile */
		c->cmd->emit(c, c->op_next++, &op, res);
		conn_stat_note(c);
		if (run_plan(c)) {
			buf_consume(&c->in, consumed);
			if (!c->released)
				conn_process_local(c);
		}
	}
	if (c->released) {
		if (!busy(c))
			conn_free(c);
		return;
	}
	c->kick(c, c->io);
}

/* ---- Waits outside the workers ---- */

int cmd_plan_one_wait(struct conn *c, uint32_t i, struct kop *op)
{
	(void)c;
	if (i > 0)
		return 1;
	op->target = KOP_TARGET_WAIT;
	return 0;
}

bool conn_waiting_local(unsigned w)
{
	return w < CONN_LISTS && lists[w].waiting != NULL;
}

/* Each loop iteration while some wait: a finished wait goes on as a remote
 * kop's result would (reply_arrived), on this worker. stop: the worker is
 * stopping, every wait ends without a result (the connection closes). */
static void poll_waits(unsigned w, bool stop)
{
	struct conn **pp = &lists[w].waiting;

	while (*pp != NULL) {
		struct conn *c = *pp;
		struct kop_result res;

		memset(&res, 0, sizeof(res));
		if (!stop && c->cmd->wait(c, false, &res) == 0) {
			pp = &c->wait_next;
			continue;
		}
		*pp = c->wait_next;
		c->wait_next = NULL;
		reply_arrived(c, stop ? NULL : &res);
	}
}

void conn_poll_waits_local(unsigned w)
{
	if (conn_waiting_local(w))
		poll_waits(w, false);
}

void conn_drop_waits_local(unsigned w)
{
	if (conn_waiting_local(w))
		poll_waits(w, true);
}
