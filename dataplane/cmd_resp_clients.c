/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CLIENT LIST, INFO and KILL. A connection lives on one worker and only
 * that worker may touch it, so LIST and KILL fan out: one kop per worker
 * (op->target) walks that worker's connections there and sends back the
 * formatted lines or the kill count; the origin gathers them in worker
 * order. Replies and errors as Redis 7.0 (networking.c clientCommand).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/cmd_args.h"
#include "dataplane/conn_priv.h"
#include "dataplane/kop_scratch.h"
#include "dataplane/steer.h"
#include "platform/clock.h"

#define MAX_IDS 64

/* A client id as Redis reads it (getRangeLongFromObject 1..LONG_MAX). */
static bool arg_id(const struct ss_arg *a, uint64_t *id)
{
	long long v;

	if (!arg_ll(a, &v) || v <= 0)
		return false;
	*id = (uint64_t)v;
	return true;
}

/* One line of CLIENT LIST / CLIENT INFO, Redis 7.2's field order. */
static void client_line(struct buf *b, const struct conn *x, int64_t now_ms)
{
	bool out_pending = buf_len(&x->out) > 0;

	buf_appendf(b, "id=%llu addr=%s laddr=%s fd=-1 name=%s age=%lld idle=%lld flags=%s db=0 "
		    "sub=0 psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 "
		    "rbs=%zu rbp=0 obl=%zu oll=0 omem=0 tot-mem=%zu events=%s cmd=%s user=default "
		    "redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
		    (unsigned long long)x->id, x->peer, x->laddr, x->name ? x->name : "",
		    (long long)((now_ms - x->created_ms) / 1000),
		    (long long)((now_ms - x->last_ms) / 1000),
		    x->repl_master ? "M" : "N",   /* M: the primary's stream (a replica) */
		    buf_len(&x->in), x->in.cap - buf_len(&x->in), x->in.cap, buf_len(&x->out),
		    sizeof(*x) + x->in.cap + x->out.cap, out_pending ? "rw" : "r",
		    x->last_cmd ? x->last_cmd : "NULL",
		    x->proto == PROTO_RESP ? x->w.proto : 0,
		    x->lib_name ? x->lib_name : "", x->lib_ver ? x->lib_ver : "");
}

/* ---- CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...] ---- */

struct list_filter {
	int type;                 /* 0 any, 1 normal, 2 a type no client here has,
	                             3 master (a replica's pseudo-client applying its
	                             primary's stream) */
	unsigned nids;
	uint64_t ids[MAX_IDS];
};

/* NULL, or the error to reply. */
static const char *parse_list(struct conn *c, struct list_filter *f)
{
	memset(f, 0, sizeof(*f));
	if (ARGC(c) == 2)
		return NULL;
	if (ARGC(c) == 4 && arg_is(ARGV(c, 2), "type")) {
		const struct ss_arg *t = ARGV(c, 3);
		if (arg_is(t, "normal"))
			f->type = 1;
		else if (arg_is(t, "master"))
			f->type = 3;
		else if (arg_is(t, "replica") || arg_is(t, "slave") || arg_is(t, "pubsub"))
			f->type = 2;
		else
			return "unknown-type";
		return NULL;
	}
	if (ARGC(c) >= 4 && arg_is(ARGV(c, 2), "id")) {
		for (uint32_t i = 3; i < ARGC(c); i++) {
			uint64_t id;
			if (!arg_id(ARGV(c, i), &id))
				return "ERR Invalid client ID";
			if (f->nids < MAX_IDS)
				f->ids[f->nids++] = id;
		}
		return NULL;
	}
	return "ERR syntax error";
}

static void list_local(struct shard *s, const struct kop *op, struct kop_result *res,
		       int64_t now_ms)
{
	const struct list_filter *f = (const void *)op->val.p;
	struct buf *out = kop_scratch();   /* a worker's part of a LIST reply, freed at its exit */

	(void)s;
	for (struct conn *x = conn_first_local((unsigned)op->target); x != NULL; x = x->next) {
		/* a released connection is gone for its client; it lingers only
		 * to finish a command in flight */
		bool match = !x->released && (f->type == 0 || (f->type == 1 && !x->repl_master) ||
					      (f->type == 3 && x->repl_master));
		if (match && f->nids > 0) {
			match = false;
			for (unsigned i = 0; i < f->nids && !match; i++)
				match = f->ids[i] == x->id;
		}
		if (match)
			client_line(out, x, now_ms);
	}
	res->status = out->enomem ? -1 : 0;
	res->val.p = out->data ? out->data : "";
	res->val.len = buf_len(out);
}

int cmd_client_list_plan(struct conn *c, uint32_t i, struct kop *op)
{
	static __thread struct list_filter f;

	if (i >= steer_workers() || parse_list(c, &f) != NULL)
		return 1;
	op->fn = list_local;
	op->target = (int)i;
	op->val.p = (const char *)&f;
	op->val.len = sizeof(f);
	return 0;
}

void cmd_client_list_emit(struct conn *c, uint32_t i, const struct kop *op,
			     const struct kop_result *r)
{
	(void)i;
	(void)op;
	if (r->status < 0)
		c->stash.enomem = 1;
	else
		buf_append(&c->stash, r->val.p, r->val.len);
}

void cmd_client_list_finish(struct conn *c)
{
	struct list_filter f;
	const char *err = parse_list(c, &f);

	if (err != NULL && strcmp(err, "unknown-type") == 0)
		resp_error(&c->w, "ERR Unknown client type '%.*s'", (int)ARGV(c, 3)->len,
			   ARGV(c, 3)->p);
	else if (err != NULL)
		resp_error(&c->w, "%s", err);
	else if (c->stash.enomem)
		resp_error(&c->w, "ERR out of memory");
	else
		resp_verbatim(&c->w, "txt", buf_rptr(&c->stash), buf_len(&c->stash));
}

void cmd_client_info_finish(struct conn *c)
{
	struct buf b;

	buf_init(&b);
	client_line(&b, c, clock_unix_ms());
	resp_verbatim(&c->w, "txt", buf_rptr(&b), buf_len(&b));
	buf_fini(&b);
}

/* ---- CLIENT KILL ip:port | CLIENT KILL <filter> <value> ... ---- */

struct kill_filter {
	uint64_t self_id;
	uint64_t id;              /* 0 = any */
	int type;                 /* 0 any, 1 normal, 2 none */
	int skipme;
	int user_none;            /* USER other than "default": matches nobody */
	char addr[64], laddr[64]; /* "" = any */
};

static const char *parse_kill(struct conn *c, struct kill_filter *f, bool *old_form)
{
	memset(f, 0, sizeof(*f));
	f->self_id = c->id;
	f->skipme = 1;
	*old_form = ARGC(c) == 3;
	if (*old_form) {
		const struct ss_arg *a = ARGV(c, 2);
		if (a->len >= sizeof(f->addr))
			return "ERR No such client";
		memcpy(f->addr, a->p, a->len);
		f->skipme = 0;   /* the old form may kill the caller */
		return NULL;
	}
	if (ARGC(c) % 2 != 0)
		return "ERR syntax error";
	for (uint32_t i = 2; i + 1 < ARGC(c); i += 2) {
		const struct ss_arg *k = ARGV(c, i), *v = ARGV(c, i + 1);
		if (arg_is(k, "id")) {
			if (!arg_id(v, &f->id))
				return "ERR client-id should be greater than 0";
		} else if (arg_is(k, "type")) {
			if (arg_is(v, "normal"))
				f->type = 1;
			else if (arg_is(v, "master") || arg_is(v, "replica") ||
				 arg_is(v, "slave") || arg_is(v, "pubsub"))
				f->type = 2;
			else
				return "unknown-type";
		} else if (arg_is(k, "addr") || arg_is(k, "laddr")) {
			char *dst = arg_is(k, "addr") ? f->addr : f->laddr;
			if (v->len >= sizeof(f->addr))
				return "ERR syntax error";
			memcpy(dst, v->p, v->len);
		} else if (arg_is(k, "user")) {
			if (!arg_is(v, "default"))
				return "no-such-user";
		} else if (arg_is(k, "skipme")) {
			if (arg_is(v, "yes"))
				f->skipme = 1;
			else if (arg_is(v, "no"))
				f->skipme = 0;
			else
				return "ERR syntax error";
		} else {
			return "ERR syntax error";
		}
	}
	return NULL;
}

static bool kill_match(const struct kill_filter *f, const struct conn *x)
{
	/* not the replica's stream: what it holds would be lost, not resent */
	return !((f->id && x->id != f->id) || f->type == 2 || x->repl_master ||
		 (f->addr[0] && strcmp(f->addr, x->peer) != 0) ||
		 (f->laddr[0] && strcmp(f->laddr, x->laddr) != 0) ||
		 (f->skipme && x->id == f->self_id) || x->closing || x->released);
}

static void kill_local(struct shard *s, const struct kop *op, struct kop_result *res,
		       int64_t now_ms)
{
	const struct kill_filter *f = (const void *)op->val.p;
	struct conn **doomed;
	size_t n = 0, cap = 0;

	(void)s;
	(void)now_ms;
	for (struct conn *x = conn_first_local((unsigned)op->target); x != NULL; x = x->next)
		cap += kill_match(f, x);
	doomed = calloc(cap ? cap : 1, sizeof(*doomed));
	for (struct conn *x = conn_first_local((unsigned)op->target); x != NULL; x = x->next) {
		if (!kill_match(f, x))
			continue;
		x->closing = true;
		res->num++;
		/* The caller itself closes after this reply; the others are kicked
		 * once the walk is over (a kick may close and unlink them). Without
		 * memory for the list they close at their next event instead. */
		if (x->id != f->self_id && doomed != NULL && n < cap)
			doomed[n++] = x;
	}
	for (size_t i = 0; i < n; i++)
		doomed[i]->kick(doomed[i], doomed[i]->io);
	free(doomed);
}

int cmd_client_kill_plan(struct conn *c, uint32_t i, struct kop *op)
{
	static __thread struct kill_filter f;
	bool old_form;

	if (i >= steer_workers() || parse_kill(c, &f, &old_form) != NULL)
		return 1;
	if (i == 0)
		c->acc = 0;
	op->fn = kill_local;
	op->target = (int)i;
	op->val.p = (const char *)&f;
	op->val.len = sizeof(f);
	return 0;
}

void cmd_client_kill_emit(struct conn *c, uint32_t i, const struct kop *op,
			     const struct kop_result *r)
{
	(void)i;
	(void)op;
	c->acc += r->num;
}

void cmd_client_kill_finish(struct conn *c)
{
	struct kill_filter f;
	bool old_form;
	const char *err = parse_kill(c, &f, &old_form);

	if (err != NULL && strcmp(err, "unknown-type") == 0)
		resp_error(&c->w, "ERR Unknown client type '%.*s'", (int)ARGV(c, 3)->len,
			   ARGV(c, 3)->p);
	else if (err != NULL && strcmp(err, "no-such-user") == 0)
		resp_error(&c->w, "ERR No such user '%.*s'", (int)ARGV(c, 3)->len, ARGV(c, 3)->p);
	else if (err != NULL)
		resp_error(&c->w, "%s", err);
	else if (old_form && c->acc == 0)
		resp_error(&c->w, "ERR No such client");
	else if (old_form)
		resp_simple(&c->w, "OK");
	else
		resp_int(&c->w, c->acc);
}
