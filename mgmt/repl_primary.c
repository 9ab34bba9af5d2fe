/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/repl_primary.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/proto/resp_parse.h"
#include "mgmt/persist_writer.h"
#include "platform/clock.h"
#include "platform/listen.h"
#include "platform/log.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/persist.h"
#include "storage/repl.h"
#include "storage/repl_log.h"
#include "storage/storage.h"

#define OUT_LIMIT      (256ull << 20)   /* client-output-buffer-limit replica 256mb */
#define PING_PERIOD_MS 10000            /* repl-ping-replica-period */
#define KEEPALIVE_MS   1000             /* a newline while the snapshot is taken */
#define IN_MAX         (64u << 10)      /* a replica only sends REPLCONF ACKs */

static const char PING_CMD[] = "*1\r\n$4\r\nPING\r\n";
static const char GETACK_CMD[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

struct bytes {
	char *p;
	size_t off, len, cap;   /* [off, len) still to send */
};

/*
 * A full resync: WAIT_JOIN (every worker logs from the cut), then either
 * disk-based, WAIT_BGSAVE then SEND_RDB (the file), or diskless for
 * replicas that said "capa eof", STREAM_WAIT (another snapshot runs) then
 * STREAMING (the snapshot goes to the socket as it is made); then ONLINE.
 */
enum rstate { R_WAIT_JOIN, R_WAIT_BGSAVE, R_SEND_RDB, R_STREAM_WAIT, R_STREAMING,
	      R_WAIT_ACK, R_ONLINE };
static const char *const state_name[] = { "wait_bgsave", "wait_bgsave", "send_bulk",
					  "wait_bgsave", "send_bulk", "send_bulk", "online" };

#define STREAM_ROOM (4u << 20)   /* a diskless snapshot waits while a replica owes more */

struct replica {
	struct replica *next;
	int fd;
	enum rstate st;
	char ip[64];
	int port;
	uint64_t gen;           /* R_WAIT_JOIN: the log generation every worker must join */
	uint64_t s0;            /* R_WAIT_BGSAVE: snapshots begun before its cut */
	int rdb_fd;
	off_t rdb_off, rdb_size;
	struct bytes out;       /* what it is owed now */
	struct bytes pending;   /* the stream since its cut, while the RDB is not sent */
	struct bytes in;        /* its REPLCONF ACKs, not parsed yet */
	uint64_t ack_off;
	uint64_t last_io_ms, keepalive_ms;
	bool dead;
	bool capa_eof;
	char eof_mark[40];          /* diskless: the RDB ends with it */
	struct persist_sink sink;   /* diskless: the snapshot streams into out */
};

/* A connection on the replication listener, before its PSYNC/SYNC. */
struct hs {
	struct hs *next;
	int fd;
	struct bytes in, out;
	bool authed, dead;
	struct repl_handoff h;  /* what REPLCONF said so far */
};

static struct {
	int listen_fd;          /* io=dpdk: replicas connect here; -1 = none */
	struct hs *hs;
	unsigned n_hs;
	bool on;                /* the workers log: a replica came once */
	char replid[41];
	char replid2[41];       /* a promoted replica's old primary's, "" = none */
	uint64_t second_offset; /* ... reachable under it up to here (first byte) */
	uint64_t offset;        /* master_repl_offset: bytes of the stream so far */
	char *bl;               /* the backlog, a ring of bl_size bytes */
	size_t bl_size, bl_len, bl_pos;   /* bl_pos: where the next byte goes */
	struct replica *replicas;
	unsigned n;
	uint64_t last_ping_ms;
	struct resp_req req;
} P;

static void publish(uint64_t now_ms);

/* This node's replication ID as a primary is storage/repl.c's (a
 * promotion makes a new one). While it is a replica the stream its own
 * replicas get keeps the ID it had: that stream is this node's. */
static void drop(struct replica *r, const char *why);

static void follow_replid(void)
{
	struct repl_status st;

	repl_status_get(&st);
	if (!st.replica && strcmp(P.replid, st.replid) != 0) {
		memcpy(P.replid, st.replid, sizeof(P.replid));
		if (st.second_offset > 0) {
			/* Promoted: the stream goes on from where the old primary's
			 * stopped here, as in Redis, so its other replicas, which
			 * are at that offset, resume (+CONTINUE) under its ID. */
			memcpy(P.replid2, st.replid2, sizeof(P.replid2));
			P.second_offset = (uint64_t)st.second_offset;
			P.offset = P.second_offset - 1;
			P.bl_len = 0;
			repl_log_set_offset(P.offset);
			/* this node's own replicas had offsets of its old stream */
			for (struct replica *r = P.replicas; r != NULL; r = r->next)
				drop(r, "this node was promoted: its stream starts over");
		}
	}
	if (P.replid[0] == '\0')
		repl_random_id(P.replid);
}

int repl_primary_setup(void)
{
	memset(&P, 0, sizeof(P));
	P.listen_fd = -1;
	follow_replid();
	resp_req_init(&P.req);
	publish(0);   /* INFO shows the id before the first tick */
	return SS_OK;
}

static void bytes_fini(struct bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)   /* p may be NULL then: an empty buffer never allocated */
		return true;
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		if (b->off > 0) {   /* slide what is left to the front first */
			memmove(b->p, b->p + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		if (cap != b->cap) {
			char *q = realloc(b->p, cap);
			if (q == NULL)
				return false;
			b->p = q;
			b->cap = cap;
		}
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return true;
}

static size_t bytes_left(const struct bytes *b) { return b->len - b->off; }

static void replica_free(struct replica *r)
{
	if (r->st == R_STREAMING)
		persist_stream_abort(&r->sink);
	if (r->fd >= 0)
		close(r->fd);
	if (r->rdb_fd >= 0)
		close(r->rdb_fd);
	bytes_fini(&r->out);
	bytes_fini(&r->pending);
	bytes_fini(&r->in);
	free(r);
}

/* A handshake connection done with; its socket stays open if handed to a replica. */
static void hs_free(struct hs *x, bool handed)
{
	if (!handed)
		close(x->fd);
	bytes_fini(&x->in);
	bytes_fini(&x->out);
	free(x);
}

void repl_primary_teardown(void)
{
	/* replicas handed over after the loop's last tick */
	for (struct repl_handoff *h = repl_handoff_take(), *next; h != NULL; h = next) {
		next = h->next;
		close(h->fd);
		free(h);
	}
	while (P.replicas != NULL) {
		struct replica *r = P.replicas;
		P.replicas = r->next;
		replica_free(r);
	}
	while (P.hs != NULL) {
		struct hs *x = P.hs;
		P.hs = x->next;
		hs_free(x, false);
	}
	if (P.listen_fd >= 0)
		close(P.listen_fd);
	free(P.bl);
	resp_req_fini(&P.req);
	memset(&P, 0, sizeof(P));
	P.listen_fd = -1;
}

int repl_primary_active(void) { return P.replicas != NULL; }

static void drop(struct replica *r, const char *why)
{
	if (!r->dead)
		log_notice("Connection with replica %s:%d lost (%s)", r->ip, r->port, why);
	r->dead = true;
}

/* ---- the stream ---- */

static void backlog_add(const char *p, size_t n)
{
	if (n >= P.bl_size) {   /* only its tail fits */
		memcpy(P.bl, p + n - P.bl_size, P.bl_size);
		P.bl_pos = 0;
		P.bl_len = P.bl_size;
		return;
	}
	size_t first = P.bl_size - P.bl_pos < n ? P.bl_size - P.bl_pos : n;
	memcpy(P.bl + P.bl_pos, p, first);
	memcpy(P.bl, p + first, n - first);
	P.bl_pos = (P.bl_pos + n) % P.bl_size;
	P.bl_len = P.bl_len + n > P.bl_size ? P.bl_size : P.bl_len + n;
}

static void stream_add(const char *p, size_t n)
{
	backlog_add(p, n);
	P.offset += n;
	repl_log_set_offset(P.offset);
	for (struct replica *r = P.replicas; r != NULL; r = r->next) {
		struct bytes *b = r->st == R_ONLINE ? &r->out : &r->pending;
		if (r->dead)
			continue;
		if (bytes_left(b) + n > OUT_LIMIT)
			drop(r, "output buffer over the limit");
		else if (!bytes_add(b, p, n))
			drop(r, "out of memory");
	}
}

/* The backlog from stream offset `from` (the first byte wanted, 1-based as
 * Redis counts: the stream's bytes are P.offset - bl_len + 1 .. P.offset). */
static bool backlog_has(long long from)
{
	return P.on && from >= (long long)(P.offset - P.bl_len + 1) &&
	       from <= (long long)P.offset + 1;
}

static bool backlog_copy(struct bytes *b, long long from)
{
	size_t skip = (size_t)(from - (long long)(P.offset - P.bl_len + 1));
	size_t n = P.bl_len - skip;
	size_t start = (P.bl_pos + P.bl_size - P.bl_len + skip) % P.bl_size;
	size_t first = P.bl_size - start < n ? P.bl_size - start : n;

	return bytes_add(b, P.bl + start, first) && bytes_add(b, P.bl, n - first);
}

/* The workers' logs into the stream. A worker that dropped part of its log
 * leaves a hole no replica can be brought across: a new replication ID, and
 * every replica resyncs in full. */
static void merge_logs(void)
{
	unsigned n = storage_shards();

	for (unsigned w = 0; w < n; w++) {
		bool lost = false;
		struct repl_chunk *c = repl_log_take(w, &lost);

		if (lost) {
			log_warn("replication: worker %u's write log overflowed; replicas resync", w);
			repl_random_id(P.replid);
			P.bl_len = 0;
			for (struct replica *r = P.replicas; r != NULL; r = r->next)
				drop(r, "the write stream has a gap");
		}
		uint64_t m = repl_log_merged(w);
		for (struct repl_chunk *x = c; x != NULL; x = x->next) {
			stream_add(x->data, x->len);
			m += x->len;
		}
		repl_chunk_free(c);
		/* after the offset (stream_add): a WAIT that sees m reads an
		 * offset past these bytes */
		repl_log_set_merged(w, m);
	}
}

/* ---- a replica arrives ---- */

static bool start_log(void)
{
	if (P.on)
		return true;
	size_t size = (size_t)opt_int(OPT_repl_backlog_size);
	if ((P.bl = malloc(size)) == NULL)
		return false;
	P.bl_size = size;
	P.on = true;
	return true;
}

static void attach(struct repl_handoff *h, uint64_t now_ms)
{
	struct replica *r = calloc(1, sizeof(*r));
	char line[128];

	if (r == NULL || !start_log()) {
		close(h->fd);
		free(r);
		return;
	}
	r->fd = h->fd;
	r->rdb_fd = -1;
	r->capa_eof = h->capa_eof;
	snprintf(r->ip, sizeof(r->ip), "%s", h->ip);
	r->port = h->listening_port;
	r->last_io_ms = r->keepalive_ms = now_ms;
	r->next = P.replicas;
	P.replicas = r;
	P.n++;
	bool ours = strcmp(h->replid, P.replid) == 0 ||
		    (P.replid2[0] != '\0' && strcmp(h->replid, P.replid2) == 0 &&
		     (uint64_t)h->offset <= P.second_offset);
	if (h->offset >= 0 && ours && backlog_has(h->offset)) {
		/* partial resynchronization: what it lacks is in the backlog */
		int n = h->capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", P.replid)
				       : snprintf(line, sizeof(line), "+CONTINUE\r\n");
		if (!bytes_add(&r->out, line, (size_t)n) || !backlog_copy(&r->out, h->offset))
			drop(r, "out of memory");
		r->st = R_ONLINE;
		r->ack_off = (uint64_t)h->offset - 1;
		log_notice("Replica %s:%d asks for synchronization: partial resync from %lld "
			   "accepted, %zu bytes of backlog", r->ip, r->port, h->offset,
			   bytes_left(&r->out) - (size_t)n);
		return;
	}
	/* Full: the stream is cut here (everything merged from now on is the
	 * replica's), every worker joins the log, then a snapshot is taken. */
	r->gen = repl_log_start();
	if (h->offset != -2) {   /* not the old SYNC, which has no reply line */
		int n = snprintf(line, sizeof(line), "+FULLRESYNC %s %llu\r\n", P.replid,
				 (unsigned long long)P.offset);
		if (!bytes_add(&r->out, line, (size_t)n))
			drop(r, "out of memory");
	}
	r->ack_off = P.offset;
	r->st = R_WAIT_JOIN;
	log_notice("Replica %s:%d asks for synchronization: full resync from offset %llu",
		   r->ip, r->port, (unsigned long long)P.offset);
}

/* ---- diskless: the snapshot streams into the replica's socket ---- */

static bool sink_ready(void *ctx)
{
	struct replica *r = ctx;

	return r->dead || bytes_left(&r->out) < STREAM_ROOM;
}

static int sink_write(void *ctx, const void *p, size_t n)
{
	struct replica *r = ctx;

	if (r->dead)
		return 0;   /* dropped: the job ends at its next tick */
	if (bytes_left(&r->out) + n > OUT_LIMIT || !bytes_add(&r->out, p, n)) {
		drop(r, "output buffer over the limit");
		return 0;
	}
	return 0;
}

static void sink_end(void *ctx, bool ok)
{
	struct replica *r = ctx;

	if (r->dead)
		return;
	if (!ok) {
		drop(r, "the snapshot for it failed");
		return;
	}
	/* The RDB's end mark. The stream since its cut waits for the replica's
	 * first ACK, as Redis's does: bytes right behind the mark would hide it
	 * (the replica looks for the mark at the end of what it has read). */
	if (!bytes_add(&r->out, r->eof_mark, sizeof(r->eof_mark)))
		drop(r, "out of memory");
	r->st = R_WAIT_ACK;
}

static void stream_start(struct replica *r)
{
	char head[64];

	r->sink = (struct persist_sink){ sink_ready, sink_write, sink_end, r };
	repl_random_id(head);   /* 40 random hex characters: the mark */
	memcpy(r->eof_mark, head, sizeof(r->eof_mark));
	if (persist_stream_start(&r->sink) != SS_OK)
		return;   /* another snapshot runs: next tick */
	memcpy(head, "$EOF:", 5);
	memcpy(head + 5, r->eof_mark, 40);
	memcpy(head + 45, "\r\n", 2);
	if (!bytes_add(&r->out, head, 47))
		drop(r, "out of memory");
	r->st = R_STREAMING;
	log_notice("Streaming a snapshot to replica %s:%d (diskless)", r->ip, r->port);
}

/* ---- moving each replica along ---- */

static void advance(struct replica *r, uint64_t now_ms)
{
	struct persist_info pi;
	char head[32];

	switch (r->st) {
	case R_WAIT_JOIN:
		for (unsigned w = 0; w < storage_shards(); w++)
			if (!repl_log_joined(w, r->gen))
				return;
		if (r->capa_eof) {
			r->st = R_STREAM_WAIT;
			stream_start(r);
			return;
		}
		persist_info_get(&pi);
		r->s0 = pi.begun;
		/* one begun after this, even if one is running now */
		persist_request_after();
		r->st = R_WAIT_BGSAVE;
		return;
	case R_STREAM_WAIT:
		stream_start(r);
		return;
	case R_WAIT_BGSAVE:
		persist_info_get(&pi);
		if (pi.ended <= r->s0) {
			if (now_ms - r->keepalive_ms >= KEEPALIVE_MS) {
				r->keepalive_ms = now_ms;
				if (!bytes_add(&r->out, "\n", 1))
					drop(r, "out of memory");
			}
			return;
		}
		if (!pi.last_ok) {
			drop(r, "the snapshot for it failed");
			return;
		}
		struct stat st;
		char dbfile[PATH_MAX];
		opt_str_copy(OPT_dbfilename, dbfile, sizeof(dbfile));
		r->rdb_fd = open(dbfile, O_RDONLY | O_CLOEXEC);
		if (r->rdb_fd < 0 || fstat(r->rdb_fd, &st) != 0) {
			drop(r, "cannot open the snapshot");
			return;
		}
		r->rdb_size = st.st_size;
		r->rdb_off = 0;
		int n = snprintf(head, sizeof(head), "$%lld\r\n", (long long)st.st_size);
		if (!bytes_add(&r->out, head, (size_t)n))
			drop(r, "out of memory");
		r->st = R_SEND_RDB;
		log_notice("Starting to send %lld bytes of snapshot to replica %s:%d",
			   (long long)st.st_size, r->ip, r->port);
		return;
	default:
		return;
	}
}

/* Send what it is owed, as far as its socket takes it. */
static void send_some(struct replica *r, uint64_t now_ms)
{
	while (!r->dead) {
		if (bytes_left(&r->out) > 0) {
			ssize_t n = send(r->fd, r->out.p + r->out.off, bytes_left(&r->out),
					 MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					drop(r, strerror(errno));
				return;
			}
			r->out.off += (size_t)n;
			r->last_io_ms = now_ms;
			continue;
		}
		if (r->st != R_SEND_RDB)
			return;
		if (r->rdb_off < r->rdb_size) {
			ssize_t n = sendfile(r->fd, r->rdb_fd, &r->rdb_off,
					     (size_t)(r->rdb_size - r->rdb_off));
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					drop(r, strerror(errno));
				return;
			}
			if (n == 0) {
				drop(r, "the snapshot file shrank");
				return;
			}
			continue;
		}
		/* the snapshot is there: then the stream since its cut */
		close(r->rdb_fd);
		r->rdb_fd = -1;
		r->st = R_ONLINE;
		if (!bytes_add(&r->out, r->pending.p + r->pending.off, bytes_left(&r->pending)))
			drop(r, "out of memory");
		bytes_fini(&r->pending);
		log_notice("Synchronization with replica %s:%d succeeded", r->ip, r->port);
	}
}

/* Its REPLCONF ACKs (and nothing else: a replica sends nothing else). */
static void read_acks(struct replica *r, uint64_t now_ms)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		if (n == 0) {
			drop(r, "closed by the replica");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				drop(r, strerror(errno));
			break;
		}
		if (bytes_left(&r->in) + (size_t)n > IN_MAX || !bytes_add(&r->in, buf, (size_t)n)) {
			drop(r, "too much input");
			return;
		}
		r->last_io_ms = now_ms;
	}
	for (;;) {
		size_t used = 0;
		const char *err;
		int rc = resp_parse(&P.req, r->in.p + r->in.off, bytes_left(&r->in), &used, &err);
		if (rc == SS_NEED_MORE)
			return;
		if (rc < 0) {
			drop(r, "protocol error");
			return;
		}
		r->in.off += used;
		struct ss_arg *a = P.req.argv;
		if (P.req.argc >= 3 && a[0].len == 8 && strncasecmp(a[0].p, "replconf", 8) == 0 &&
		    a[1].len == 3 && strncasecmp(a[1].p, "ack", 3) == 0) {
			char num[32];
			size_t k = a[2].len < sizeof(num) - 1 ? a[2].len : sizeof(num) - 1;
			memcpy(num, a[2].p, k);
			num[k] = '\0';
			unsigned long long off = strtoull(num, NULL, 10);
			if (off > r->ack_off)
				r->ack_off = off;
			if (r->st == R_WAIT_ACK) {
				/* it has loaded the snapshot: now the stream since the cut */
				/* nothing pending: no buffer, and no pointer to offset */
				if (bytes_left(&r->pending) > 0 &&
				    !bytes_add(&r->out, r->pending.p + r->pending.off,
					       bytes_left(&r->pending)))
					drop(r, "out of memory");
				bytes_fini(&r->pending);
				r->st = R_ONLINE;
				log_notice("Synchronization with replica %s:%d succeeded (diskless)",
					   r->ip, r->port);
			}
		}
	}
}

static void publish(uint64_t now_ms)
{
	struct repl_primary_info i;
	unsigned k = 0;

	memset(&i, 0, sizeof(i));
	memcpy(i.replid, P.replid, sizeof(i.replid));
	i.offset = P.offset;
	i.backlog_active = P.on;
	i.backlog_size = P.on ? P.bl_size : (uint64_t)opt_int(OPT_repl_backlog_size);
	i.backlog_histlen = P.bl_len;
	i.backlog_first = P.offset - P.bl_len + 1;
	i.connected = P.n;
	for (struct replica *r = P.replicas; r != NULL && k < REPL_INFO_REPLICAS; r = r->next, k++) {
		snprintf(i.r[k].ip, sizeof(i.r[k].ip), "%s", r->ip);
		i.r[k].port = r->port;
		i.r[k].state = state_name[r->st];
		i.r[k].offset = r->ack_off;
		i.r[k].lag_s = (int64_t)((now_ms - r->last_io_ms) / 1000);
	}
	repl_primary_info_set(&i);
}

/* ---- the replication listener (io=dpdk) ---- */

#define HS_MAX 64

int repl_primary_listen(const char *host, int port, char *err, size_t errlen)
{
	int fd = listen_tcp(host, port, 16, "replication under io=dpdk", err, errlen);

	if (fd < 0)
		return fd;
	P.listen_fd = fd;
	return SS_OK;
}

int repl_primary_listening(void) { return P.listen_fd >= 0; }

static void hs_accept(void)
{
	for (int i = 0; i < 16 && P.n_hs < HS_MAX; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(P.listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct hs *x = calloc(1, sizeof(*x));
		if (x == NULL) {
			close(fd);
			return;
		}
		x->fd = fd;
		x->h.fd = -1;
		x->h.offset = -1;
		char ip[INET6_ADDRSTRLEN] = "?";
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
		snprintf(x->h.ip, sizeof(x->h.ip), "%s", ip);
		/* as a worker's connection: authenticated when there is no password */
		char one[2];
		x->authed = opt_str_copy(OPT_requirepass, one, sizeof(one)) == 0;
		x->next = P.hs;
		P.hs = x;
		P.n_hs++;
	}
}

static bool is(const struct ss_arg *a, const char *s)
{
	return a->len == strlen(s) && strncasecmp(a->p, s, a->len) == 0;
}

static void hs_reply(struct hs *x, const char *s)
{
	if (!bytes_add(&x->out, s, strlen(s)) || !bytes_add(&x->out, "\r\n", 2))
		x->dead = true;
}

/* One command of a replica's handshake. Returns true when x became a
 * replica (handed to attach). */
static bool hs_command(struct hs *x, uint64_t now_ms)
{
	struct ss_arg *a = P.req.argv;
	uint32_t n = P.req.argc;
	char line[160];

	if (n == 0)
		return false;
	if (is(&a[0], "auth") && (n == 2 || n == 3)) {
		const struct ss_arg *pw = &a[n - 1];
		bool ok = (n == 2 || is(&a[1], "default")) &&
			  opt_password_ok(OPT_requirepass, pw->p, pw->len);
		x->authed |= ok;
		hs_reply(x, ok ? "+OK" : "-WRONGPASS invalid username-password pair or user is disabled.");
		return false;
	}
	if (!x->authed) {
		hs_reply(x, "-NOAUTH Authentication required.");
		return false;
	}
	if (is(&a[0], "ping")) {
		hs_reply(x, "+PONG");
	} else if (is(&a[0], "replconf")) {
		for (uint32_t i = 1; i + 1 < n; i += 2) {
			if (is(&a[i], "listening-port"))
				x->h.listening_port = (int)strtol(a[i + 1].p, NULL, 10);
			else if (is(&a[i], "capa") && is(&a[i + 1], "eof"))
				x->h.capa_eof = true;
			else if (is(&a[i], "capa") && is(&a[i + 1], "psync2"))
				x->h.capa_psync2 = true;
		}
		hs_reply(x, n % 2 == 1 ? "+OK" : "-ERR syntax error");
	} else if ((is(&a[0], "psync") && n == 3) || (is(&a[0], "sync") && n == 1)) {
		struct repl_handoff *h = malloc(sizeof(*h));
		if (h == NULL) {
			x->dead = true;
			return false;
		}
		*h = x->h;
		if (n == 3) {
			if (a[1].len == 40) {
				memcpy(h->replid, a[1].p, 40);
				h->replid[40] = '\0';
			}
			char *end;
			long long off = strtoll(a[2].p, &end, 10);
			h->offset = end == a[2].p + a[2].len && off >= 0 && a[1].len == 40 ? off : -1;
		} else {
			h->offset = -2;
		}
		h->fd = x->fd;
		attach(h, now_ms);
		free(h);
		return true;
	} else {
		snprintf(line, sizeof(line), "-ERR '%.*s': under io=dpdk this port only serves "
			 "replicas (clients use the dataplane address)",
			 (int)(a[0].len < 32 ? a[0].len : 32), a[0].p);
		hs_reply(x, line);
	}
	return false;
}

/* Read, answer, maybe become a replica. Returns true when x is done with
 * (dead, or handed over: its socket is not closed then). */
static bool hs_step(struct hs *x, uint64_t now_ms, bool *handed)
{
	char buf[4096];

	*handed = false;
	for (;;) {
		ssize_t n = recv(x->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
		if (n < 0)
			break;
		if (bytes_left(&x->in) + (size_t)n > IN_MAX || !bytes_add(&x->in, buf, (size_t)n))
			return true;
	}
	while (!x->dead && bytes_left(&x->in) > 0) {
		size_t used = 0;
		const char *err;
		int rc = resp_parse(&P.req, x->in.p + x->in.off, bytes_left(&x->in), &used, &err);
		if (rc == SS_NEED_MORE)
			break;
		if (rc < 0) {
			hs_reply(x, "-ERR Protocol error");
			x->dead = true;
			break;
		}
		x->in.off += used;
		/* what the handshake owes it goes first, then the replica's stream */
		if (P.req.argc > 0 && (is(&P.req.argv[0], "psync") || is(&P.req.argv[0], "sync")) &&
		    bytes_left(&x->out) > 0)
			(void)send(x->fd, x->out.p + x->out.off, bytes_left(&x->out), MSG_NOSIGNAL);
		if (hs_command(x, now_ms)) {
			*handed = true;
			return true;
		}
	}
	while (bytes_left(&x->out) > 0) {
		ssize_t n = send(x->fd, x->out.p + x->out.off, bytes_left(&x->out), MSG_NOSIGNAL);
		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
		x->out.off += (size_t)n;
	}
	return x->dead;
}

static void hs_tick(uint64_t now_ms)
{
	if (P.listen_fd >= 0)
		hs_accept();
	for (struct hs **pp = &P.hs; *pp != NULL;) {
		struct hs *x = *pp;
		bool handed;
		if (!hs_step(x, now_ms, &handed)) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		P.n_hs--;
		hs_free(x, handed);
	}
}

/* ---- the management loop ---- */

unsigned repl_primary_pollfds(struct pollfd *p, unsigned max)
{
	unsigned n = 0;

	if (P.listen_fd >= 0 && n < max)
		p[n++] = (struct pollfd){ .fd = P.listen_fd, .events = POLLIN };
	for (struct hs *x = P.hs; x != NULL && n < max; x = x->next)
		p[n++] = (struct pollfd){ .fd = x->fd,
					  .events = (short)(POLLIN | (bytes_left(&x->out) ? POLLOUT : 0)) };
	for (struct replica *r = P.replicas; r != NULL && n < max; r = r->next) {
		p[n].fd = r->fd;
		p[n].events = (short)(POLLIN | (bytes_left(&r->out) > 0 || r->st == R_SEND_RDB ?
						POLLOUT : 0));
		p[n].revents = 0;
		n++;
	}
	return n;
}

void repl_primary_tick(const struct pollfd *p, unsigned n, uint64_t now_ms)
{
	(void)p;
	(void)n;
	follow_replid();   /* first: a replica arriving now gets the current ID and offset */
	for (struct repl_handoff *h = repl_handoff_take(), *next; h != NULL; h = next) {
		next = h->next;
		attach(h, now_ms);
		free(h);
	}
	hs_tick(now_ms);
	if (!P.on) {
		publish(now_ms);
		return;
	}
	merge_logs();
	if (P.replicas != NULL && now_ms - P.last_ping_ms >= PING_PERIOD_MS) {
		/* Redis pings its replicas through the stream (it counts in the
		 * offset): they tell a live primary from a silent link */
		P.last_ping_ms = now_ms;
		stream_add(PING_CMD, sizeof(PING_CMD) - 1);
	}
	/* a WAIT waits: ask for ACKs now, through the stream as Redis does */
	if (repl_log_acks_wanted() && P.replicas != NULL)
		stream_add(GETACK_CMD, sizeof(GETACK_CMD) - 1);
	for (struct replica **pp = &P.replicas; *pp != NULL;) {
		struct replica *r = *pp;
		if (!r->dead)
			advance(r, now_ms);
		if (!r->dead)
			read_acks(r, now_ms);
		if (!r->dead)
			send_some(r, now_ms);
		/* repl-timeout, as Redis applies it to its replicas too */
		if (!r->dead && r->st == R_ONLINE &&
		    now_ms - r->last_io_ms > (uint64_t)opt_int(OPT_repl_timeout) * 1000)
			drop(r, "timeout");
		if (r->dead) {
			*pp = r->next;
			P.n--;
			replica_free(r);
			continue;
		}
		pp = &r->next;
	}
	publish(now_ms);
}

void repl_primary_render_metrics(FILE *out)
{
	uint64_t now = clock_mono_ms();   /* the ticks' clock */

	fprintf(out, "# HELP slipstream_replication_connected_replicas Replicas attached to this "
		"primary, in any state\n# TYPE slipstream_replication_connected_replicas gauge\n"
		"slipstream_replication_connected_replicas %u\n", P.n);
	fprintf(out, "# HELP slipstream_replication_stream_bytes_total Bytes of the replication "
		"stream (master_repl_offset)\n# TYPE slipstream_replication_stream_bytes_total "
		"counter\nslipstream_replication_stream_bytes_total %llu\n",
		(unsigned long long)P.offset);
	fputs("# HELP slipstream_replication_replica_lag_bytes Stream bytes a replica has not "
	      "acknowledged\n# TYPE slipstream_replication_replica_lag_bytes gauge\n", out);
	for (struct replica *r = P.replicas; r != NULL; r = r->next)
		fprintf(out, "slipstream_replication_replica_lag_bytes{replica=\"%s:%d\",state=\"%s\"} "
			"%llu\n", r->ip, r->port, state_name[r->st],
			(unsigned long long)(P.offset > r->ack_off ? P.offset - r->ack_off : 0));
	fputs("# HELP slipstream_replication_replica_idle_seconds Seconds since a replica's last "
	      "acknowledgement or transfer\n# TYPE slipstream_replication_replica_idle_seconds "
	      "gauge\n", out);
	for (struct replica *r = P.replicas; r != NULL; r = r->next)
		fprintf(out, "slipstream_replication_replica_idle_seconds{replica=\"%s:%d\",state=\"%s\"} "
			"%.3f\n", r->ip, r->port, state_name[r->st],
			(double)(now - r->last_io_ms) / 1000.0);
}
