/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replication commands a replica sends to its primary's ordinary port:
 * REPLCONF (what it says of itself), then SYNC or PSYNC, after which its
 * connection is handed to the management core (storage/repl_log.h), which
 * answers +FULLRESYNC or +CONTINUE and streams to it from then on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "platform/opt.h"
#include "storage/repl_log.h"

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
		resp_error(&c->w, "ERR replicas of an io=dpdk primary are not served yet: "
			   "replicate from an io=kernel primary");
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
