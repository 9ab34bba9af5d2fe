/* SPDX-License-Identifier: BSD-3-Clause */
/* RESP requests (arrays of bulk strings) and the replies GET and SET get:
 * a bulk string or a null (RESP2 $-1, RESP3 _) for GET, +OK for SET, and
 * -ERR lines for either. */
#include <string.h>

#include "lg_proto.h"
#include "platform/fmt.h"
#include "platform/status.h"

static size_t put_bulk(char *o, const char *s, size_t n)
{
	size_t w = 0;

	o[w++] = '$';
	w += fmt_u64(o + w, n);
	o[w++] = '\r';
	o[w++] = '\n';
	memcpy(o + w, s, n);
	w += n;
	o[w++] = '\r';
	o[w++] = '\n';
	return w;
}

static size_t enc_get(char *out, const char *key, size_t klen)
{
	memcpy(out, "*2\r\n$3\r\nGET\r\n", 13);
	return 13 + put_bulk(out + 13, key, klen);
}

/* SET key val, or SET key val EX ttl: Redis and Slipstream both take EX. */
static size_t enc_set(char *out, const char *key, size_t klen, const char *val, size_t vlen,
		      unsigned ttl)
{
	char num[24];
	size_t w;

	memcpy(out, ttl ? "*5\r\n$3\r\nSET\r\n" : "*3\r\n$3\r\nSET\r\n", 13);
	w = 13 + put_bulk(out + 13, key, klen);
	w += put_bulk(out + w, val, vlen);
	if (ttl == 0)
		return w;
	w += put_bulk(out + w, "EX", 2);
	return w + put_bulk(out + w, num, fmt_u64(num, ttl));
}

static int parse(enum lg_op op, const char *key, size_t klen, const char *p, size_t len,
		 struct lg_reply *r)
{
	long e;
	unsigned long long n;

	(void)key;
	(void)klen;
	if (len == 0)
		return SS_NEED_MORE;
	e = lg_line_end(p, len);
	if (e == -1)
		return SS_NEED_MORE;
	if (e == -2)
		return lg_err(r, 0, 1, "resp: line too long or bare LF");
	r->fatal = 0;
	r->val = NULL;
	r->vlen = 0;
	r->used = (size_t)e + 2;
	switch (p[0]) {
	case '-':
		return lg_err(r, r->used, 0, "resp: error reply");
	case '+':
		if (op == LG_SET && e == 3 && memcmp(p, "+OK", 3) == 0) {
			r->kind = LG_R_STORED;
			return SS_OK;
		}
		return lg_err(r, r->used, 0, "resp: unexpected status reply");
	case ':':
		return lg_err(r, r->used, 0, "resp: unexpected integer reply");
	case '_':
		if (e != 1)
			return lg_err(r, 0, 1, "resp: bad null");
		if (op != LG_GET)
			return lg_err(r, r->used, 0, "resp: null reply to SET");
		r->kind = LG_R_MISS;
		return SS_OK;
	case '$':
		if (e == 3 && memcmp(p, "$-1", 3) == 0) {
			if (op != LG_GET)
				return lg_err(r, r->used, 0, "resp: null reply to SET");
			r->kind = LG_R_MISS;
			return SS_OK;
		}
		if (lg_parse_u64(p + 1, (size_t)e - 1, &n) < 0 || n > LG_VALUE_MAX)
			return lg_err(r, 0, 1, "resp: bad bulk length");
		if (len - r->used < n + 2)
			return SS_NEED_MORE;
		if (p[r->used + n] != '\r' || p[r->used + n + 1] != '\n')
			return lg_err(r, 0, 1, "resp: bulk string not ended by CRLF");
		r->val = p + r->used;
		r->vlen = (size_t)n;
		r->used += (size_t)n + 2;
		if (op != LG_GET)
			return lg_err(r, r->used, 0, "resp: bulk reply to SET");
		r->kind = LG_R_HIT;
		return SS_OK;
	default:
		/* Aggregates and anything else: no reply to GET or SET is one, and
		 * framing them is not worth it for a benchmark client. */
		return lg_err(r, 0, 1, "resp: unexpected reply type");
	}
}

const struct lg_proto lg_proto_resp = {
	.name = "redis", .enc_get = enc_get, .enc_set = enc_set, .parse = parse,
};
