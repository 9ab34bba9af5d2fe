/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REPLICAOF (SLAVEOF) and ROLE: the replica side of replication. The
 * command only records the target (storage/repl.h); the management
 * core's link connects and syncs on its own time, as Redis's cron does.
 */
#include <stdio.h>
#include <string.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "dataplane/proto/resp_reply.h"
#include "storage/repl.h"
#include "storage/repl_log.h"

void cmd_replicaof_finish(struct conn *c)
{
	char host[REPL_HOST_MAX];
	long long port;

	if (arg_is(ARGV(c, 1), "no") && arg_is(ARGV(c, 2), "one")) {
		repl_target_set(NULL, 0);
		resp_simple(&c->w, "OK");
		return;
	}
	if (!arg_ll(ARGV(c, 2), &port) || port < 0 || port > 65535) {
		resp_error(&c->w, "ERR Invalid master port");
		return;
	}
	if (ARGV(c, 1)->len >= sizeof(host)) {
		resp_error(&c->w, "ERR Invalid master host");
		return;
	}
	snprintf(host, sizeof(host), "%.*s", (int)ARGV(c, 1)->len, ARGV(c, 1)->p);
	if (repl_target_set(host, (int)port) == 1)
		resp_simple(&c->w, "OK Already connected to specified master");
	else
		resp_simple(&c->w, "OK");
}

/* ROLE: ["master", offset, [replicas]] or
 * ["slave", host, port, state, offset (-1 while the link is down)]. */
void cmd_role_finish(struct conn *c)
{
	static const char *const state[] = {
		[REPL_LINK_NONE] = "none", [REPL_LINK_CONNECT] = "connect",
		[REPL_LINK_CONNECTING] = "connecting", [REPL_LINK_HANDSHAKE] = "handshake",
		[REPL_LINK_SYNC] = "sync", [REPL_LINK_CONNECTED] = "connected",
	};
	struct repl_status s;

	repl_status_get(&s);
	if (!s.replica) {
		/* its replicas, from the management core (repl_primary.c): those
		 * online, as Redis lists them: ip, listening port, acked offset */
		struct repl_primary_info p;
		char port[16], off[32];
		unsigned n = 0;

		repl_primary_info_get(&p);
		for (unsigned i = 0; i < p.connected && i < REPL_INFO_REPLICAS; i++)
			n += strcmp(p.r[i].state, "online") == 0;
		resp_array(&c->w, 3);
		resp_cstr(&c->w, "master");
		resp_int(&c->w, (long long)p.offset);
		resp_array(&c->w, n);
		for (unsigned i = 0; i < p.connected && i < REPL_INFO_REPLICAS; i++) {
			if (strcmp(p.r[i].state, "online") != 0)
				continue;
			snprintf(port, sizeof(port), "%d", p.r[i].port);
			snprintf(off, sizeof(off), "%llu", (unsigned long long)p.r[i].offset);
			resp_array(&c->w, 3);
			resp_cstr(&c->w, p.r[i].ip);
			resp_cstr(&c->w, port);
			resp_cstr(&c->w, off);
		}
		return;
	}
	resp_array(&c->w, 5);
	resp_cstr(&c->w, "slave");
	resp_cstr(&c->w, s.host);
	resp_int(&c->w, s.port);
	resp_cstr(&c->w, state[s.link]);
	resp_int(&c->w, s.link == REPL_LINK_CONNECTED ? s.offset : -1);
}
