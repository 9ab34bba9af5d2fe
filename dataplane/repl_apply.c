/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/repl_apply.h"

#include "dataplane/conn.h"
#include "dataplane/conn_priv.h"
#include "dataplane/steer.h"
#include "storage/repl.h"

#define APPLY_WORKER 0
#define POP_MAX      (256 * 1024)   /* bytes taken per loop iteration */

/* Worker 0's own. */
static struct conn *pc;        /* the pseudo-connection, NULL until a feed */
static bool started;           /* pc_gen is meaningful */
static uint64_t pc_gen;        /* the feed generation it applies */
static uint64_t moved;         /* bytes of that generation put into pc->in */

/* A command of pc that went to another worker came back: its reply is
 * nobody's. (conn.c goes on with the next requests itself.) */
static void kick(struct conn *c, void *io)
{
	(void)io;
	buf_consume(conn_out(c), buf_len(conn_out(c)));
}


static uint64_t shown = ~0ull;   /* applied as last published */

static void publish(void)
{
	/* bytes still in `in` are a command not finished (a kop away) */
	uint64_t applied = moved - buf_len(conn_in(pc));

	if (applied != shown) {
		repl_feed_applied_set(pc_gen, applied);
		shown = applied;
	}
}

/* A new pseudo-connection for feed generation gen. In the same
 * generation (the last one broke), the bytes it held count as applied:
 * they never will be, and the offset must not wait for them. */
static void fresh(uint64_t gen)
{
	if (pc != NULL)
		conn_release(pc);   /* a kop away: freed when it comes back */
	pc = conn_create(PROTO_RESP, APPLY_WORKER, kick, NULL);
	if (!started || gen != pc_gen) {
		moved = 0;
		shown = ~0ull;
	}
	started = true;
	pc_gen = gen;
	if (pc == NULL)
		return;
	pc->repl_master = true;
	pc->authed = true;   /* requirepass is for clients */
	conn_set_addrs(pc, "", "");
	publish();
}

static void wake(void)
{
	steer_wake(APPLY_WORKER);
}

void repl_apply_poll_local(unsigned w)
{
	static char tmp[POP_MAX];   /* worker 0's only */
	uint64_t gen;
	size_t n;

	if (w != APPLY_WORKER)
		return;
	if (!started)
		repl_feed_set_wake(wake);   /* racing pushes: the tick finds them */
	gen = repl_feed_gen();
	if (pc == NULL && gen == 0)
		return;   /* never a replica: no pseudo-connection in CLIENT LIST */
	if (pc == NULL || gen != pc_gen)
		fresh(gen);
	if (pc == NULL)
		return;
	if (repl_feed_queued() == 0 && buf_len(conn_in(pc)) == 0) {
		publish();   /* the last command's kop came back since */
		return;
	}
	if (conn_wants_input(pc) && repl_feed_queued() > 0) {
		n = repl_feed_pop(tmp, sizeof(tmp), &gen);
		if (gen != pc_gen) {
			fresh(gen);   /* reset between our two loads: these bytes are the new feed's */
			if (pc == NULL)
				return;
		}
		if (n > 0) {
			buf_append(conn_in(pc), tmp, n);
			moved += n;
		}
	}
	conn_process_local(pc);
	buf_consume(conn_out(pc), buf_len(conn_out(pc)));
	if (conn_wants_close(pc)) {
		/* the stream broke (a protocol error, no memory): start over
		 * with the next bytes rather than stall */
		conn_release(pc);
		pc = NULL;
		return;
	}
	publish();
}

bool repl_apply_busy_local(unsigned w)
{
	return w == APPLY_WORKER && pc != NULL &&
	       (repl_feed_queued() > 0 || buf_len(conn_in(pc)) > 0);
}

void repl_apply_stop_local(unsigned w)
{
	if (w == APPLY_WORKER && pc != NULL) {
		conn_release(pc);
		pc = NULL;
	}
}
