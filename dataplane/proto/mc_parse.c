/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached text protocol parser, following memcached 1.6 proto_text.c
 * (try_read_command_ascii, tokenize_command, process_command_ascii and the
 * process_*_command functions) and util.c (safe_strto*), but stateless and
 * without writing into the input buffer. "bget" is memcached's old alias of
 * "get". Left out: memcached's silent close when an unknown command's last
 * token starts with "HTTP/".
 *
 * Every request goes through here, so the common ones are kept cheap: the
 * line is found with memchr() and its "\n" then bounds every scan (no
 * length checks per byte), a NUL is found by the token scan that meets it,
 * the command by its name's length, the get family reads its keys straight
 * from the line, and numbers are read in place with strto*()'s rules.
 * tests/unit/mc_parse_ref.c keeps the plain version this must agree with.
 */
#include "dataplane/proto/mc_parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/proto/base64.h"
#include "platform/status.h"

#define MC_MAX_TOKENS 24   /* memcached's MAX_TOKENS, terminal token included */
#define MC_SPACES_MAX 100  /* leading spaces a long get line may have */

#define E_FORMAT    "CLIENT_ERROR bad command line format"
#define E_CHUNK     "CLIENT_ERROR bad data chunk"
#define E_DELTA     "CLIENT_ERROR invalid numeric delta argument"
#define E_EXPTIME   "CLIENT_ERROR invalid exptime argument"
#define E_DELETE    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"
#define E_TOO_LARGE "SERVER_ERROR object too large for cache"
#define E_LINE      "CLIENT_ERROR line too long"
#define MFLAG_MAX_OPT_LENGTH 20   /* memcached: a meta line's ntokens limit */

struct tok {
	const char *p;
	size_t len;
};

/* One command line and memcached's view of its tokens. */
struct line {
	const char *s;
	size_t n;        /* without "\n" or "\r\n", up to the first NUL that
	                    next_tok() has met (memcached's line ends there) */
	size_t next;     /* offset just past the "\n" */
	struct tok t[MC_MAX_TOKENS];
	size_t nt;       /* memcached's ntokens: real tokens + the terminal one */
};

struct ctx {
	struct mc_req *r;
	const char *buf;
	size_t len;
	struct line l;
	size_t *consumed;
	const char **err;
};

void mc_req_init(struct mc_req *r)
{
	memset(r, 0, sizeof(*r));
	r->item_max = MC_ITEM_MAX_DEFAULT;
	r->item_overhead = MC_ITEM_OVERHEAD;
}

/* memcached's item_size_ok(): the whole item must fit in item_size_max. */
static bool too_large(const struct mc_req *r, size_t klen, uint32_t flags, size_t vlen)
{
	if (r->item_overhead == 0)
		return vlen > r->item_max;
	return r->item_overhead + klen + (flags != 0 ? 4 : 0) + vlen > r->item_max;
}

void mc_req_fini(struct mc_req *r)
{
	free(r->keys);
	r->keys = NULL;
	r->nkeys = r->cap = 0;
}

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(t->p, s, n) == 0;
}

/* isspace() in the C locale, which the program never leaves. */
static bool is_space(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * memcached's safe_strto*() run libc's strto*() (base 10) on a
 * NUL-terminated token and accept a number followed by the end or by any
 * isspace() byte. This reads the token in place the same way: blanks, a
 * sign, digits; false if there are none, if they overflow 64 bits (ERANGE)
 * or if a byte other than a blank follows them. *mag is the magnitude, the
 * sign is left to the caller's strto*().
 */
static bool num_read_any(const struct tok *t, uint64_t *mag, bool *neg)
{
	const char *p = t->p, *end = t->p + t->len;
	uint64_t v = 0;

	while (p < end && is_space(*p))
		p++;
	*neg = p < end && *p == '-';
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (p == end || !is_digit(*p))
		return false;
	do {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return false;
		p++;
	} while (p < end && is_digit(*p));
	*mag = v;
	return p == end || is_space(*p);
}

/* num_read_any(), most often for a few digits and nothing else, which is
 * read here (19 cannot overflow). */
static bool num_read(const struct tok *t, uint64_t *mag, bool *neg)
{
	uint64_t v = 0;
	size_t k;

	if (t->len == 0 || t->len > 19)
		return num_read_any(t, mag, neg);
	for (k = 0; k < t->len; k++) {
		if (!is_digit(t->p[k]))
			return num_read_any(t, mag, neg);
		v = v * 10 + (uint64_t)(t->p[k] - '0');
	}
	*mag = v;
	*neg = false;
	return true;
}

_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8,
	       "strtoul() and strtoull() are the same 64-bit read");

/* CAS, delta: strtoull(), which negates a '-' number modulo 2^64; memcached
 * refuses the result only if it is over LLONG_MAX and a '-' is anywhere in
 * the token (after the number too). */
static bool safe_strtoull(const struct tok *t, uint64_t *out)
{
	uint64_t mag, v;
	bool neg;

	if (!num_read(t, &mag, &neg))
		return false;
	v = neg ? 0 - mag : mag;
	if (v > LLONG_MAX && (neg || memchr(t->p, '-', t->len) != NULL))
		return false;
	*out = v;
	return true;
}

/* Flags, verbosity: a 64-bit strtoul() cut to 32 bits, as memcached does. */
static bool safe_strtoul(const struct tok *t, uint32_t *out)
{
	uint64_t v;

	if (!safe_strtoull(t, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Exptime, bytes, delay: a 64-bit strtol() (ERANGE outside int64_t) stored
 * in an int32_t (wraps). */
static bool safe_strtol(const struct tok *t, int32_t *out)
{
	uint64_t mag;
	uint32_t u;
	bool neg;

	if (!num_read(t, &mag, &neg) || mag > (uint64_t)INT64_MAX + neg)
		return false;
	u = (uint32_t)(neg ? 0 - mag : mag);
	*out = u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
	return true;
}

/* memcached keeps reading a line without "\n" past 2 KiB only for gets. */
static bool long_get_allowed(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i] == ' ')
		i++;
	if (i > MC_SPACES_MAX)
		return false;
	return (len - i >= 4 && memcmp(buf + i, "get ", 4) == 0) ||
	       (len - i >= 5 && memcmp(buf + i, "gets ", 5) == 0);
}

static int find_line(const char *buf, size_t len, struct line *l, const char **err)
{
	size_t win = len < MC_LINE_MAX + 1 ? len : MC_LINE_MAX + 1;
	const char *nl = memchr(buf, '\n', win);
	size_t n;

	if (nl == NULL) {
		if (len <= MC_LINE_MAX)
			return SS_NEED_MORE;
		if (!long_get_allowed(buf, len)) {
			*err = E_LINE;
			return -EPROTO;
		}
		if ((nl = memchr(buf + win, '\n', len - win)) == NULL)
			return SS_NEED_MORE;
	}
	n = (size_t)(nl - buf);
	l->s = buf;
	l->next = n + 1;
	if (n > 1 && buf[n - 1] == '\r')   /* memcached: only if n > 1 */
		n--;
	l->n = n;
	return SS_OK;
}

/*
 * The line's next token from *i on, or false at the line's end: memcached
 * splits on ' ' only, so tabs and the like belong to tokens. No byte past
 * l->n is a space or above one ('\r', '\n' or a NUL is there), so the
 * scans need no bound of their own but the "\n"; a NUL met in a token, or
 * where one would start, ends the line there.
 */
static bool next_tok(struct line *l, size_t *i, struct tok *t)
{
	const char *s = l->s;
	size_t j = *i, start;

	while (s[j] == ' ')
		j++;
	if (j >= l->n) {   /* the line's end, most often */
		*i = j;
		return false;
	}
	start = j;
	for (;;) {
		while ((unsigned char)s[j] > ' ')
			j++;
		if (j >= l->n || s[j] == ' ')
			break;
		if (s[j] == '\0') {
			l->n = j;
			break;
		}
		j++;   /* a control byte inside the token */
	}
	*i = j;
	if (j == start)
		return false;
	t->p = s + start;
	t->len = j - start;
	return true;
}

/* tokenize_command() after the command, whose token is t[0] and ends at i:
 * at most MC_MAX_TOKENS - 1 real tokens (the get family reads the rest of
 * the line itself). */
static void tokenize(struct line *l, size_t i)
{
	size_t nt = 1;

	while (nt < MC_MAX_TOKENS - 1 && next_tok(l, &i, &l->t[nt]))
		nt++;
	l->t[nt].p = NULL;
	l->t[nt].len = 0;
	l->nt = nt + 1;
}

static int einval(struct ctx *c, const char *msg)
{
	*c->err = msg;
	return -EINVAL;
}

/* set_noreply_maybe(): the last real token. */
static bool last_is_noreply(const struct line *l)
{
	return tok_is(&l->t[l->nt - 2], "noreply");
}

static int key_push(struct mc_req *r, const char *p, size_t len)
{
	return ss_args_push(&r->keys, &r->nkeys, &r->cap, p, len);
}

/* The single key of a non-get command, refused past KEY_MAX_LENGTH. */
static int one_key(struct ctx *c)
{
	if (c->l.t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	return key_push(c->r, c->l.t[1].p, c->l.t[1].len);
}

/* get/gets/gat/gats from the line's offset i (past the command): every
 * token after the command (and exptime) is a key, however many: memcached
 * re-tokenizes the rest of the line as it goes. */
static int parse_retrieval(struct ctx *c, enum mc_cmd cmd, size_t i)
{
	bool touch = cmd == MC_GAT || cmd == MC_GATS;
	struct tok t;
	size_t n;

	/* One next_tok() call for every token, so that it is inlined here. */
	for (n = 0; next_tok(&c->l, &i, &t); n++) {
		if (n == 0)
			c->r->cmd = cmd;
		if (n == 0 && touch) {
			int32_t e;

			if (!safe_strtol(&t, &e))
				return einval(c, E_EXPTIME);
			c->r->exptime = e;
			continue;
		}
		if (t.len > MC_KEY_MAX)
			return einval(c, E_FORMAT);
		if (key_push(c->r, t.p, t.len) < 0)
			return -ENOMEM;
	}
	return n == 0 ? -ENOENT : SS_OK;   /* no key (or exptime): too few tokens */
}

/* set/add/replace/append/prepend/cas <key> <flags> <exptime> <bytes> [cas]. */
static int parse_storage(struct ctx *c)
{
	const struct line *l = &c->l;
	struct mc_req *r = c->r;
	int32_t exptime, vlen;
	size_t end;
	int rc;

	r->noreply = last_is_noreply(l);
	if (l->t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	if (!safe_strtoul(&l->t[2], &r->flags) || !safe_strtol(&l->t[3], &exptime) ||
	    !safe_strtol(&l->t[4], &vlen))
		return einval(c, E_FORMAT);
	if (r->cmd == MC_CAS && !safe_strtoull(&l->t[5], &r->cas))
		return einval(c, E_FORMAT);
	if (vlen < 0 || vlen > INT_MAX - 2)
		return einval(c, E_FORMAT);
	r->exptime = exptime;
	if ((rc = one_key(c)) != SS_OK)
		return rc;
	if (too_large(r, r->keys[0].len, r->flags, (size_t)vlen)) {
		r->swallow = (size_t)vlen + 2;
		*c->err = E_TOO_LARGE;
		return -E2BIG;
	}
	end = l->next + (size_t)vlen + 2;
	if (c->len < end) {
		r->need = end;
		return SS_NEED_MORE;
	}
	/* memcached reads <bytes> + 2 into the item, then checks the last two. */
	*c->consumed = end;
	if (c->buf[end - 2] != '\r' || c->buf[end - 1] != '\n')
		return einval(c, E_CHUNK);
	r->data.p = c->buf + l->next;
	r->data.len = (size_t)vlen;
	return SS_OK;
}

/* delete <key> [0] [noreply]: the old hold time is accepted only as "0". */
static int parse_delete(struct ctx *c)
{
	const struct line *l = &c->l;

	if (l->nt > 3) {
		bool hold0 = tok_is(&l->t[2], "0");
		bool noreply = c->r->noreply = last_is_noreply(l);

		if (!((l->nt == 4 && (hold0 || noreply)) || (l->nt == 5 && hold0 && noreply)))
			return einval(c, E_DELETE);
	}
	return one_key(c);
}

/* incr/decr <key> <delta> [noreply]. */
static int parse_arith(struct ctx *c)
{
	c->r->noreply = last_is_noreply(&c->l);
	if (c->l.t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	if (!safe_strtoull(&c->l.t[2], &c->r->delta))
		return einval(c, E_DELTA);
	return one_key(c);
}

/* touch <key> <exptime> [noreply]. */
static int parse_touch(struct ctx *c)
{
	int32_t e;

	c->r->noreply = last_is_noreply(&c->l);
	if (c->l.t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	if (!safe_strtol(&c->l.t[2], &e))
		return einval(c, E_EXPTIME);
	c->r->exptime = e;
	return one_key(c);
}

/* flush_all [delay] [noreply]: a token other than noreply is the delay. */
static int parse_flush(struct ctx *c)
{
	int32_t d;

	c->r->noreply = last_is_noreply(&c->l);
	if (c->l.nt != (c->r->noreply ? 3u : 2u)) {
		if (!safe_strtol(&c->l.t[1], &d))
			return einval(c, E_EXPTIME);
		c->r->delay = d;
	}
	return SS_OK;
}

/* verbosity <level> [noreply]. */
static int parse_verbosity(struct ctx *c)
{
	uint32_t level;

	c->r->noreply = last_is_noreply(&c->l);
	if (!safe_strtoul(&c->l.t[1], &level))
		return einval(c, E_FORMAT);
	c->r->delay = level;
	return SS_OK;
}

/* stats [group [args...]]: the arguments go to keys, the group also to
 * stats_arg; the caller decides which groups exist. */
static int parse_stats(struct ctx *c)
{
	size_t i;

	for (i = 1; i + 1 < c->l.nt; i++)
		if (key_push(c->r, c->l.t[i].p, c->l.t[i].len) < 0)
			return -ENOMEM;
	if (c->r->nkeys > 0)
		c->r->stats_arg = c->r->keys[0];
	return SS_OK;
}

static int parse_nothing(struct ctx *c)
{
	(void)c;
	return SS_OK;
}

/*
 * The meta commands. Their errors are always replied (memcached's
 * out_errstring() clears noreply); 'q' is the reply's business, not ours.
 */

/* strtol-family parse of a flag's argument (the token past its letter). */
static struct tok flag_arg(const struct tok *t)
{
	struct tok a = { t->p + 1, t->len - 1 };
	return a;
}

/* _meta_flag_preparse(): tokens from `start` on. Every flag letter at most
 * once; an unknown letter stops at once, other errors let the scan go on
 * (a later error's message wins, as in memcached). */
static int meta_preparse(struct ctx *c, size_t start, const char **errstr)
{
	struct line *l = &c->l;
	struct mc_meta *m = &c->r->meta;
	bool has_error = false;
	size_t i;

	for (i = start; i + 1 < l->nt; i++) {
		const struct tok *t = &l->t[i];
		unsigned char o = (unsigned char)t->p[0];
		struct tok a = flag_arg(t);
		uint64_t bit = 0;
		int32_t v;

		if (isalpha(o))
			bit = MC_MF(o);
		if (o >= 127 || (bit != 0 && (m->seen & bit))) {
			*errstr = "CLIENT_ERROR duplicate flag";
			return -1;
		}
		m->seen |= bit;
		m->tok[m->ntok].p = t->p;
		m->tok[m->ntok++].len = t->len;
		switch (o) {
		case 'b': {
			size_t n = base64_decode(c->r->keys[0].p, c->r->keys[0].len, m->key);
			if (n == 0) {
				*errstr = "CLIENT_ERROR error decoding key";
				has_error = true;
			}
			c->r->keys[0].p = m->key;
			c->r->keys[0].len = n;
			break;
		}
		case 'N': case 'T': case 'R':
			if (!safe_strtol(&a, &v)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				has_error = true;
			} else if (o == 'N') {
				m->vivify_ttl = v;
			} else if (o == 'T') {
				m->ttl = v;
			} else {
				m->recache_ttl = v;
			}
			break;
		case 'O':
			if (t->len > MC_META_OPAQUE_MAX)
				m->opaque_too_long = true;
			break;
		case 'l': case 'P': case 'L': case 'k': case 's': case 't': case 'c':
		case 'f': case 'v': case 'h': case 'u': case 'q': case 'I':
			break;
		case 'F':
			if (!safe_strtoul(&a, &m->client_flags))
				has_error = true;   /* memcached leaves errstr as it was */
			break;
		case 'C':
			if (!safe_strtoull(&a, &m->cas)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				has_error = true;
			}
			break;
		case 'M':
			if (t->len != 2) {
				*errstr = "CLIENT_ERROR incorrect length for M token";
				has_error = true;
			} else {
				m->mode = t->p[1];
			}
			break;
		case 'J':
			if (!safe_strtoull(&a, &m->initial)) {
				*errstr = "CLIENT_ERROR invalid numeric initial value";
				has_error = true;
			}
			break;
		case 'D':
			if (!safe_strtoull(&a, &m->delta)) {
				*errstr = "CLIENT_ERROR invalid numeric delta value";
				has_error = true;
			}
			break;
		default:
			*errstr = "CLIENT_ERROR invalid flag";
			return -1;
		}
	}
	return has_error ? -1 : 0;
}

static void meta_reset(struct mc_meta *m)
{
	m->seen = 0;
	m->mode = 0;
	m->opaque_too_long = false;
	m->ttl = m->vivify_ttl = m->recache_ttl = 0;
	m->client_flags = 0;
	m->cas = 0;
	m->delta = 1;   /* ma without D counts by one */
	m->initial = 0;
	m->ntok = 0;
}

/* mg, md, ma: <cmd> <key> <flags>*. */
static int parse_meta_key_cmd(struct ctx *c)
{
	const struct line *l = &c->l;
	const char *errstr = E_FORMAT;
	int rc;

	if (l->nt < 3)
		return -ENOENT;
	if (l->t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	if (l->nt > MFLAG_MAX_OPT_LENGTH)
		return einval(c, c->r->cmd == MC_MG ? "CLIENT_ERROR options flags are too long"
						    : "CLIENT_ERROR options flags too long");
	if ((rc = key_push(c->r, l->t[1].p, l->t[1].len)) < 0)
		return rc;
	if (meta_preparse(c, 2, &errstr) != 0)
		return einval(c, c->r->cmd == MC_MG ? errstr
						    : "CLIENT_ERROR invalid or duplicate flag");
	/* md checks the opaque before it looks the key up. */
	if (c->r->cmd == MC_MD && c->r->meta.opaque_too_long)
		return einval(c, "CLIENT_ERROR opaque token too long");
	if (c->r->cmd == MC_MA) {
		switch (c->r->meta.mode) {
		case 0: case 'I': case '+': case 'D': case '-':
			break;
		default:
			return einval(c, "CLIENT_ERROR invalid mode for ma M token");
		}
	}
	return SS_OK;
}

/* ms <key> <datalen> <flags>*: errors found after <datalen> was read
 * discard the data block too (memcached's swallow). */
static int parse_meta_set(struct ctx *c)
{
	const struct line *l = &c->l;
	struct mc_req *r = c->r;
	const char *errstr = E_FORMAT;
	int32_t vlen;
	size_t end;
	int rc;

	if (l->nt < 3)
		return -ENOENT;
	if (l->t[1].len > MC_KEY_MAX || l->nt == 3)
		return einval(c, E_FORMAT);
	if (l->nt > MFLAG_MAX_OPT_LENGTH)
		return einval(c, "CLIENT_ERROR options flags too long");
	if (!safe_strtol(&l->t[2], &vlen) || vlen < 0 || vlen > INT_MAX - 2)
		return einval(c, E_FORMAT);
	if ((rc = key_push(r, l->t[1].p, l->t[1].len)) < 0)
		return rc;
	/* memcached's order: flags, then the mode, then the opaque length. */
	if (meta_preparse(c, 3, &errstr) != 0 ||
	    (!strchr("ESAPR", r->meta.mode ? r->meta.mode : 'S') &&
	     (errstr = "CLIENT_ERROR invalid mode for ms M token")) ||
	    (r->meta.opaque_too_long && (errstr = "CLIENT_ERROR opaque token too long"))) {
		r->swallow = (size_t)vlen + 2;
		return einval(c, errstr);
	}
	if (too_large(r, r->keys[0].len, r->meta.client_flags, (size_t)vlen)) {
		r->swallow = (size_t)vlen + 2;
		*c->err = E_TOO_LARGE;
		return -E2BIG;
	}
	end = l->next + (size_t)vlen + 2;
	if (c->len < end) {
		r->need = end;
		return SS_NEED_MORE;
	}
	*c->consumed = end;
	if (c->buf[end - 2] != '\r' || c->buf[end - 1] != '\n')
		return einval(c, E_CHUNK);
	r->data.p = c->buf + l->next;
	r->data.len = (size_t)vlen;
	return SS_OK;
}

/* me <key> [b]: the debug dump; no flag parsing, only 'b' right after
 * the key. */
static int parse_meta_debug(struct ctx *c)
{
	const struct line *l = &c->l;
	struct mc_meta *m = &c->r->meta;
	int rc;

	if (l->nt < 3 || l->t[1].len > MC_KEY_MAX)
		return einval(c, E_FORMAT);
	if ((rc = key_push(c->r, l->t[1].p, l->t[1].len)) < 0)
		return rc;
	if (l->nt >= 4 && tok_is(&l->t[2], "b")) {
		size_t n = base64_decode(l->t[1].p, l->t[1].len, m->key);
		if (n == 0)
			return einval(c, E_FORMAT);
		c->r->keys[0].p = m->key;
		c->r->keys[0].len = n;
		m->seen |= MC_MF('b');
	}
	return SS_OK;
}

/* Meta commands are "m" and one letter. */
static int dispatch_meta(struct ctx *c)
{
	static const struct {
		char letter;
		enum mc_cmd cmd;
		int (*parse)(struct ctx *c);
	} metas[] = {
		{ 'g', MC_MG, parse_meta_key_cmd }, { 's', MC_MS, parse_meta_set },
		{ 'd', MC_MD, parse_meta_key_cmd }, { 'a', MC_MA, parse_meta_key_cmd },
		{ 'n', MC_MN, parse_nothing },      { 'e', MC_ME, parse_meta_debug },
	};

	meta_reset(&c->r->meta);
	for (size_t i = 0; i < sizeof(metas) / sizeof(metas[0]); i++) {
		if (c->l.t[0].p[1] == metas[i].letter) {
			c->r->cmd = metas[i].cmd;
			return metas[i].parse(c);
		}
	}
	return -ENOENT;
}

/*
 * The command named p[0..len), or -1: by the name's length, then a compare
 * or two of a few bytes each, the common ones first. "bget" is "get".
 */
static int cmd_of(const char *p, size_t len)
{
#define IS(name) (memcmp(p, name, sizeof(name) - 1) == 0)
	switch (len) {
	case 3:
		return IS("get") ? MC_GET : IS("set") ? MC_SET : IS("gat") ? MC_GAT :
		       IS("add") ? MC_ADD : IS("cas") ? MC_CAS : -1;
	case 4:
		return IS("gets") ? MC_GETS : IS("gats") ? MC_GATS : IS("incr") ? MC_INCR :
		       IS("decr") ? MC_DECR : IS("bget") ? MC_GET : IS("quit") ? MC_QUIT : -1;
	case 5:
		return IS("touch") ? MC_TOUCH : IS("stats") ? MC_STATS : -1;
	case 6:
		return IS("delete") ? MC_DELETE : IS("append") ? MC_APPEND : -1;
	case 7:
		return IS("replace") ? MC_REPLACE : IS("prepend") ? MC_PREPEND :
		       IS("version") ? MC_VERSION : -1;
	case 9:
		return IS("flush_all") ? MC_FLUSH_ALL : IS("verbosity") ? MC_VERBOSITY : -1;
	default:
		return -1;
	}
#undef IS
}

/* memcached's WANT_TOKENS bounds (terminal included) and the parser of the
 * commands after the get family (which parse_retrieval() reads). */
static const struct {
	unsigned char min, max;
	int (*parse)(struct ctx *c);
} mc_cmds[] = {
	[MC_SET]       = { 6, 7, parse_storage },
	[MC_ADD]       = { 6, 7, parse_storage },
	[MC_REPLACE]   = { 6, 7, parse_storage },
	[MC_APPEND]    = { 6, 7, parse_storage },
	[MC_PREPEND]   = { 6, 7, parse_storage },
	[MC_CAS]       = { 7, 8, parse_storage },
	[MC_DELETE]    = { 3, 5, parse_delete },
	[MC_INCR]      = { 4, 5, parse_arith },
	[MC_DECR]      = { 4, 5, parse_arith },
	[MC_TOUCH]     = { 4, 5, parse_touch },
	[MC_FLUSH_ALL] = { 2, 4, parse_flush },
	[MC_VERSION]   = { 2, MC_MAX_TOKENS, parse_nothing },
	[MC_VERBOSITY] = { 3, 4, parse_verbosity },
	[MC_STATS]     = { 2, MC_MAX_TOKENS, parse_stats },
	[MC_QUIT]      = { 2, MC_MAX_TOKENS, parse_nothing },
};

static void reset(struct mc_req *r)
{
	r->nkeys = 0;
	r->flags = 0;
	r->exptime = 0;
	r->cas = 0;
	r->delta = 0;
	r->delay = 0;
	r->data.p = NULL;
	r->data.len = 0;
	r->stats_arg.p = NULL;
	r->stats_arg.len = 0;
	r->noreply = false;
	r->swallow = 0;
	r->need = 0;
}

static int dispatch(struct ctx *c)
{
	struct line *l = &c->l;
	const struct tok *name = &l->t[0];
	size_t i = 0;
	int cmd;

	/* The most common request, without looking its name up. */
	if (l->n >= 4 && memcmp(l->s, "get ", 4) == 0) {
		cmd = MC_GET;
		i = 4;
	} else {
		/* Every command has at least two bytes (memcached: else "ERROR"). */
		if (!next_tok(l, &i, &l->t[0]) || name->len < 2)
			return -ENOENT;
		if (name->len == 2 && name->p[0] == 'm') {
			tokenize(l, i);
			return dispatch_meta(c);
		}
		if ((cmd = cmd_of(name->p, name->len)) < 0)
			return -ENOENT;
	}
	/* One call, so that it is inlined. */
	if (cmd <= MC_GATS)
		return parse_retrieval(c, (enum mc_cmd)cmd, i);
	tokenize(l, i);
	if (l->nt < mc_cmds[cmd].min || l->nt > mc_cmds[cmd].max)
		return -ENOENT;
	c->r->cmd = (enum mc_cmd)cmd;
	return mc_cmds[cmd].parse(c);
}

int mc_parse(struct mc_req *r, const char *buf, size_t len,
	     size_t *consumed, const char **err)
{
	struct ctx c;   /* not "= { ... }": that would zero the token array */
	int rc;

	c.r = r;
	c.buf = buf;
	c.len = len;
	c.consumed = consumed;
	c.err = err;

	reset(r);
	*consumed = 0;
	if (len == 0)
		return SS_NEED_MORE;
	if ((rc = find_line(buf, len, &c.l, err)) != SS_OK)
		return rc;
	*consumed = c.l.next;
	rc = dispatch(&c);
	if (rc != SS_OK && rc != -E2BIG)   /* E2BIG keeps the key: memcached
					      unlinks it on a too-large set */
		r->nkeys = 0;
	if (rc == SS_NEED_MORE || rc == -ENOMEM)
		*consumed = 0;
	return rc;
}
