/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for what a replica reads from its primary
 * (mgmt/repl_proto.c). The input is the byte stream after +FULLRESYNC: an
 * RDB payload ($len or $EOF:mark), then the command stream. It is read as
 * the link reads it (unconsumed bytes kept and fed again with more), whole
 * and in several read schedules; every schedule must see the same body,
 * the same end of payload and the same commands, each inside its input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/repl_proto.h"
#include "platform/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FNV_PRIME 0x100000001b3ULL

static void die(const char *what)
{
	fprintf(stderr, "fuzz_repl_proto: %s\n", what);
	abort();
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

struct run {
	uint64_t body;      /* hash of the body bytes, in order */
	uint64_t total;
	int pl_rc;          /* the payload reader's last status */
	uint64_t cmds;      /* hash of (len, kind) of each command */
	int st_rc;          /* the splitter's last status */
	size_t left;        /* bytes never consumed */
};

static int sink(void *arg, const char *p, size_t n)
{
	struct run *r = arg;

	r->body = mix(r->body, p, n);
	r->total += n;
	return SS_OK;
}

/* k: read size, 0 = pseudo-random 1..8. */
static void read_all(const uint8_t *in, size_t n, size_t k, struct run *r)
{
	char *buf = malloc(n ? n : 1);
	size_t have = 0, off = 0, got = 0;   /* buf[off..have) unconsumed */
	uint64_t rng = n * 2654435761u + 1;
	struct repl_payload pl;
	bool in_stream = false;

	memset(r, 0, sizeof(*r));
	r->pl_rc = r->st_rc = SS_NEED_MORE;
	repl_payload_init(&pl);
	while (got < n || off < have) {
		size_t c = k;
		if (c == 0) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			c = 1 + (size_t)(rng >> 61);
		}
		if (c > n - got)
			c = n - got;
		/* keep what is unconsumed at the front, then the new bytes */
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		memcpy(buf + have, in + got, c);
		have += c;
		got += c;
		if (!in_stream) {
			size_t used = 0;
			r->pl_rc = repl_payload_feed(&pl, buf, have, &used, sink, r);
			if (used > have)
				die("payload consumed more than it had");
			/* a partial header line may stay; never body bytes */
			if (r->pl_rc == SS_NEED_MORE && used != have && pl.state != 0)
				die("payload NEED_MORE left body bytes");
			if (r->pl_rc < 0)
				break;
			off += used;
			if (r->pl_rc == SS_OK)
				in_stream = true;
		}
		while (in_stream) {
			size_t len = 0;
			enum repl_cmd_kind kind;
			r->st_rc = repl_stream_next(buf + off, have - off, &len, &kind);
			if (r->st_rc != SS_OK)
				break;
			if (len == 0 || len > have - off)
				die("bad command length");
			r->cmds = mix(r->cmds, &len, sizeof(len));
			r->cmds = mix(r->cmds, &kind, sizeof(kind));
			off += len;
		}
		if (r->st_rc < 0 || (got == n && (r->st_rc == SS_NEED_MORE || !in_stream)))
			break;
	}
	if (r->total != pl.total)
		die("payload total differs from the bytes sunk");
	/* after a payload error, what was consumed before depends on the reads */
	r->left = r->pl_rc < 0 ? 0 : have - off + (n - got);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t ks[] = { 1, 2, 3, 7, 40, 41, 0 };
	struct run whole, part;

	/* the reply lines, as their own inputs: never read past len */
	{
		char id[REPL_ID_LEN + 1];
		int64_t off;
		char *line = malloc(size ? size : 1);
		memcpy(line, data, size);
		if (repl_parse_fullresync(line, size, id, &off) == SS_OK && strlen(id) != REPL_ID_LEN)
			die("FULLRESYNC id");
		if (repl_parse_continue(line, size, id) == SS_OK &&
		    strlen(id) != 0 && strlen(id) != REPL_ID_LEN)
			die("CONTINUE id");
		free(line);
	}
	read_all(data, size, size ? size : 1, &whole);
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		read_all(data, size, ks[i], &part);
		if (part.pl_rc != whole.pl_rc || part.st_rc != whole.st_rc ||
		    part.body != whole.body || part.total != whole.total ||
		    part.cmds != whole.cmds || part.left != whole.left)
			die("a read schedule changed the outcome");
	}
	return 0;
}
