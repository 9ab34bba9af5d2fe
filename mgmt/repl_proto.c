/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/repl_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "platform/status.h"
#include "storage/repl.h"

int repl_read_line(const char *p, size_t n, const char **line, size_t *len, size_t *consumed)
{
	size_t scan = n < REPL_LINE_MAX + 2 ? n : REPL_LINE_MAX + 2;
	const char *nl = memchr(p, '\n', scan);

	if (nl == NULL)
		return n >= REPL_LINE_MAX + 2 ? -EPROTO : SS_NEED_MORE;
	*line = p;
	*len = (size_t)(nl - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	*consumed = (size_t)(nl - p) + 1;
	return SS_OK;
}

int repl_parse_fullresync(const char *line, size_t len, char *id, int64_t *offset)
{
	static const char pre[] = "+FULLRESYNC ";
	const size_t pl = sizeof(pre) - 1;
	long long off;

	if (len < pl + REPL_ID_LEN + 2 || memcmp(line, pre, pl) != 0 ||
	    !repl_id_valid(line + pl, REPL_ID_LEN) || line[pl + REPL_ID_LEN] != ' ' ||
	    !repl_parse_ll(line + pl + REPL_ID_LEN + 1, len - pl - REPL_ID_LEN - 1, INT64_MAX, &off))
		return -EINVAL;
	memcpy(id, line + pl, REPL_ID_LEN);
	id[REPL_ID_LEN] = '\0';
	*offset = off;
	return SS_OK;
}

int repl_parse_continue(const char *line, size_t len, char *id)
{
	static const char pre[] = "+CONTINUE";
	const size_t pl = sizeof(pre) - 1;

	if (len < pl || memcmp(line, pre, pl) != 0)
		return -EINVAL;
	if (len == pl) {
		id[0] = '\0';
		return SS_OK;
	}
	if (len != pl + 1 + REPL_ID_LEN || line[pl] != ' ' || !repl_id_valid(line + pl + 1, REPL_ID_LEN))
		return -EINVAL;
	memcpy(id, line + pl + 1, REPL_ID_LEN);
	id[REPL_ID_LEN] = '\0';
	return SS_OK;
}

enum { PL_HEADER, PL_BODY, PL_DONE };

void repl_payload_init(struct repl_payload *pl)
{
	memset(pl, 0, sizeof(*pl));
}

static int fail(struct repl_payload *pl, const char *why, const char *p, size_t n)
{
	snprintf(pl->err, sizeof(pl->err), "%s%s%.*s", why, n ? ": " : "",
		 (int)(n < 64 ? n : 64), p);
	return -EPROTO;
}

static int header(struct repl_payload *pl, const char *line, size_t len)
{
	long long v;

	if (len > 0 && line[0] == '-')
		return fail(pl, "the primary refused the sync", line, len);
	if (len == 5 + REPL_MARK_LEN && memcmp(line, "$EOF:", 5) == 0) {
		pl->eof_form = true;
		memcpy(pl->mark, line + 5, REPL_MARK_LEN);
		pl->state = PL_BODY;
		return SS_OK;
	}
	if (len < 2 || line[0] != '$' || !repl_parse_ll(line + 1, len - 1, INT64_MAX, &v) || v < 0)
		return fail(pl, "bad payload header", line, len);
	pl->left = (uint64_t)v;
	pl->state = v == 0 ? PL_DONE : PL_BODY;
	return SS_OK;
}

static int sink_out(struct repl_payload *pl, repl_sink_fn sink, void *arg, const char *p,
		    size_t n)
{
	int rc;

	if (n == 0)
		return SS_OK;
	pl->total += n;
	if ((rc = sink(arg, p, n)) < 0)
		snprintf(pl->err, sizeof(pl->err), "cannot store the payload: %s", strerror(-rc));
	return rc < 0 ? rc : SS_OK;
}

/* EOF form: the held-back tail and p[0..n) make one window; the body ends
 * where the mark is found in it, anywhere (a short read may end mid-mark
 * or hold bytes after it). Not found: all but the last MARK_LEN - 1 bytes
 * are body for sure. */
static int eof_body(struct repl_payload *pl, const char *p, size_t n, size_t *used,
		    repl_sink_fn sink, void *arg)
{
	char edge[2 * REPL_MARK_LEN];
	size_t t = pl->tail_len, e = n < REPL_MARK_LEN - 1 ? n : REPL_MARK_LEN - 1;
	const char *hit;
	int rc;

	/* the mark across the tail and p's start */
	memcpy(edge, pl->tail, t);
	memcpy(edge + t, p, e);
	hit = memmem(edge, t + e, pl->mark, REPL_MARK_LEN);
	if (hit != NULL) {
		size_t k = (size_t)(hit - edge);   /* body bytes in the window */
		if (k <= t) {
			if ((rc = sink_out(pl, sink, arg, pl->tail, k)) < 0)
				return rc;
		} else {
			if ((rc = sink_out(pl, sink, arg, pl->tail, t)) < 0 ||
			    (rc = sink_out(pl, sink, arg, p, k - t)) < 0)
				return rc;
		}
		*used = k + REPL_MARK_LEN - t;
		pl->tail_len = 0;
		pl->state = PL_DONE;
		return SS_OK;
	}
	hit = n >= REPL_MARK_LEN ? memmem(p, n, pl->mark, REPL_MARK_LEN) : NULL;
	if (hit != NULL) {
		size_t k = (size_t)(hit - p);
		if ((rc = sink_out(pl, sink, arg, pl->tail, t)) < 0 ||
		    (rc = sink_out(pl, sink, arg, p, k)) < 0)
			return rc;
		*used = k + REPL_MARK_LEN;
		pl->tail_len = 0;
		pl->state = PL_DONE;
		return SS_OK;
	}
	/* no mark: keep the window's last MARK_LEN - 1 bytes */
	size_t win = t + n, keep = win < REPL_MARK_LEN - 1 ? win : REPL_MARK_LEN - 1;
	size_t out = win - keep;
	char nt[REPL_MARK_LEN];

	if (out <= t) {
		if ((rc = sink_out(pl, sink, arg, pl->tail, out)) < 0)
			return rc;
		memcpy(nt, pl->tail + out, t - out);
		memcpy(nt + (t - out), p, n);
	} else {
		if ((rc = sink_out(pl, sink, arg, pl->tail, t)) < 0 ||
		    (rc = sink_out(pl, sink, arg, p, out - t)) < 0)
			return rc;
		memcpy(nt, p + (out - t), keep);
	}
	memcpy(pl->tail, nt, keep);
	pl->tail_len = keep;
	*used = n;
	return SS_NEED_MORE;
}

int repl_payload_feed(struct repl_payload *pl, const char *p, size_t n, size_t *consumed,
		      repl_sink_fn sink, void *arg)
{
	size_t off = 0;
	int rc;

	*consumed = 0;
	while (pl->state == PL_HEADER) {
		const char *line;
		size_t len, used;

		rc = repl_read_line(p + off, n - off, &line, &len, &used);
		if (rc == SS_NEED_MORE) {
			/* nothing of a partial line is kept here: the caller keeps
			 * unconsumed bytes and feeds them again with more */
			*consumed = off;
			return SS_NEED_MORE;
		}
		if (rc < 0)
			return fail(pl, "payload header line too long", "", 0);
		off += used;
		if (len == 0)
			continue;   /* a keepalive newline while the primary prepares */
		if ((rc = header(pl, line, len)) < 0)
			return rc;
	}
	if (pl->state == PL_BODY && !pl->eof_form) {
		size_t k = n - off < pl->left ? n - off : (size_t)pl->left;
		if ((rc = sink_out(pl, sink, arg, p + off, k)) < 0)
			return rc;
		off += k;
		pl->left -= k;
		if (pl->left == 0)
			pl->state = PL_DONE;
	} else if (pl->state == PL_BODY) {
		size_t used = 0;
		rc = eof_body(pl, p + off, n - off, &used, sink, arg);
		if (rc < 0)
			return rc;
		off += used;
	}
	*consumed = off;
	return pl->state == PL_DONE ? SS_OK : SS_NEED_MORE;
}

/* "<c><digits>\r\n" at p: SS_OK with *v and *used; SS_NEED_MORE; -EPROTO. */
static int num_line(const char *p, size_t n, char c, long long max, long long *v, size_t *used)
{
	const char *line;
	size_t len;
	int rc;

	if (n > 0 && p[0] != c)
		return -EPROTO;
	rc = repl_read_line(p, n < 32 ? n : 32, &line, &len, used);
	if (rc == SS_NEED_MORE)
		return n >= 32 ? -EPROTO : SS_NEED_MORE;
	if (rc < 0 || *used < 2 || p[*used - 2] != '\r' || len < 2 ||
	    !repl_parse_ll(line + 1, len - 1, max, v) || *v < 0)
		return -EPROTO;
	return SS_OK;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

int repl_stream_next(const char *p, size_t n, size_t *len, enum repl_cmd_kind *kind)
{
	long long argc, blen;
	size_t off, used;
	const char *a0 = NULL, *a1 = NULL;
	size_t l0 = 0, l1 = 0;
	int rc;

	if (n == 0)
		return SS_NEED_MORE;
	if (p[0] == '\n' || p[0] == '\r') {
		/* a bare newline: Redis primaries send none mid-stream, but it
		 * costs nothing to count it as they would */
		if (p[0] == '\r' && n < 2)
			return SS_NEED_MORE;
		if (p[0] == '\r' && p[1] != '\n')
			return -EPROTO;
		*len = p[0] == '\r' ? 2 : 1;
		*kind = REPL_CMD_SKIP;
		return SS_OK;
	}
	if ((rc = num_line(p, n, '*', REPL_ARGS_MAX, &argc, &used)) != SS_OK)
		return rc;
	if (argc == 0)
		return -EPROTO;
	off = used;
	for (long long i = 0; i < argc; i++) {
		if ((rc = num_line(p + off, n - off, '$', REPL_BULK_MAX, &blen, &used)) != SS_OK)
			return rc;
		off += used;
		if (n - off < (size_t)blen + 2)
			return SS_NEED_MORE;
		if (p[off + blen] != '\r' || p[off + blen + 1] != '\n')
			return -EPROTO;
		if (i == 0) {
			a0 = p + off;
			l0 = (size_t)blen;
		} else if (i == 1) {
			a1 = p + off;
			l1 = (size_t)blen;
		}
		off += (size_t)blen + 2;
	}
	*len = off;
	if (word_is(a0, l0, "replconf"))
		*kind = a1 != NULL && word_is(a1, l1, "getack") ? REPL_CMD_GETACK : REPL_CMD_SKIP;
	else if (word_is(a0, l0, "ping") || word_is(a0, l0, "select") ||
		 word_is(a0, l0, "multi") || word_is(a0, l0, "exec"))
		*kind = REPL_CMD_SKIP;
	else
		*kind = REPL_CMD_APPLY;
	return SS_OK;
}
