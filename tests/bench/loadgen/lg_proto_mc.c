/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached requests and replies, text and meta:
 *
 *   text  get k            VALUE k <flags> <bytes>[ <cas>]\r\n<data>\r\nEND\r\n | END\r\n
 *         set k 0 <ttl> n  STORED\r\n
 *   meta  mg k v           VA <bytes>[ <flags>]\r\n<data>\r\n | EN\r\n
 *         ms k n[ T<ttl>]  HD[ <flags>]\r\n
 *
 * and for both ERROR, CLIENT_ERROR <msg>, SERVER_ERROR <msg>.
 */
#include <string.h>

#include "lg_proto.h"
#include "platform/fmt.h"
#include "platform/status.h"

static size_t put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return n;
}

static size_t text_get(char *out, const char *key, size_t klen)
{
	size_t w = put(out, "get ", 4);

	w += put(out + w, key, klen);
	return w + put(out + w, "\r\n", 2);
}

static size_t text_set(char *out, const char *key, size_t klen, const char *val, size_t vlen,
		       unsigned ttl)
{
	size_t w = put(out, "set ", 4);

	w += put(out + w, key, klen);
	/* flags 0; exptime is the TTL in seconds, 0 for none (LG_TTL_MAX keeps
	 * it from reading as a unix time) */
	w += put(out + w, " 0 ", 3);
	w += fmt_u64(out + w, ttl);
	out[w++] = ' ';
	w += fmt_u64(out + w, vlen);
	w += put(out + w, "\r\n", 2);
	w += put(out + w, val, vlen);
	return w + put(out + w, "\r\n", 2);
}

static size_t meta_get(char *out, const char *key, size_t klen)
{
	size_t w = put(out, "mg ", 3);

	w += put(out + w, key, klen);
	return w + put(out + w, " v\r\n", 4);
}

static size_t meta_set(char *out, const char *key, size_t klen, const char *val, size_t vlen,
		       unsigned ttl)
{
	size_t w = put(out, "ms ", 3);

	w += put(out + w, key, klen);
	out[w++] = ' ';
	w += fmt_u64(out + w, vlen);
	if (ttl) {   /* none: no T flag, the request as it was before TTLs */
		w += put(out + w, " T", 2);
		w += fmt_u64(out + w, ttl);
	}
	w += put(out + w, "\r\n", 2);
	w += put(out + w, val, vlen);
	return w + put(out + w, "\r\n", 2);
}

static int is(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n == w && memcmp(line, word, w) == 0;
}

/* word, or word followed by a space and more */
static int starts(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && memcmp(line, word, w) == 0 && (n == w || line[w] == ' ');
}

/* The lines both dialects answer with when a request failed; 1 if line is one. */
static int error_line(const char *line, size_t n, size_t used, struct lg_reply *r)
{
	if (is(line, n, "ERROR") || starts(line, n, "CLIENT_ERROR") ||
	    starts(line, n, "SERVER_ERROR")) {
		lg_err(r, used, 0, "memcache: error reply");
		return 1;
	}
	return 0;
}

/* The data block of n bytes at p[0..len), ended by CRLF: SS_OK with its
 * length in *used, SS_NEED_MORE, or -1 when the CRLF is not there. */
static int data_block(const char *p, size_t len, unsigned long long n, size_t *used)
{
	if (len < n + 2)
		return SS_NEED_MORE;
	if (p[n] != '\r' || p[n + 1] != '\n')
		return -1;
	*used = (size_t)n + 2;
	return SS_OK;
}

static int text_parse(enum lg_op op, const char *key, size_t klen, const char *p, size_t len,
		      struct lg_reply *r)
{
	long e = lg_line_end(p, len);
	size_t used, dlen;
	const char *tok[5];
	size_t tlen[5], nt = 0, i = 0;
	unsigned long long n, flags;
	int rc;

	if (e == -1)
		return SS_NEED_MORE;
	if (e == -2)
		return lg_err(r, 0, 1, "memcache: line too long or bare LF");
	used = (size_t)e + 2;
	r->fatal = 0;
	r->val = NULL;
	r->vlen = 0;
	r->used = used;
	if (error_line(p, (size_t)e, used, r))
		return SS_OK;
	if (is(p, (size_t)e, "STORED")) {
		if (op != LG_SET)
			return lg_err(r, used, 0, "memcache: STORED to a get");
		r->kind = LG_R_STORED;
		return SS_OK;
	}
	if (is(p, (size_t)e, "NOT_STORED") || is(p, (size_t)e, "EXISTS") ||
	    is(p, (size_t)e, "NOT_FOUND"))
		return lg_err(r, used, 0, "memcache: set not stored");
	if (is(p, (size_t)e, "END")) {
		if (op != LG_GET)
			return lg_err(r, used, 0, "memcache: END to a set");
		r->kind = LG_R_MISS;
		return SS_OK;
	}
	if (!starts(p, (size_t)e, "VALUE"))
		return lg_err(r, 0, 1, "memcache: unknown reply line");
	/* VALUE <key> <flags> <bytes>[ <cas>]: single spaces, as memcached writes it */
	while (i <= (size_t)e && nt < 5) {
		size_t j = i;

		while (j < (size_t)e && p[j] != ' ')
			j++;
		tok[nt] = p + i;
		tlen[nt++] = j - i;
		i = j + 1;
	}
	if (i <= (size_t)e || nt < 4 ||
	    lg_parse_u64(tok[2], tlen[2], &flags) < 0 || flags > 0xffffffffull ||
	    lg_parse_u64(tok[3], tlen[3], &n) < 0 || n > LG_VALUE_MAX ||
	    (nt == 5 && lg_parse_u64(tok[4], tlen[4], &flags) < 0))
		return lg_err(r, 0, 1, "memcache: bad VALUE line");
	rc = data_block(p + used, len - used, n, &dlen);
	if (rc == SS_NEED_MORE)
		return rc;
	if (rc < 0)
		return lg_err(r, 0, 1, "memcache: data block not ended by CRLF");
	/* Then END, or the stream is not what one get answers. */
	if (len - used - dlen < 5)
		return SS_NEED_MORE;
	if (memcmp(p + used + dlen, "END\r\n", 5) != 0)
		return lg_err(r, 0, 1, "memcache: VALUE not followed by END");
	r->val = p + used;
	r->vlen = (size_t)n;
	r->used = used + dlen + 5;
	if (op != LG_GET)
		return lg_err(r, r->used, 0, "memcache: VALUE to a set");
	if (tlen[1] != klen || memcmp(tok[1], key, klen) != 0)
		return lg_err(r, r->used, 0, "memcache: VALUE for another key");
	r->kind = LG_R_HIT;
	return SS_OK;
}

static int meta_parse(enum lg_op op, const char *key, size_t klen, const char *p, size_t len,
		      struct lg_reply *r)
{
	long e = lg_line_end(p, len);
	size_t used, dlen, j;
	unsigned long long n;
	int rc;

	(void)key;
	(void)klen;
	if (e == -1)
		return SS_NEED_MORE;
	if (e == -2)
		return lg_err(r, 0, 1, "memcache: line too long or bare LF");
	used = (size_t)e + 2;
	r->fatal = 0;
	r->val = NULL;
	r->vlen = 0;
	r->used = used;
	if (error_line(p, (size_t)e, used, r))
		return SS_OK;
	if (starts(p, (size_t)e, "HD")) {
		if (op != LG_SET)
			return lg_err(r, used, 0, "memcache: HD to mg v");
		r->kind = LG_R_STORED;
		return SS_OK;
	}
	if (starts(p, (size_t)e, "EN")) {
		if (op != LG_GET)
			return lg_err(r, used, 0, "memcache: EN to ms");
		r->kind = LG_R_MISS;
		return SS_OK;
	}
	if (starts(p, (size_t)e, "NS") || starts(p, (size_t)e, "EX") ||
	    starts(p, (size_t)e, "NF") || starts(p, (size_t)e, "MN"))
		return lg_err(r, used, 0, "memcache: unexpected meta status");
	if (!starts(p, (size_t)e, "VA"))
		return lg_err(r, 0, 1, "memcache: unknown reply line");
	for (j = 3; j < (size_t)e && p[j] != ' '; j++)
		;
	if (e < 4 || lg_parse_u64(p + 3, j - 3, &n) < 0 || n > LG_VALUE_MAX)
		return lg_err(r, 0, 1, "memcache: bad VA line");
	rc = data_block(p + used, len - used, n, &dlen);
	if (rc == SS_NEED_MORE)
		return rc;
	if (rc < 0)
		return lg_err(r, 0, 1, "memcache: data block not ended by CRLF");
	r->val = p + used;
	r->vlen = (size_t)n;
	r->used = used + dlen;
	if (op != LG_GET)
		return lg_err(r, r->used, 0, "memcache: VA to ms");
	r->kind = LG_R_HIT;
	return SS_OK;
}

const struct lg_proto lg_proto_mc_text = {
	.name = "memcache_text", .enc_get = text_get, .enc_set = text_set, .parse = text_parse,
};

const struct lg_proto lg_proto_mc_meta = {
	.name = "memcache_meta", .enc_get = meta_get, .enc_set = meta_set, .parse = meta_parse,
};
