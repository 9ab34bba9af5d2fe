/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replication commands a replica sends to its primary's ordinary port:
 * REPLCONF (what it says of itself), then SYNC or PSYNC, after which its
 * connection is handed to the management core (storage/repl_log.h), which
 * answers +FULLRESYNC or +CONTINUE and streams to it from then on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "platform/clock.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/repl.h"
#include "storage/repl_log.h"
#include "storage/storage.h"

/* REPLCONF <option> <value> ...: Redis 7's options; ACK and GETACK mean
 * something only on a replica's link (Redis answers nothing to them). */
void cmd_replconf_finish(struct conn *c)
{
	if (ARGC(c) % 2 == 0) {
		resp_error(&c->w, "ERR syntax error");
		return;
	}
	for (uint32_t i = 1; i < ARGC(c); i += 2) {
		const struct ss_arg *o = ARGV(c, i), *v = ARGV(c, i + 1);
		long long n;

		if (arg_is(o, "listening-port")) {
			if (!arg_ll(v, &n) || n < 0 || n > 65535) {
				resp_error(&c->w, "ERR value is not an integer or out of range");
				return;
			}
			c->repl_port = (int)n;
		} else if (arg_is(o, "capa")) {
			if (arg_is(v, "eof"))
				c->repl_capa_eof = true;
			else if (arg_is(v, "psync2"))
				c->repl_capa_psync2 = true;
		} else if (arg_is(o, "ack") || arg_is(o, "getack")) {
			return;
		} else if (!arg_is(o, "ip-address") && !arg_is(o, "rdb-only") &&
			   !arg_is(o, "rdb-filter-only")) {
			resp_error(&c->w, "ERR Unrecognized REPLCONF option: %.*s",
				   (int)(o->len < 128 ? o->len : 128), o->p);
			return;
		}
	}
	resp_simple(&c->w, "OK");
}

/* SYNC, PSYNC replid offset: hand the connection to the management core. */
static void hand_over(struct conn *c, const char *replid, size_t idlen, long long offset)
{
	struct repl_handoff *h;

	if (opt_enum(OPT_io) != 0) {
		/* a connection of the appliance's own TCP stack cannot leave its
		 * worker; the management core's streams use kernel sockets */
		resp_error(&c->w, "ERR under io=dpdk replicas connect to the management core: "
			   "the port on the bind address");
		return;
	}
	if (c->handoff != NULL || (h = calloc(1, sizeof(*h))) == NULL) {
		resp_error(&c->w, "ERR cannot hand the connection over");
		return;
	}
	h->fd = -1;
	if (idlen == 40) {
		memcpy(h->replid, replid, 40);
		h->replid[40] = '\0';
	}
	h->offset = offset;
	h->listening_port = c->repl_port;
	h->capa_eof = c->repl_capa_eof;
	h->capa_psync2 = c->repl_capa_psync2;
	/* peer is "ip:port" (or "[v6]:port"): the ip */
	snprintf(h->ip, sizeof(h->ip), "%s", c->peer);
	char *colon = strrchr(h->ip, ':');
	if (colon != NULL)
		*colon = '\0';
	c->handoff = h;
	c->closing = true;   /* nothing more is read here; the backend hands its socket over */
}

void cmd_psync_finish(struct conn *c)
{
	const struct ss_arg *id = ARGV(c, 1);
	long long off;

	if (!arg_ll(ARGV(c, 2), &off) || off < 0 || id->len != 40)
		off = -1;   /* "PSYNC ? -1", or nothing it could resume from */
	hand_over(c, id->p, id->len, off);
}

void cmd_sync_finish(struct conn *c)
{
	hand_over(c, "", 0, -2);   /* -2: the old SYNC, which gets no +FULLRESYNC line */
}

/*
 * WAIT numreplicas timeout: the client's writes so far are logged on their
 * workers at or before each worker's log position now. Once the management
 * core has merged every worker's log that far, the stream's offset then
 * covers them; the reply counts the replicas whose ACK reached it, when
 * numreplicas did or the timeout (ms, 0 = none) passes. The state lives in
 * the stash: numreplicas, deadline, the offset (0 until known), positions.
 */
struct wait_state {
	long long want;
	int64_t deadline_ms;   /* 0 = none */
	bool known;            /* offset is */
	uint64_t offset;
	/* then a uint64_t log position per worker */
};

static unsigned acked(uint64_t offset)
{
	struct repl_primary_info p;
	unsigned n = 0;

	repl_primary_info_get(&p);
	for (unsigned i = 0; i < p.connected && i < REPL_INFO_REPLICAS; i++)
		n += strcmp(p.r[i].state, "online") == 0 && p.r[i].offset >= offset;
	return n;
}

static int wait_begin(struct conn *c, struct kop_result *res)
{
	long long want, timeout;

	if (repl_is_replica())
		return res->status = -EPERM;
	if (!arg_ll(ARGV(c, 1), &want) || !arg_ll(ARGV(c, 2), &timeout))
		return res->status = -EINVAL;
	if (timeout < 0)
		return res->status = -ERANGE;
	struct wait_state ws = { want, timeout ? clock_unix_ms() + timeout : 0, false, 0 };
	buf_consume(&c->stash, buf_len(&c->stash));
	if (buf_append(&c->stash, &ws, sizeof(ws)) != 0)
		return res->status = -ENOMEM;
	for (unsigned w = 0; w < storage_shards(); w++) {
		uint64_t p = repl_log_logged(w);
		if (buf_append(&c->stash, &p, sizeof(p)) != 0)
			return res->status = -ENOMEM;
	}
	return SS_OK;
}

int cmd_wait_wait(struct conn *c, bool first, struct kop_result *res)
{
	struct wait_state ws;
	char *st;

	if (first && wait_begin(c, res) < 0)
		return 1;
	st = (char *)buf_rptr(&c->stash);
	memcpy(&ws, st, sizeof(ws));
	if (!ws.known) {
		unsigned w = 0, nw = storage_shards();
		for (; w < nw; w++) {
			uint64_t p;
			memcpy(&p, st + sizeof(ws) + w * sizeof(p), sizeof(p));
			if (repl_log_merged(w) < p)
				break;
		}
		if (w == nw) {
			ws.known = true;
			ws.offset = repl_log_offset();
			memcpy(st, &ws, sizeof(ws));
		}
	}
	unsigned n = ws.known ? acked(ws.offset) : 0;
	if ((long long)n >= ws.want || (ws.deadline_ms != 0 && clock_unix_ms() >= ws.deadline_ms)) {
		res->status = SS_OK;
		res->num = n;
		return 1;
	}
	repl_log_want_acks();
	return 0;
}

void cmd_wait_emit(struct conn *c, uint32_t i, const struct kop *op,
		   const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status == -EINVAL)
		resp_error(&c->w, "ERR value is not an integer or out of range");
	else if (r->status == -ERANGE)
		resp_error(&c->w, "ERR timeout is negative");
	else if (r->status == -EPERM)
		resp_error(&c->w, "ERR WAIT cannot be used with replica instances. Please also note "
			   "that since Redis 4.0 if a replica is configured to be writable (which "
			   "is not the default) writes to replicas are just local and are not "
			   "propagated.");
	else if (r->status < 0)
		resp_error(&c->w, "ERR out of memory");
	else
		resp_int(&c->w, r->num);
}

bool conn_handoff_local(struct conn *c, int fd)
{
	struct repl_handoff *h = c->handoff;

	if (h == NULL)
		return false;
	c->handoff = NULL;
	h->fd = fd;
	repl_handoff_push(h);
	return true;
}
