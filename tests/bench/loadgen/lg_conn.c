/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/status.h"

#define IN_START (64u << 10)

int lg_conn_init(struct lg_conn *c, const struct lg_shared *sh, uint64_t gidx, uint64_t nconns,
		 uint64_t seed, uint64_t t0)
{
	size_t req = lg_req_max(sh->wl->prefix_len + 20, sh->values->size_max);

	memset(c, 0, sizeof(*c));
	lg_draw_init(&c->draw, seed, gidx, nconns);
	c->q = calloc(sh->pipeline, sizeof(*c->q));
	/* Unsent requests are never more than those in flight: this never grows. */
	c->out_cap = (size_t)sh->pipeline * req;
	c->out = malloc(c->out_cap);
	c->in_cap = IN_START;
	c->in = malloc(c->in_cap);
	c->val = malloc(sh->values->size_max);
	if (c->q == NULL || c->out == NULL || c->in == NULL || c->val == NULL) {
		lg_conn_fini(c);
		return -ENOMEM;
	}
	c->gidx = gidx;
	c->next_at = t0 + (nconns ? sh->interval_ns * gidx / nconns : 0);
	return 0;
}

void lg_conn_fini(struct lg_conn *c)
{
	free(c->q);
	free(c->out);
	free(c->in);
	free(c->val);
	memset(c, 0, sizeof(*c));
}

void lg_sink_error(struct lg_sink *s, const char *what, const char *detail)
{
	if (s->first_error[0] == '\0')
		snprintf(s->first_error, sizeof(s->first_error), "%s%s%s", what,
			 detail ? ": " : "", detail ? detail : "");
}

void lg_conn_fill(struct lg_conn *c, const struct lg_shared *sh, uint64_t now)
{
	const struct lg_workload *wl = sh->wl;
	char key[96];

	while (c->qn < sh->pipeline && !c->dead) {
		uint64_t t = sh->interval_ns ? c->next_at : now;
		struct lg_inflight *f;
		size_t klen, vlen;
		int counted = t >= sh->t_measure;

		if (t > now || t >= sh->t_end)
			break;
		if (sh->requests && counted && c->counted_sent >= sh->requests)
			break;
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
		else if (c->out_cap - c->out_len < lg_req_max(wl->prefix_len + 20, sh->values->size_max)) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		f = &c->q[(c->qhead + c->qn) % sh->pipeline];
		f->op = (uint8_t)lg_next_op(wl, &c->draw);
		f->key = lg_next_key(wl, &c->draw);
		if (sh->verify && f->op == LG_SET && sh->nconns > 1) {
			/* One writer per key under --verify (see lg_value.h); a
			 * connection that owns no key reads instead. */
			uint64_t own = lg_values_own(f->key, c->gidx, sh->nconns, wl->nkeys);

			if (own == UINT64_MAX)
				f->op = LG_GET;
			else
				f->key = own;
		}
		f->t_meant = t;
		f->counted = (uint8_t)counted;
		klen = lg_key_name(wl, f->key, key);
		if (f->op == LG_SET) {
			unsigned ttl = sh->ttl_min;

			/* From the connection's PRNG, so that --seed repeats the
			 * TTLs too; drawn only for a range, so that no TTL or a
			 * fixed one leaves a seed's ops and keys as they were. */
			if (sh->ttl_max > sh->ttl_min)
				ttl += (unsigned)lg_rand_below(&c->draw.rand,
							       sh->ttl_max - sh->ttl_min + 1ull);
			f->ver = lg_values_issue(sh->values, f->key);
			vlen = lg_value_size(sh->values, f->key, f->ver);
			lg_value_fill(sh->values, f->key, f->ver, c->val);
			c->out_len += sh->proto->enc_set(c->out + c->out_len, key, klen, c->val, vlen,
							 ttl);
		} else {
			f->ver = lg_values_floor(sh->values, f->key);
			c->out_len += sh->proto->enc_get(c->out + c->out_len, key, klen);
		}
		c->qn++;
		c->counted_sent += (uint64_t)counted;
		if (sh->interval_ns)
			c->next_at += sh->interval_ns;
	}
}

static void account(struct lg_conn *c, const struct lg_shared *sh, const struct lg_inflight *f,
		    const struct lg_reply *r, uint64_t now, struct lg_sink *sink)
{
	struct lg_stats *st = &sink->stats;
	enum lg_check chk;

	if (f->counted) {
		hist_record_local(&st->lat, now > f->t_meant ? now - f->t_meant : 0);
		if (f->op == LG_GET)
			st->gets++;
		else
			st->sets++;
		sink->last_done = now;
	}
	if (r->kind == LG_R_ERROR) {
		/* Errors count in warm-up too: --verify must not miss any. */
		st->errors++;
		lg_sink_error(sink, r->why, NULL);
		return;
	}
	if (f->op == LG_SET) {
		lg_values_ack(sh->values, f->key, f->ver);
		return;
	}
	if (f->counted) {
		if (r->kind == LG_R_HIT)
			st->hits++;
		else
			st->misses++;
	}
	if (!sh->verify)
		return;
	chk = lg_values_check(sh->values, f->key, f->ver,
			      r->kind == LG_R_HIT ? r->val : NULL, r->vlen);
	if (chk == LG_V_FOREIGN) {
		st->foreign++;
	} else if (chk != LG_V_OK) {
		char key[96];
		size_t klen = lg_key_name(sh->wl, f->key, key);

		st->verify_errors++;
		key[klen] = '\0';
		lg_sink_error(sink, lg_check_str(chk), key);
	}
	(void)c;
}

int lg_conn_input(struct lg_conn *c, const struct lg_shared *sh, uint64_t now,
		  struct lg_sink *sink)
{
	size_t off = 0;
	char key[96];
	int rc = 0;

	while (off < c->in_len) {
		struct lg_inflight *f;
		struct lg_reply r;
		size_t klen;
		int prc;

		if (c->qn == 0) {
			sink->stats.errors++;
			lg_sink_error(sink, "bytes from the server with no request in flight", NULL);
			rc = -EPROTO;
			break;
		}
		f = &c->q[c->qhead];
		klen = lg_key_name(sh->wl, f->key, key);
		prc = sh->proto->parse((enum lg_op)f->op, key, klen, c->in + off, c->in_len - off, &r);
		if (prc == SS_NEED_MORE)
			break;
		if (r.kind == LG_R_ERROR && r.fatal) {
			sink->stats.errors++;
			lg_sink_error(sink, r.why, NULL);
			rc = -EPROTO;
			break;
		}
		account(c, sh, f, &r, now, sink);
		off += r.used;
		c->qhead = (c->qhead + 1) % sh->pipeline;
		c->qn--;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return rc;
}

char *lg_conn_in_room(struct lg_conn *c, size_t want, size_t *room)
{
	if (c->in_cap - c->in_len < want) {
		size_t cap = c->in_cap * 2;
		char *p;

		while (cap - c->in_len < want)
			cap *= 2;
		p = realloc(c->in, cap);
		if (p == NULL)
			return NULL;
		c->in = p;
		c->in_cap = cap;
	}
	*room = c->in_cap - c->in_len;
	return c->in + c->in_len;
}

int lg_conn_done(const struct lg_conn *c, const struct lg_shared *sh, uint64_t now)
{
	if (c->dead)
		return 1;
	if (c->qn > 0)
		return 0;
	if (sh->requests)
		return c->counted_sent >= sh->requests;
	return now >= sh->t_end || (sh->interval_ns && c->next_at >= sh->t_end);
}
