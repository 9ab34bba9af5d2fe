/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memcached meta commands (mg ms md ma mn me), with memcached 1.6's
 * replies: a two-letter code, then the return flags in the order the
 * request gave them. 'q' mutes only the nominal code (HD, and EN for mg),
 * never an error. Owner-side work is in kop_mc.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/cmd_mc.h"
#include "dataplane/conn_priv.h"
#include "dataplane/kop_mc.h"
#include "dataplane/proto/base64.h"
#include "platform/clock.h"
#include "platform/metric.h"
#include "platform/status.h"

#define E_OPAQUE "CLIENT_ERROR opaque token too long\r\n"

static bool has(const struct conn *c, char flag)
{
	return (c->mc.meta.seen & MC_MF(flag)) != 0;
}

static void lit(struct conn *c, const char *s)
{
	buf_append(&c->out, s, strlen(s));
}

/* " k<key>", base64 and followed by " b" when binary: the request's key
 * was base64, or (mg hits) the item's key was stored so. */
static void put_key_as(struct conn *c, bool binary)
{
	const struct ss_arg *k = &c->mc.keys[0];

	if (!binary) {
		buf_append(&c->out, " k", 2);
		buf_append(&c->out, k->p, k->len);
		return;
	}
	char enc[BASE64_ENCODED_LEN(MC_KEY_MAX)];
	size_t n = base64_encode(k->p, k->len, enc);
	buf_append(&c->out, " k", 2);
	buf_append(&c->out, enc, n);
	buf_append(&c->out, " b", 2);
}

static void put_key(struct conn *c)
{
	put_key_as(c, has(c, 'b'));
}

/* The flags every reply echoes: O (opaque) and k (key). */
static void put_ok_flags(struct conn *c)
{
	const struct mc_meta *m = &c->mc.meta;

	for (uint32_t i = 0; i < m->ntok; i++) {
		if (m->tok[i].p[0] == 'O') {
			buf_append(&c->out, " ", 1);
			buf_append(&c->out, m->tok[i].p, m->tok[i].len);
		} else if (m->tok[i].p[0] == 'k') {
			put_key(c);
		}
	}
}

/* " t<seconds left>", -1 for no expiry. */
static void put_ttl(struct conn *c, int64_t exp_ms)
{
	int64_t now = clock_unix_ms();

	if (exp_ms == 0)
		lit(c, " t-1");
	else
		buf_append_i64(&c->out, " t", (exp_ms - now + 999) / 1000);
}

static int64_t ttl_ms(int32_t ttl)
{
	return mc_exptime_to_ms(ttl, clock_unix_ms());
}

/* The TTL a created item ends with: T and N both set it, the last wins. */
static int64_t created_ttl_ms(const struct mc_meta *m)
{
	int64_t exp = 0;

	for (uint32_t i = 0; i < m->ntok; i++) {
		if (m->tok[i].p[0] == 'T')
			exp = ttl_ms(m->ttl);
		else if (m->tok[i].p[0] == 'N')
			exp = ttl_ms(m->vivify_ttl);
	}
	return exp;
}

/* Is flag a before flag b in the request? */
static bool before(const struct mc_meta *m, char a, char b)
{
	for (uint32_t i = 0; i < m->ntok; i++) {
		if (m->tok[i].p[0] == a)
			return true;
		if (m->tok[i].p[0] == b)
			return false;
	}
	return false;
}

/* ---- mg <key> <flags>* ---- */

static int mg_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct mc_meta *m = &c->mc.meta;

	if (i > 0)
		return 1;
	op->fn = kop_mc_mget;
	op->key = c->mc.keys[0];
	if (has(c, 'T')) {
		op->mode |= MC_MG_TTL;
		op->expire_ms = ttl_ms(m->ttl);
	}
	if (has(c, 'N')) {
		op->mode |= MC_MG_VIVIFY;
		op->num = created_ttl_ms(m);
	}
	if (has(c, 'R')) {
		op->mode |= MC_MG_RECACHE;
		op->num2 = ttl_ms(m->recache_ttl);
		if (has(c, 'T') && before(m, 'T', 'R'))
			op->mode |= MC_MG_TTL_BEFORE_RECACHE;
	}
	if (has(c, 'u'))
		op->mode |= MC_MG_NOBUMP;
	if (has(c, 'v') || has(c, 's'))
		op->mode |= MC_MG_VALUE;
	return 0;
}

static void mg_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	const struct mc_meta *m = &c->mc.meta;
	int st = r->status;
	int64_t exp = r->expire_ms;

	(void)i;
	(void)op;
	metric_add_local(METRIC_mc_cmd_get, 1);
	if (has(c, 'T'))
		metric_add_local(METRIC_mc_cmd_touch, 1);
	if (!(st & MC_MGR_HIT)) {
		metric_add_local(METRIC_mc_get_misses, 1);
		if (m->opaque_too_long) {
			lit(c, E_OPAQUE);
		} else if (!has(c, 'q')) {
			lit(c, "EN");
			put_ok_flags(c);
			lit(c, "\r\n");
		}
		return;
	}
	metric_add_local(METRIC_mc_get_hits, 1);
	if (m->opaque_too_long) {   /* memcached finds it while replying */
		lit(c, E_OPAQUE);
		return;
	}
	if (has(c, 'v'))
		buf_append_u64(&c->out, "VA ", r->val.len);
	else
		lit(c, "HD");
	for (uint32_t k = 0; k < m->ntok; k++) {
		const struct ss_arg *t = &m->tok[k];
		switch (t->p[0]) {
		case 'T':
			exp = ttl_ms(m->ttl);
			break;
		case 'N':
			if (st & MC_MGR_CREATED)
				exp = ttl_ms(m->vivify_ttl);
			break;
		case 's':
			buf_append_u64(&c->out, " s", r->val.len);
			break;
		case 't':
			put_ttl(c, exp);
			break;
		case 'c':
			buf_append_u64(&c->out, " c", r->cas);
			break;
		case 'f':
			buf_append_u64(&c->out, " f", r->flags);
			break;
		case 'l':
			buf_append_i64(&c->out, " l", r->num);
			break;
		case 'h':
			lit(c, (st & MC_MGR_FETCHED) ? " h1" : " h0");
			break;
		case 'O':
			buf_append(&c->out, " ", 1);
			buf_append(&c->out, t->p, t->len);
			break;
		case 'k':
			put_key_as(c, (st & MC_MGR_KEY_BINARY) != 0);
			break;
		default:
			break;
		}
	}
	if (st & MC_MGR_Z)
		lit(c, " Z");
	if (st & MC_MGR_X)
		lit(c, " X");
	if (st & MC_MGR_W)
		lit(c, " W");
	lit(c, "\r\n");
	if (has(c, 'v')) {
		buf_append(&c->out, r->val.p, r->val.len);
		lit(c, "\r\n");
	}
}

/* ---- ms <key> <datalen> <flags>* ---- */

static int ms_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct mc_meta *m = &c->mc.meta;
	unsigned mode;

	if (i > 0)
		return 1;
	switch (m->mode) {
	case 'E': mode = MC_ST_ADD; break;
	case 'A': mode = MC_ST_APPEND; break;
	case 'P': mode = MC_ST_PREPEND; break;
	case 'R': mode = MC_ST_REPLACE; break;
	default: mode = MC_ST_SET; break;
	}
	/* A CAS turns set and replace into cas; append/prepend check it;
	 * add ignores it (memcached). */
	if (has(c, 'C')) {
		if (mode == MC_ST_SET || mode == MC_ST_REPLACE)
			mode = MC_ST_CAS;
		op->mode |= MC_ST_HAS_CAS;
		op->cas = m->cas;
		if (mode == MC_ST_CAS && has(c, 'I'))
			op->mode |= MC_ST_STALE;
	}
	op->mode |= mode;
	if (has(c, 'b'))
		op->mode |= MC_ST_KEY_BINARY;
	op->fn = kop_mc_store;
	op->key = c->mc.keys[0];
	op->val = c->mc.data;
	op->flags = m->client_flags;
	op->expire_ms = ttl_ms(m->ttl);
	return 0;
}

static void ms_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	const struct mc_meta *m = &c->mc.meta;

	(void)i;
	metric_add_local(METRIC_mc_cmd_set, 1);
	if ((op->mode & MC_ST_MODE_MASK) == MC_ST_CAS)
		metric_add_local(r->status == MC_R_OK ? METRIC_mc_cas_hits :
				 r->status == MC_R_MISS ? METRIC_mc_cas_misses : METRIC_mc_cas_badval, 1);
	switch (r->status) {
	case MC_R_OK:
		metric_add_local(METRIC_mc_total_items, 1);
		if (has(c, 'q'))
			return;
		lit(c, "HD");
		break;
	case MC_R_NOT_STORED:
		lit(c, "NS");
		break;
	case MC_R_EXISTS:
		lit(c, "EX");
		break;
	case MC_R_MISS:
		lit(c, "NF");
		break;
	default:
		metric_add_local(METRIC_mc_store_no_memory, 1);
		lit(c, "SERVER_ERROR out of memory storing object\r\n");
		return;
	}
	for (uint32_t k = 0; k < m->ntok; k++) {
		if (m->tok[k].p[0] == 'O') {
			buf_append(&c->out, " ", 1);
			buf_append(&c->out, m->tok[k].p, m->tok[k].len);
		} else if (m->tok[k].p[0] == 'k') {
			put_key(c);
		} else if (m->tok[k].p[0] == 'c') {
			buf_append_u64(&c->out, " c", r->cas);
		}
	}
	lit(c, "\r\n");
}

/* ---- md <key> <flags>* ---- */

static int md_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct mc_meta *m = &c->mc.meta;

	if (i > 0)
		return 1;
	op->fn = kop_mc_mdel;
	op->key = c->mc.keys[0];
	if (has(c, 'C')) {
		op->mode |= MC_MD_HAS_CAS;
		op->cas = m->cas;
	}
	if (has(c, 'I'))
		op->mode |= MC_MD_STALE;
	if (has(c, 'T')) {
		op->mode |= MC_MD_TTL;
		op->expire_ms = ttl_ms(m->ttl);
	}
	return 0;
}

static void md_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	(void)i;
	(void)op;
	switch (r->status) {
	case MC_R_OK:
		metric_add_local(METRIC_mc_delete_hits, 1);
		if (has(c, 'q'))
			return;
		lit(c, "HD");
		break;
	case MC_R_EXISTS:
		metric_add_local(METRIC_mc_delete_misses, 1);
		lit(c, "EX");
		break;
	case MC_R_MISS:
		metric_add_local(METRIC_mc_delete_misses, 1);
		lit(c, "NF");
		break;
	default:
		lit(c, "SERVER_ERROR out of memory\r\n");
		return;
	}
	put_ok_flags(c);
	lit(c, "\r\n");
}

/* ---- ma <key> <flags>* ---- */

static int ma_plan(struct conn *c, uint32_t i, struct kop *op)
{
	const struct mc_meta *m = &c->mc.meta;

	if (i > 0)
		return 1;
	op->fn = kop_mc_arith;
	op->key = c->mc.keys[0];
	op->num = (int64_t)m->delta;
	op->num2 = (int64_t)m->initial;
	if (m->mode == 'D' || m->mode == '-')
		op->mode |= MC_AR_DECR;
	if (has(c, 'C')) {
		op->mode |= MC_AR_HAS_CAS;
		op->cas = m->cas;
	}
	if (has(c, 'N')) {
		op->mode |= MC_AR_VIVIFY;
		op->flags = (uint32_t)m->vivify_ttl;
	}
	if (has(c, 'T')) {
		op->mode |= MC_AR_TTL;
		op->expire_ms = ttl_ms(m->ttl);
		if (!before(m, 'T', 'N'))
			op->mode |= MC_AR_TTL_AFTER_VIVIFY;
	}
	return 0;
}

static void ma_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	const struct mc_meta *m = &c->mc.meta;
	bool decr = op->mode & MC_AR_DECR, created = r->num == 1;
	int64_t exp = r->expire_ms;

	(void)i;
	switch (r->status) {
	case MC_R_OK:
		if (!created)
			metric_add_local(decr ? METRIC_mc_decr_hits : METRIC_mc_incr_hits, 1);
		break;
	case MC_R_MISS:
		metric_add_local(decr ? METRIC_mc_decr_misses : METRIC_mc_incr_misses, 1);
		break;
	case MC_R_NON_NUMERIC:
		lit(c, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
		return;
	case MC_R_EXISTS:
		break;
	default:
		lit(c, "SERVER_ERROR out of memory\r\n");
		return;
	}
	if (m->opaque_too_long) {   /* found while replying, after the update */
		lit(c, E_OPAQUE);
		return;
	}
	if (r->status != MC_R_OK) {
		lit(c, r->status == MC_R_MISS ? "NF" : "EX");
		put_ok_flags(c);
		lit(c, "\r\n");
		return;
	}
	/* memcached mutes the nominal reply, but not the one of a key it
	 * just created. */
	if (has(c, 'q') && !created)
		return;
	if (has(c, 'v'))
		buf_append_u64(&c->out, "VA ", r->val.len);
	else
		lit(c, "HD");
	for (uint32_t k = 0; k < m->ntok; k++) {
		const struct ss_arg *t = &m->tok[k];
		switch (t->p[0]) {
		case 'c':
			buf_append_u64(&c->out, " c", r->cas);
			break;
		case 't':
			put_ttl(c, exp);
			break;
		case 'T':
			exp = ttl_ms(m->ttl);
			break;
		case 'N':
			if (created)
				exp = ttl_ms(m->vivify_ttl);
			break;
		case 'O':
			buf_append(&c->out, " ", 1);
			buf_append(&c->out, t->p, t->len);
			break;
		case 'k':
			put_key(c);
			break;
		default:
			break;
		}
	}
	if (has(c, 'v')) {
		lit(c, "\r\n");
		buf_append(&c->out, r->val.p, r->val.len);
	}
	lit(c, "\r\n");
}

/* ---- mn, me ---- */

static void mn_finish(struct conn *c)
{
	lit(c, "MN\r\n");
}

static int me_plan(struct conn *c, uint32_t i, struct kop *op)
{
	if (i > 0)
		return 1;
	op->fn = kop_mc_debug;
	op->key = c->mc.keys[0];
	return 0;
}

/*
 * me: memcached's debug line. exp is memcached's own arithmetic (now minus
 * the expiry: negative while the item lives), la the seconds since the
 * last access. cls and size describe memcached's slab allocator, which we
 * do not have: cls is 1 (one class, as "stats items" shows) and size is
 * the key and value bytes.
 */
static void me_emit(struct conn *c, uint32_t i, const struct kop *op,
		    const struct kop_result *r)
{
	int64_t now = clock_unix_ms();
	long long exp;

	(void)i;
	metric_add_local(METRIC_mc_cmd_meta, 1);
	if (!(r->status & MC_MGR_HIT)) {
		lit(c, "EN\r\n");
		return;
	}
	exp = r->expire_ms == 0 ? -1 : (long long)((now - r->expire_ms) / 1000);
	lit(c, "ME ");
	if (r->status & MC_MGR_KEY_BINARY) {
		char enc[BASE64_ENCODED_LEN(MC_KEY_MAX)];
		buf_append(&c->out, enc, base64_encode(op->key.p, op->key.len, enc));
	} else {
		buf_append(&c->out, op->key.p, op->key.len);
	}
	buf_appendf(&c->out, " exp=%lld la=%lld cas=%" PRIu64 " fetch=%s cls=1 size=%zu\r\n",
		    exp, (long long)r->num, r->cas, (r->status & MC_MGR_FETCHED) ? "yes" : "no",
		    op->key.len + (size_t)r->flags);
}

static const struct cmd meta_cmds[] = {
	{ "mg", 0, mg_plan, mg_emit, NULL },
	{ "ms", 0, ms_plan, ms_emit, NULL },
	{ "md", 0, md_plan, md_emit, NULL },
	{ "ma", 0, ma_plan, ma_emit, NULL },
	{ "mn", 0, NULL, NULL, mn_finish },
	{ "me", 0, me_plan, me_emit, NULL },
};

const struct cmd *cmd_mc_meta_lookup(enum mc_cmd cmd)
{
	if (cmd < MC_MG || cmd > MC_ME)
		return NULL;
	return &meta_cmds[cmd - MC_MG];
}
