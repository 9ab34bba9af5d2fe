/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RESP request parser, following Redis 7 networking.c (processInlineBuffer,
 * processMultibulkBuffer) and sds.c (sdssplitargs, string2ll) byte for byte,
 * but stateless: every call starts again at the front of the request.
 */
#include "dataplane/proto/resp_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/splitargs.h"
#include "platform/status.h"

#define E_MBULK_BIG   "Protocol error: too big mbulk count string"
#define E_BULK_BIG    "Protocol error: too big bulk count string"
#define E_MBULK_LEN   "Protocol error: invalid multibulk length"
#define E_BULK_LEN    "Protocol error: invalid bulk length"
#define E_INLINE_BIG  "Protocol error: too big inline request"
#define E_QUOTES      "Protocol error: unbalanced quotes in request"

#define LONG_STR_SIZE 21   /* Redis: a longer string is never a long long */

void resp_req_init(struct resp_req *r)
{
	memset(r, 0, sizeof(*r));
	r->max_bulk = RESP_BULK_MAX_DEFAULT;
}

void resp_req_fini(struct resp_req *r)
{
	free(r->argv);
	free(r->scratch);
	r->argv = NULL;
	r->scratch = NULL;
	r->argc = r->cap = 0;
	r->scratch_cap = 0;
}

/* Redis's string2ll: no spaces, no '+', no leading zeros, no "-0". */
static bool str2ll(const char *s, size_t n, long long *out)
{
	unsigned long long v;
	bool neg = false;
	size_t i = 0;

	if (n == 0 || n >= LONG_STR_SIZE)
		return false;
	if (n == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == n)
			return false;
	}
	if (s[i] < '1' || s[i] > '9')
		return false;
	v = (unsigned long long)(s[i++] - '0');
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > ULLONG_MAX / 10 || v * 10 > ULLONG_MAX - (unsigned)(s[i] - '0'))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i < n)
		return false;
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

/*
 * Redis finds a line end with strchr() on the query buffer: the first `ch`
 * counts only if no NUL comes before it. We also stop looking after
 * RESP_INLINE_MAX + 1 bytes so the outcome does not depend on read sizes.
 * Returns the offset of `ch` from p, or -1.
 */
static long find_eol(const char *p, size_t n, char ch)
{
	const char *hit, *nul;

	if (n > RESP_INLINE_MAX + 1)
		n = RESP_INLINE_MAX + 1;
	hit = memchr(p, ch, n);
	nul = memchr(p, '\0', hit != NULL ? (size_t)(hit - p) : n);
	return hit != NULL && nul == NULL ? (long)(hit - p) : -1;
}

static int fail(const char **err, const char *msg)
{
	*err = msg;
	return -EPROTO;
}

static int argv_push(struct resp_req *r, const char *p, size_t len)
{
	return ss_args_push(&r->argv, &r->argc, &r->cap, p, len);
}

/*
 * The usual header line, in one pass: the marker at p[0], then a number
 * with no sign or leading zero and at most 18 digits (so it cannot
 * overflow), then '\r' and one more byte. On such a line find_eol and
 * str2ll would agree: returns the offset of the '\r' and sets *v. Any
 * other line returns 0 and takes the slow path, which decides it exactly
 * as before.
 */
static size_t quick_len(const char *p, size_t n, char marker, long long *v)
{
	unsigned long long x;
	size_t i, lim;
	unsigned d;

	if (n < 4 || p[0] != marker)
		return 0;
	x = (unsigned char)p[1] - (unsigned)'0';
	if (x > 9)
		return 0;
	/* One digit, the most common: with n >= 4 its '\r' has a byte after. */
	if (p[2] == '\r') {
		*v = (long long)x;
		return 2;
	}
	if (x == 0)
		return 0;   /* a leading zero */
	lim = n - 1 < 19 ? n - 1 : 19;
	for (i = 2; i < lim && (d = (unsigned char)p[i] - (unsigned)'0') <= 9; i++)
		x = x * 10 + d;
	if (i >= n - 1 || p[i] != '\r')
		return 0;
	*v = (long long)x;
	return i;
}

/* A "$L\r" line quick_len did not take, as Redis reads it. */
static int bulk_len_slow(struct resp_req *r, const char *p, size_t rest,
			 size_t *eolp, long long *ll, const char **err)
{
	long eol = find_eol(p, rest, '\r');
	long long v;

	if (eol < 0)
		return rest > RESP_INLINE_MAX ? fail(err, E_BULK_BIG) : SS_NEED_MORE;
	if ((size_t)eol + 2 > rest)
		return SS_NEED_MORE;
	if (p[0] != '$') {
		/* Redis's addReplyErrorFormat turns CR and LF into spaces. */
		char got = p[0] == '\r' || p[0] == '\n' ? ' ' : p[0];

		snprintf(r->errbuf, sizeof(r->errbuf),
			 "Protocol error: expected '$', got '%c'", got);
		return fail(err, r->errbuf);
	}
	/* Into a local: were *ll's address to reach str2ll, the caller's
	 * fast path would keep the length in memory too. */
	if (!str2ll(p + 1, (size_t)eol - 1, &v) || v < 0)
		return fail(err, E_BULK_LEN);
	*ll = v;
	*eolp = (size_t)eol;
	return SS_OK;
}

/*
 * One "$L\r\n<L bytes>\r\n" at buf[*pos]. Like Redis, the byte after '\r'
 * is taken for '\n' unchecked, and the two bytes after the data are skipped
 * unchecked.
 */
static int parse_bulk(struct resp_req *r, const char *buf, size_t len,
		      size_t *pos, const char **err)
{
	size_t at = *pos, rest = len - at, eol;
	long long ll;
	int rc;

	if ((eol = quick_len(buf + at, rest, '$', &ll)) == 0 &&
	    (rc = bulk_len_slow(r, buf + at, rest, &eol, &ll, err)) != SS_OK)
		return rc;
	if (ll > r->max_bulk)
		return fail(err, E_BULK_LEN);
	at += eol + 2;
	/* 0 <= ll <= LLONG_MAX here, so ll + 2 cannot wrap. */
	if ((unsigned long long)ll + 2 > len - at) {
		r->need = at + (size_t)ll + 2;
		return SS_NEED_MORE;
	}
	if (argv_push(r, buf + at, (size_t)ll) < 0)
		return -ENOMEM;
	*pos = at + (size_t)ll + 2;
	return SS_OK;
}

/* A "*N\r" line quick_len did not take, as Redis reads it. */
static int mbulk_len_slow(const char *buf, size_t len, size_t *eolp, long long *n,
			  const char **err)
{
	long eol = find_eol(buf, len, '\r');
	long long v;

	if (eol < 0)
		return len > RESP_INLINE_MAX ? fail(err, E_MBULK_BIG) : SS_NEED_MORE;
	if ((size_t)eol + 2 > len)
		return SS_NEED_MORE;
	if (!str2ll(buf + 1, (size_t)eol - 1, &v))   /* a local: see bulk_len_slow */
		return fail(err, E_MBULK_LEN);
	*n = v;
	*eolp = (size_t)eol;
	return SS_OK;
}

static int parse_multibulk(struct resp_req *r, const char *buf, size_t len,
			   size_t *consumed, const char **err)
{
	size_t eol, pos;
	long long n;
	int rc;

	if ((eol = quick_len(buf, len, '*', &n)) == 0 &&
	    (rc = mbulk_len_slow(buf, len, &eol, &n, err)) != SS_OK)
		return rc;
	if (n > RESP_MULTIBULK_MAX)
		return fail(err, E_MBULK_LEN);
	pos = eol + 2;
	for (; n > 0; n--)
		if ((rc = parse_bulk(r, buf, len, &pos, err)) != SS_OK)
			return rc;
	*consumed = pos;
	return SS_OK;
}

/*
 * sdssplitargs() state for one inline line. A token is kept as a range of
 * the line while its bytes are contiguous there; the first byte that breaks
 * that (an escape, or quoting that starts mid-token) moves it to scratch.
 */
struct split {
	const char *s;
	size_t n;
	size_t i;
	char *out;           /* scratch, at least n bytes */
	size_t used;
	const char *tok;     /* token start while not copied */
	size_t tlen;
	bool copied;
};

static char at(const struct split *sp, size_t i)
{
	return i < sp->n ? sp->s[i] : '\0';
}

static void emit(struct split *sp, char c, const char *src)
{
	if (!sp->copied) {
		if (src != NULL && (sp->tlen == 0 || sp->tok + sp->tlen == src)) {
			if (sp->tlen++ == 0)
				sp->tok = src;
			return;
		}
		memcpy(sp->out + sp->used, sp->tok, sp->tlen);
		sp->tok = sp->out + sp->used;
		sp->used += sp->tlen;
		sp->copied = true;
	}
	sp->out[sp->used++] = c;
	sp->tlen++;
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');   /* isspace(), C locale */
}

/* Inside "double quotes". Returns 1 at the closing quote, -1 on error. */
static int step_dquote(struct split *sp)
{
	size_t i = sp->i;
	char c = at(sp, i);

	if (c == '\\' && at(sp, i + 1) == 'x' && splitargs_is_hex(at(sp, i + 2)) && splitargs_is_hex(at(sp, i + 3))) {
		emit(sp, (char)(splitargs_hex_val(at(sp, i + 2)) * 16 + splitargs_hex_val(at(sp, i + 3))), NULL);
		sp->i += 3;
	} else if (c == '\\' && at(sp, i + 1) != '\0') {
		char e = splitargs_unescape(at(sp, ++sp->i));

		emit(sp, e, e == sp->s[sp->i] ? sp->s + sp->i : NULL);
	} else if (c == '"') {
		/* A closing quote must be followed by a space or nothing. */
		return at(sp, i + 1) != '\0' && !is_space(at(sp, i + 1)) ? -1 : 1;
	} else if (c == '\0') {
		return -1;
	} else {
		emit(sp, c, sp->s + i);
	}
	return 0;
}

/* Inside 'single quotes': only \' is an escape. */
static int step_squote(struct split *sp)
{
	size_t i = sp->i;
	char c = at(sp, i);

	if (c == '\\' && at(sp, i + 1) == '\'') {
		emit(sp, '\'', sp->s + ++sp->i);
	} else if (c == '\'') {
		return at(sp, i + 1) != '\0' && !is_space(at(sp, i + 1)) ? -1 : 1;
	} else if (c == '\0') {
		return -1;
	} else {
		emit(sp, c, sp->s + i);
	}
	return 0;
}

/* One token from sp->i (not a blank). Returns 0, or -1 on bad quoting. */
static int split_token(struct split *sp)
{
	int mode = 0;   /* 0 bare, 1 "double", 2 'single' */
	int done = 0;

	sp->tok = sp->s + sp->i;
	sp->tlen = 0;
	sp->copied = false;
	while (!done) {
		char c = at(sp, sp->i);

		if (mode == 1)
			done = step_dquote(sp);
		else if (mode == 2)
			done = step_squote(sp);
		else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0')
			done = 1;   /* not \v or \f: sdssplitargs ends tokens on these only */
		else if (c == '"' || c == '\'')
			mode = c == '"' ? 1 : 2;
		else
			emit(sp, c, sp->s + sp->i);
		if (done < 0)
			return -1;
		if (at(sp, sp->i) != '\0')
			sp->i++;
	}
	return 0;
}

static int ensure_scratch(struct resp_req *r, size_t n)
{
	char *p;

	if (r->scratch_cap >= n)
		return SS_OK;
	if ((p = realloc(r->scratch, n)) == NULL)
		return -ENOMEM;
	r->scratch = p;
	r->scratch_cap = n;
	return SS_OK;
}

static int split_line(struct resp_req *r, const char *s, size_t n, const char **err)
{
	struct split sp = { .s = s, .n = n };

	/* Only quoting can make a token non-contiguous, and unescaping never
	 * grows it: n bytes of scratch always suffice, so it never moves. */
	if (memchr(s, '"', n) != NULL || memchr(s, '\'', n) != NULL) {
		if (ensure_scratch(r, n) < 0)
			return -ENOMEM;
		sp.out = r->scratch;
	}
	for (;;) {
		while (sp.i < n && is_space(s[sp.i]))
			sp.i++;
		if (sp.i == n)
			return SS_OK;
		if (split_token(&sp) < 0) {
			r->argc = 0;
			return fail(err, E_QUOTES);
		}
		if (argv_push(r, sp.tok, sp.tlen) < 0)
			return -ENOMEM;
	}
}

static int parse_inline(struct resp_req *r, const char *buf, size_t len,
			size_t *consumed, const char **err)
{
	long nl = find_eol(buf, len, '\n');
	size_t qlen, lf = 1;
	int rc;

	if (nl < 0)
		return len > RESP_INLINE_MAX ? fail(err, E_INLINE_BIG) : SS_NEED_MORE;
	qlen = (size_t)nl;
	if (qlen > 0 && buf[qlen - 1] == '\r') {
		qlen--;
		lf++;
	}
	if ((rc = split_line(r, buf, qlen, err)) != SS_OK)
		return rc;
	*consumed = qlen + lf;
	return SS_OK;
}

int resp_parse(struct resp_req *r, const char *buf, size_t len,
	       size_t *consumed, const char **err)
{
	int rc;

	r->argc = 0;
	r->need = 0;
	*consumed = 0;
	if (len == 0)
		return SS_NEED_MORE;
	r->is_inline = buf[0] != '*';
	rc = r->is_inline ? parse_inline(r, buf, len, consumed, err)
			  : parse_multibulk(r, buf, len, consumed, err);
	if (rc != SS_OK) {
		r->argc = 0;
		*consumed = 0;
	}
	if (rc != SS_NEED_MORE)
		r->need = 0;
	return rc;
}
