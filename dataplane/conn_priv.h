/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside a connection: shared by conn.c and the command tables, not part of
 * the dataplane's public interface.
 *
 * Commands run as a plan of key operations. For request R the engine asks
 * plan(R, i) for kop i = 0, 1, ... until it says there are no more; each kop
 * runs on its key's owner (here, or away through steer) and its result goes
 * to emit(R, i). finish(R) closes the reply. While a kop is away the request
 * stays unconsumed at the front of `in`; when the result comes back the
 * request is parsed again (same bytes, same arguments) and the plan goes on.
 */
#ifndef SS_DATAPLANE_CONN_PRIV_H
#define SS_DATAPLANE_CONN_PRIV_H

#include "dataplane/conn.h"
#include "dataplane/kop.h"
#include "dataplane/proto/mc_parse.h"
#include "dataplane/proto/resp_parse.h"
#include "dataplane/proto/resp_reply.h"

/* Command flags as COMMAND INFO reports them, in Redis's reply order. */
enum {
	CMD_WRITE = 1u << 0,
	CMD_READONLY = 1u << 1,
	CMD_DENYOOM = 1u << 2,
	CMD_ADMIN = 1u << 3,
	CMD_PUBSUB = 1u << 4,
	CMD_NOSCRIPT = 1u << 5,
	CMD_BLOCKING = 1u << 6,
	CMD_LOADING = 1u << 7,
	CMD_STALE = 1u << 8,
	CMD_SKIP_MONITOR = 1u << 9,
	CMD_SKIP_SLOWLOG = 1u << 10,
	CMD_ASKING = 1u << 11,
	CMD_FAST = 1u << 12,
	CMD_NO_AUTH = 1u << 13,        /* runs before AUTH */
	CMD_NO_MANDATORY_KEYS = 1u << 14,
	CMD_NO_ASYNC_LOADING = 1u << 15,
	CMD_NO_MULTI = 1u << 16,
	CMD_MOVABLE_KEYS = 1u << 17,
	CMD_ALLOW_BUSY = 1u << 18,
	CMD__NFLAGS = 19,
	/* Internal, not reported by COMMAND: a request of this command is at
	 * most one kop, and its plan, emit and finish read only the request's
	 * bytes, the kop's result and the protocol version (no stash, no acc,
	 * no connection state): it may wait in the flight behind others. */
	CMD_PIPELINED = 1u << 30,
	/* Internal: kop i reads key i, and plan(c, i) depends only on the
	 * request, so it may be called ahead of its turn: on a big local shard
	 * the kops' keys are prefetched a few ahead (memcached's get k1 k2 ...). */
	CMD_PREFETCH = 1u << 29,
};

/* A request in the flight: its bytes are still in `in`, its kop done here
 * (result copied) or away at its owner. */
struct flight_ent {
	size_t len;
	uint64_t t0, t_rx;       /* for its statistics */
	bool done;
	struct kop_result res;   /* res.val points into val, when done */
	char *val;
};

#define FLIGHT_MAX 64

struct cmd {
	const char *name;
	int arity;   /* Redis convention: N exactly N args (name included), -N at least N */
	/* Fill kop i; return 0, or 1 when the plan has no kop i. */
	int (*plan)(struct conn *c, uint32_t i, struct kop *op);
	void (*emit)(struct conn *c, uint32_t i, const struct kop *op,
		     const struct kop_result *r);
	void (*finish)(struct conn *c);
	/* What COMMAND reports (RESP commands only). */
	unsigned flags;          /* CMD_* */
	int first_key, last_key, key_step;
	const char *acl;         /* ACL categories, space separated: "@read @string @fast" */
	const char *key_flags;   /* key spec flags, space separated: "RO access" */
	const char *key_notes;   /* key spec notes, or NULL */
	const char *tips;        /* command tips, space separated */
	const char *group, *since, *summary, *complexity;
	const struct cmd *subs;  /* a container's subcommands ("client|id" ...), NULL name ends */
	/* A plan's kop with target KOP_TARGET_WAIT waits for something outside
	 * the workers (SAVE: the management core's snapshot). wait(c, true)
	 * starts it when the plan reaches the kop, then wait(c, false) is
	 * polled by c's worker each loop iteration; 1 = done with *res filled
	 * (it goes to emit as a kop's result would), 0 = not yet. */
	int (*wait)(struct conn *c, bool first, struct kop_result *res);
};

#define KOP_TARGET_WAIT (-2)

/* The plan of a command that is one such wait (SAVE, WAIT). */
int cmd_plan_one_wait(struct conn *c, uint32_t i, struct kop *op);

struct conn {
	uint64_t id;
	enum proto proto;
	unsigned worker;
	struct buf in, out;
	struct resp_w w;         /* RESP replies: &out and the protocol version */
	bool authed;             /* AUTH passed, or no requirepass at connect */
	bool no_evict;           /* CLIENT NO-EVICT (no client eviction exists yet) */
	bool repl_master;        /* applies a primary's stream: writes even on a read-only replica */
	char *name;              /* CLIENT SETNAME, or NULL */
	char *lib_name, *lib_ver;   /* CLIENT SETINFO, or NULL */
	struct resp_req resp;
	struct mc_req mc;
	const struct cmd *cmd;   /* the request being executed */
	size_t req_len;          /* its length at the front of `in` */
	uint32_t op_next;        /* next kop of its plan */
	long long acc;           /* a count the reply sums up (DEL) */
	/* A multi-kop command's state, empty at each request's start: reply
	 * parts gathered before their count is known (KEYS), a value carried
	 * from one kop to the next (RENAME across owners), what to undo
	 * (MSETNX across owners). plan() may be asked for the same kop again
	 * and must answer the same: it reads what emit() wrote, and writes
	 * only what it would write the same way again (a kop's keys grouped
	 * by owner, MSETNX's key order). */
	struct buf stash;
	/*
	 * The flight: pipelined requests (CMD_PIPELINED) whose kops went to
	 * other workers while later ones were parsed and sent too. Replies are
	 * written in request order from the head as results come back. Never
	 * at the same time as `away` (the one-kop-at-a-time path).
	 */
	struct flight_ent *fl;   /* FLIGHT_MAX entries, allocated on first use */
	unsigned fl_head, fl_n;  /* ring of fl_n entries from fl_head */
	unsigned fl_away;        /* of those, kops still at their owners */
	uint64_t fl_seq;         /* tag of the next entry (its index: seq % FLIGHT_MAX) */
	size_t fl_bytes;         /* bytes of `in` the flight holds */
	size_t need;             /* do not parse before `in` holds this much */
	size_t swallow;          /* memcached: bytes still to discard */
	bool away;               /* a kop is at another worker, or waits (wait_next) */
	struct conn *wait_next;  /* the worker's waiting connections */
	const struct cmd *seen_cmd;   /* the last RESP command looked up, and */
	size_t seen_cmd_len;          /* ... its name's length */
	/* The backend's look at a burst (conn_prefetch.c) peeks the first
	 * request up to three times: the last peek, valid while the input
	 * still starts at pk_at and holds pk_n bytes. */
	const char *pk_at;
	size_t pk_n, pk_len;     /* pk_len: the request's length, 0 = none whole */
	struct ss_arg pk_key;
	/* A replica's: what REPLCONF said, and its SYNC/PSYNC to hand over
	 * with its socket (struct repl_handoff, storage/repl_log.h). */
	int repl_port;
	bool repl_capa_eof, repl_capa_psync2;
	struct repl_handoff *handoff;
	uint64_t wait_arg;       /* the wait's own state (SAVE: snapshots begun before it) */
	bool closing;            /* close once `out` is flushed */
	bool released;           /* the backend let go; free when not away */
	conn_kick_fn kick;
	void *io;
	/* Statistics of the request being executed (conn_stat.c). */
	uint64_t t0;             /* TSC when it was parsed */
	uint64_t rx_tsc;         /* TSC of the last receive (conn_note_rx), 0 = none */
	uint64_t t_rx;           /* ... as it was when this request was parsed */
	const struct cmd *stat_cmd;   /* the last command's cmdstat id, cached */
	int stat_id;
	size_t out_mark;         /* where its reply starts in `out` until seen */
	char head[16];           /* the first bytes of its reply (failed or not) */
	uint8_t headlen;
	char peer[64];           /* ip:port of the client, "" if unknown */
	char laddr[64];          /* ip:port it connected to */
	int64_t created_ms;      /* Unix ms at accept (CLIENT LIST age) */
	uint64_t created_tsc;    /* the TSC then: last_ms from request TSCs */
	int64_t last_ms;         /* Unix ms of its last command (CLIENT LIST idle) */
	const char *last_cmd;    /* its last command's name */
	struct conn *next, *prev;   /* the worker's list of connections */
};

/* The connections of worker w, newest first (follow ->next). Only on w. */
struct conn *conn_first_local(unsigned w);
/* CLIENT LIST/KILL fan-outs (cmd_resp_clients.c). */
int cmd_client_list_plan(struct conn *c, uint32_t i, struct kop *op);
int cmd_client_kill_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_client_list_emit(struct conn *c, uint32_t i, const struct kop *op,
			  const struct kop_result *r);
void cmd_client_kill_emit(struct conn *c, uint32_t i, const struct kop *op,
			  const struct kop_result *r);
void cmd_client_list_finish(struct conn *c);
void cmd_client_info_finish(struct conn *c);
void cmd_client_kill_finish(struct conn *c);

/* Statistics around one request (conn_stat.c): begin when parsed, note
 * after each piece of reply, end when the reply is complete. */
void conn_stat_begin(struct conn *c);
void conn_stat_note_slow(struct conn *c);
/* After each piece of reply: keep its first bytes (an error or not). */
static inline void conn_stat_note(struct conn *c)
{
	if (c->headlen < sizeof(c->head) && buf_len(&c->out) > c->out_mark)
		conn_stat_note_slow(c);
}
void conn_stat_end(struct conn *c);
/* A known command refused before it ran (arity, NOAUTH). */
void conn_stat_reject(struct conn *c, const struct cmd *cmd);

/* The RESP command called name, or NULL. */
const struct cmd *cmd_resp_lookup(const struct ss_arg *name);
/* The same, trying c's previous command first (a stream of one command
 * skips the hash and probe). */
const struct cmd *cmd_resp_lookup_conn(struct conn *c, const struct ss_arg *name);
/* The RESP command table, for COMMAND. */
const struct cmd *cmd_resp_table(size_t *n);
/* May c run cmd before authenticating? Replies NOAUTH when not. */
bool cmd_resp_auth_ok(struct conn *c, const struct cmd *cmd);
/* Connection and server commands (cmd_resp_server.c). */
void cmd_hello_finish(struct conn *c);
void cmd_auth_finish(struct conn *c);
void cmd_select_finish(struct conn *c);
void cmd_reset_finish(struct conn *c);
void cmd_client_finish(struct conn *c);
void cmd_command_finish(struct conn *c);
void cmd_config_finish(struct conn *c);
void cmd_dbsize_finish(struct conn *c);
void cmd_time_finish(struct conn *c);
void cmd_info_finish(struct conn *c);                 /* cmd_info.c */
void cmd_bgsave_finish(struct conn *c);
void cmd_lastsave_finish(struct conn *c);
void cmd_replconf_finish(struct conn *c);            /* cmd_resp_primary.c */
void cmd_psync_finish(struct conn *c);
void cmd_sync_finish(struct conn *c);
int cmd_wait_wait(struct conn *c, bool first, struct kop_result *res);
void cmd_wait_emit(struct conn *c, uint32_t i, const struct kop *op,
		   const struct kop_result *r);
int cmd_save_wait(struct conn *c, bool first, struct kop_result *res);
void cmd_save_emit(struct conn *c, uint32_t i, const struct kop *op,
		   const struct kop_result *r);
void cmd_shutdown_finish(struct conn *c);
void cmd_replicaof_finish(struct conn *c);          /* cmd_resp_repl.c */
void cmd_role_finish(struct conn *c);
int cmd_flush_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_flush_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r);
void cmd_flush_finish(struct conn *c);
void cmd_slowlog_finish(struct conn *c);              /* cmd_resp_diag.c */
void cmd_latency_finish(struct conn *c);
void cmd_debug_finish(struct conn *c);
/* A protected command (DEBUG) its option forbids: replied (false), before AUTH. */
bool cmd_resp_protected_ok(struct conn *c);
/* The subcommands of CLIENT, COMMAND, CONFIG, SLOWLOG, LATENCY. */
extern const struct cmd cmd_client_subs[], cmd_command_subs[], cmd_config_subs[];
extern const struct cmd cmd_slowlog_subs[], cmd_latency_subs[];
/* A container command (c->cmd has subs): run the subcommand in argv[1];
 * a subcommand with a plan runs it through the container's plan/emit. */
void cmd_run_subcmd(struct conn *c);
/* Unknown subcommand or its wrong arity: replied (false), before AUTH. */
bool cmd_resp_sub_ok(struct conn *c);
/* A container's HELP: Redis's header, lines (NULL-ended), HELP's own lines. */
void cmd_reply_help(struct conn *c, const char *const *lines);
int cmd_sub_plan(struct conn *c, uint32_t i, struct kop *op);
void cmd_sub_emit(struct conn *c, uint32_t i, const struct kop *op, const struct kop_result *r);
/* Back to the state of a new connection (RESET, conn_create). */
void conn_resp_reset(struct conn *c);
/* The reply for a request whose command or arity is wrong. */
void cmd_resp_reject(struct conn *c, const struct cmd *cmd);
/* The memcached command for a parsed request, or NULL (replied "ERROR"). */
const struct cmd *cmd_mc_lookup(enum mc_cmd cmd);
/* A storage command whose value is over the item size limit. */
const struct cmd *cmd_mc_too_large(void);

/* conn_process_local's read-ahead over a pipeline in c's input: the keys of
 * up to 16 requests start loading at once (conn_prefetch.c). Returns how
 * many requests it covered; 0 when there is one request or none, or the
 * shard fits in the caches. */
unsigned conn_prefetch_pipeline_local(struct conn *c);

#endif
