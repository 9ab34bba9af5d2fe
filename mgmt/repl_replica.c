/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/repl_replica.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "mgmt/repl_proto.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/persist.h"
#include "storage/repl.h"
#include "storage/storage.h"

#define RETRY_MS      1000   /* between connection attempts, as Redis's cron */
#define ACK_MS        1000   /* REPLCONF ACK period */
#define READ_CHUNK    (64 * 1024)
#define READS_PER_STEP 64    /* bounds one step: /metrics is served by this loop too */
#define IN_MAX        (64 * 1024 * 1024)   /* buffered stream before we stop reading */
#define FEED_HIGH     (256 * 1024 * 1024)  /* queued for worker 0 before we stop reading */

enum step {
	ST_NONE,        /* a primary */
	ST_CONNECT,     /* waiting for the next attempt */
	ST_CONNECTING,  /* TCP connect in progress */
	ST_PING, ST_AUTH, ST_PORT, ST_CAPA, ST_PSYNC,   /* awaiting that reply */
	ST_PAYLOAD,     /* the RDB into the temporary file */
	ST_LOADING,     /* the workers load it */
	ST_STREAM,      /* the command stream */
};

/* A skipped command (PING, REPLCONF ...): counted in the offset once
 * worker 0 has applied every byte pushed before it. */
struct skip {
	uint64_t at_pushed;
	uint64_t bytes;
};

static struct {
	enum step step;
	uint64_t gen;                /* repl_target_gen() acted on */
	char host[REPL_HOST_MAX];
	int port;
	int fd;
	char *in;                    /* received, not yet consumed */
	size_t in_len, in_cap;
	char out[8192];              /* handshake and ACK commands not yet sent */
	size_t out_len;
	uint64_t step_ms;            /* mono ms: entered the step / last byte in */
	uint64_t next_try_ms;
	struct repl_payload pl;
	int tmp_fd;
	char tmp_path[64];
	uint64_t ticket;
	int64_t base;                /* the offset +FULLRESYNC gave */
	bool cached;                 /* the data and offsets are this primary's stream up to
	                                base + stream_bytes: a partial resync may go on from there */
	uint64_t pushed;             /* bytes fed to worker 0 in this sync */
	uint64_t stream_bytes;       /* stream bytes split into commands */
	struct skip *skips;
	size_t n_skips, cap_skips, skip_head;
	uint64_t skip_done;
	bool getack;
	uint64_t getack_at;
	int64_t getack_off;
	uint64_t last_ack_ms;
	bool held;                   /* a snapshot is beginning: push nothing to worker 0 */
	uint64_t held_ms;            /* mono ms it began */
	struct repl_status pub;      /* what ROLE and INFO see */
	int64_t gauge_up, gauge_lag; /* what the metrics show now */
} L = { .fd = -1, .tmp_fd = -1 };

int repl_replica_parse_target(const char *s, char *host, size_t cap, int *port, char *err,
			      size_t errlen)
{
	char h[REPL_HOST_MAX], extra;
	int p;

	*port = 0;
	host[0] = '\0';
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return SS_OK;
	if (sscanf(s, "%255s %d %c", h, &p, &extra) != 2 || p < 1 || p > 65535 ||
	    strlen(h) >= cap) {
		snprintf(err, errlen, "replicaof: '%s' is not \"HOST PORT\" (a port from 1 to 65535)",
			 s);
		return -EINVAL;
	}
	snprintf(host, cap, "%s", h);
	*port = p;
	return SS_OK;
}


static void tmp_close(bool remove)
{
	if (L.tmp_fd >= 0)
		close(L.tmp_fd);
	L.tmp_fd = -1;
	if (remove && L.tmp_path[0] != '\0')
		unlink(L.tmp_path);
	if (remove)
		L.tmp_path[0] = '\0';
}

static void link_close(void)
{
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	L.in_len = 0;
	L.out_len = 0;
	tmp_close(true);
}

void repl_replica_teardown(void)
{
	link_close();
	free(L.in);
	free(L.skips);
	L.in = NULL;
	L.skips = NULL;
	L.in_cap = L.cap_skips = 0;
}

static uint64_t timeout_ms(void)
{
	return (uint64_t)opt_int(OPT_repl_timeout) * 1000;
}

static void enter(enum step s)
{
	L.step = s;
	L.step_ms = clock_mono_ms();
}

/* The link failed or ended: keep the data and serve it, try again in a second. */
static void link_lost(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void link_lost(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (L.step == ST_STREAM) {
		log_warn("Connection with master lost: %s", why);
		L.pub.down_since_ms = clock_unix_ms();
	} else {
		log_warn("Replication with %s:%d failed: %s", L.host, L.port, why);
	}
	link_close();
	enter(ST_CONNECT);
	L.next_try_ms = clock_mono_ms() + RETRY_MS;
}

/* A command as a RESP array of bulk strings, whole or not at all: only
 * handshake commands and ACKs go here (a few hundred bytes, unless
 * masterauth is huge), and the next ACK says the same with a newer offset. */
static void queue_cmd(int argc, const char *const *argv)
{
	size_t need = 16;
	char *p;
	int n;

	for (int i = 0; i < argc; i++)
		need += strlen(argv[i]) + 24;
	if (need > sizeof(L.out) - L.out_len) {
		log_warn("Replication: a %zu-byte command to the master does not fit, dropped",
			 need);
		return;
	}
	p = L.out + L.out_len;
	n = snprintf(p, need, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		n += snprintf(p + n, need - (size_t)n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	L.out_len += (size_t)n;
}

static int flush_out(void)
{
	while (L.out_len > 0) {
		ssize_t n = send(L.fd, L.out, L.out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return SS_OK;
			return -errno;
		}
		memmove(L.out, L.out + n, L.out_len - (size_t)n);
		L.out_len -= (size_t)n;
	}
	return SS_OK;
}

static void start_connect(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[16];
	int rc;

	snprintf(port, sizeof(port), "%d", L.port);
	/* A host name resolves here, blocking the management loop briefly;
	 * an address literal does not. */
	if ((rc = getaddrinfo(L.host, port, &hints, &res)) != 0 || res == NULL) {
		link_lost("cannot resolve %s: %s", L.host, gai_strerror(rc));
		return;
	}
	L.fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (L.fd < 0) {
		freeaddrinfo(res);
		link_lost("socket: %s", strerror(errno));
		return;
	}
	log_notice("Connecting to MASTER %s:%d", L.host, L.port);
	rc = connect(L.fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0 && errno != EINPROGRESS) {
		link_lost("connect: %s", strerror(errno));
		return;
	}
	enter(ST_CONNECTING);
}

static void send_ack(int64_t off)
{
	char o[24];
	const char *argv[] = { "REPLCONF", "ACK", o };

	snprintf(o, sizeof(o), "%lld", (long long)off);
	queue_cmd(3, argv);
	L.last_ack_ms = clock_mono_ms();
}

/* Body bytes of the payload into the temporary file. */
static int sink_file(void *arg, const char *p, size_t n)
{
	(void)arg;
	while (n > 0) {
		ssize_t w = write(L.tmp_fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return SS_OK;
}

static void consume(size_t n)
{
	memmove(L.in, L.in + n, L.in_len - n);
	L.in_len -= n;
}

/* ---- the handshake: one reply line per step ---- */

static void handshake_reply(const char *line, size_t len)
{
	/* masterauth: CONFIG SET may replace it, so a copy, taken at PING's reply */
	static char auth[4096];

	switch (L.step) {
	case ST_PING:
		/* as Redis: an auth error here is fine, AUTH comes next */
		if (len > 0 && line[0] == '-' && strncmp(line, "-NOAUTH", 7) != 0 &&
		    strncmp(line, "-NOPERM", 7) != 0 &&
		    strncmp(line, "-ERR operation not permitted", 28) != 0) {
			link_lost("error reply to PING: %.*s", (int)len, line);
			return;
		}
		log_notice("Master replied to PING, replication can continue...");
		if (opt_str_copy(OPT_masterauth, auth, sizeof(auth)) >= sizeof(auth)) {
			link_lost("masterauth is longer than %zu bytes", sizeof(auth) - 1);
			return;
		}
		if (auth[0] != '\0') {
			const char *argv[] = { "AUTH", auth };
			queue_cmd(2, argv);
		}
		{
			char port[16];
			const char *lp[] = { "REPLCONF", "listening-port", port };
			const char *capa[] = { "REPLCONF", "capa", "eof", "capa", "psync2" };
			snprintf(port, sizeof(port), "%lld", opt_int(OPT_port));
			queue_cmd(3, lp);
			queue_cmd(5, capa);
		}
		enter(auth[0] != '\0' ? ST_AUTH : ST_PORT);
		return;
	case ST_AUTH:
		if (len > 0 && line[0] == '-') {
			link_lost("Unable to AUTH to MASTER: %.*s", (int)len, line);
			return;
		}
		enter(ST_PORT);
		return;
	case ST_PORT:
		if (len > 0 && line[0] == '-')
			log_notice("(Non critical) Master does not understand REPLCONF "
				   "listening-port: %.*s", (int)len, line);
		enter(ST_CAPA);
		return;
	case ST_CAPA: {
		if (len > 0 && line[0] == '-')
			log_notice("(Non critical) Master does not understand REPLCONF capa: %.*s",
				   (int)len, line);
		if (L.cached) {
			/* every whole command received is applied or queued in
			 * order: the stream may go on from the next byte */
			char off[24];
			const char *argv[] = { "PSYNC", L.pub.replid, off };
			snprintf(off, sizeof(off), "%lld",
				 (long long)(L.base + (int64_t)L.stream_bytes + 1));
			queue_cmd(3, argv);
			log_notice("Trying a partial resynchronization (request %s:%s).",
				   L.pub.replid, off);
		} else {
			const char *argv[] = { "PSYNC", "?", "-1" };
			queue_cmd(3, argv);
			log_notice("Partial resynchronization not possible (no cached master)");
		}
		enter(ST_PSYNC);
		return;
	}
	case ST_PSYNC: {
		char id[REPL_ID_LEN + 1];
		int64_t off;

		if (L.cached && repl_parse_continue(line, len, id) == SS_OK) {
			/* the primary's backlog had everything since: same data */
			if (id[0] != '\0' && strcmp(id, L.pub.replid) != 0) {
				log_notice("Master replication ID changed to %s", id);
				memcpy(L.pub.replid, id, sizeof(id));
			}
			log_notice("Successful partial resynchronization with master.");
			log_notice("MASTER <-> REPLICA sync: Master accepted a Partial "
				   "Resynchronization.");
			enter(ST_STREAM);
			return;
		}
		L.cached = false;   /* whatever comes now, the cached state is over */
		if (repl_parse_fullresync(line, len, id, &off) < 0) {
			link_lost("unexpected reply to PSYNC: %.*s", (int)(len < 128 ? len : 128),
				  line);
			return;
		}
		log_notice("Full resync from master: %s:%lld", id, (long long)off);
		snprintf(L.tmp_path, sizeof(L.tmp_path), "temp-repl-%d.rdb", (int)getpid());
		L.tmp_fd = open(L.tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (L.tmp_fd < 0) {
			link_lost("Opening the temp file needed for MASTER <-> REPLICA "
				  "synchronization: %s", strerror(errno));
			return;
		}
		memcpy(L.pub.replid, id, sizeof(id));
		L.base = off;
		repl_payload_init(&L.pl);
		L.pub.sync_total = L.pub.sync_read = 0;
		enter(ST_PAYLOAD);
		return;
	}
	default:
		return;
	}
}

/* The payload is in the file: every worker loads it, in place of its keys. */
static void payload_done(void)
{
	if (fsync(L.tmp_fd) < 0)
		log_warn("fsync %s: %s", L.tmp_path, strerror(errno));
	tmp_close(false);
	log_notice("MASTER <-> REPLICA sync: received %llu bytes of payload",
		   (unsigned long long)L.pl.total);
	log_notice("MASTER <-> REPLICA sync: Flushing old data and loading DB in memory");
	/* A new feed: worker 0 starts a fresh pseudo-connection, and nothing
	 * is pushed before every worker has loaded. */
	repl_feed_reset();
	L.pushed = L.stream_bytes = 0;
	L.n_skips = L.skip_head = 0;
	L.skip_done = 0;
	L.getack = false;
	L.pub.offset = L.pub.read_offset = L.base;
	L.pub.synced = true;
	L.ticket = storage_replace_request(L.tmp_path, opt_enum(OPT_rdb_load_unsupported) == 1);
	enter(ST_LOADING);
}

static int skip_add(uint64_t bytes)
{
	if (L.n_skips > L.skip_head && L.skips[L.n_skips - 1].at_pushed == L.pushed) {
		L.skips[L.n_skips - 1].bytes += bytes;
		return SS_OK;
	}
	if (L.skip_head > 0 && L.skip_head >= L.n_skips / 2) {
		/* the counted ones go; a worker 0 always a little behind must
		 * not grow the array for ever */
		memmove(L.skips, L.skips + L.skip_head,
			(L.n_skips - L.skip_head) * sizeof(*L.skips));
		L.n_skips -= L.skip_head;
		L.skip_head = 0;
	}
	if (L.n_skips == L.cap_skips) {
		size_t cap = L.cap_skips ? 2 * L.cap_skips : 64;
		struct skip *s = realloc(L.skips, cap * sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		L.skips = s;
		L.cap_skips = cap;
	}
	L.skips[L.n_skips++] = (struct skip){ L.pushed, bytes };
	return SS_OK;
}

/* Split buffered stream bytes into commands: runs of commands to apply
 * go to worker 0 in one push; the others only count. */
static void stream_input(void)
{
	size_t off = 0, run = 0;   /* run: commands to apply from off - run */

	for (;;) {
		size_t len;
		enum repl_cmd_kind kind;
		int rc = repl_stream_next(L.in + off, L.in_len - off, &len, &kind);

		if (rc == SS_NEED_MORE)
			break;
		if (rc < 0) {
			L.cached = false;   /* no telling what that was: start over */
			link_lost("protocol error in the replication stream");
			return;
		}
		if (kind != REPL_CMD_APPLY && run > 0) {
			if (repl_feed_push(L.in + off - run, run) < 0) {
				L.cached = false;
				link_lost("out of memory queueing the replication stream");
				return;
			}
			L.pushed += run;
			run = 0;
		}
		if (kind == REPL_CMD_GETACK) {
			L.getack = true;
			L.getack_at = L.pushed;
			L.getack_off = L.base + (int64_t)L.stream_bytes;
		}
		if (kind == REPL_CMD_APPLY)
			run += len;
		else if (skip_add(len) < 0) {
			L.cached = false;
			link_lost("out of memory");
			return;
		}
		off += len;
		L.stream_bytes += len;
	}
	if (run > 0) {
		if (repl_feed_push(L.in + off - run, run) < 0) {
			L.cached = false;
			link_lost("out of memory queueing the replication stream");
			return;
		}
		L.pushed += run;
	}
	consume(off);
	L.pub.read_offset = L.base + (int64_t)L.stream_bytes;
}

/* What the buffered input means in the current step. */
static void process_input(void)
{
	while (L.in_len > 0 && L.fd >= 0) {
		if (L.step >= ST_PING && L.step <= ST_PSYNC) {
			const char *line;
			size_t len, used;
			int rc = repl_read_line(L.in, L.in_len, &line, &len, &used);
			if (rc == SS_NEED_MORE)
				return;
			if (rc < 0) {
				link_lost("reply line too long");
				return;
			}
			/* newlines: the primary keeping the link alive while it
			 * prepares the payload */
			if (len > 0)
				handshake_reply(line, len);
			if (L.fd >= 0)
				consume(used);
		} else if (L.step == ST_PAYLOAD) {
			size_t used = 0;
			int rc = repl_payload_feed(&L.pl, L.in, L.in_len, &used, sink_file, NULL);
			consume(used);
			if (rc < 0) {
				link_lost("%s", L.pl.err);
				return;
			}
			if (rc == SS_NEED_MORE)
				return;
			payload_done();
			return;   /* stream bytes wait for the load */
		} else if (L.step == ST_STREAM) {
			if (!L.held)
				stream_input();
			return;
		} else {
			return;
		}
	}
}

/* Read what the socket has, bounded. false: the link is gone. */
static bool backpressure(void)
{
	return L.step == ST_STREAM && (L.held || repl_feed_queued() > FEED_HIGH);
}

static bool read_input(void)
{
	for (int i = 0; i < READS_PER_STEP && L.in_len < IN_MAX && !backpressure(); i++) {
		if (L.in_cap - L.in_len < READ_CHUNK) {
			size_t cap = L.in_cap ? L.in_cap * 2 : 2 * READ_CHUNK;
			char *p = realloc(L.in, cap);
			if (p == NULL) {
				link_lost("out of memory");
				return false;
			}
			L.in = p;
			L.in_cap = cap;
		}
		ssize_t n = recv(L.fd, L.in + L.in_len, L.in_cap - L.in_len, 0);
		if (n == 0) {
			link_lost("the master closed the connection");
			return false;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			if (errno == EINTR)
				continue;
			link_lost("read: %s", strerror(errno));
			return false;
		}
		L.in_len += (size_t)n;
		L.step_ms = clock_mono_ms();
		L.pub.last_io_ms = clock_unix_ms();
		/* a step's bytes at once: the payload goes to its file as it comes */
		process_input();
		if (L.fd < 0 || L.step == ST_LOADING)
			return L.fd >= 0;
	}
	return true;
}

/* The processed offset: the primary's at sync plus every stream byte
 * applied, skipped ones included once worker 0 got past them. */
static int64_t processed(void)
{
	uint64_t applied = repl_feed_applied();

	while (L.skip_head < L.n_skips && L.skips[L.skip_head].at_pushed <= applied)
		L.skip_done += L.skips[L.skip_head++].bytes;
	return L.base + (int64_t)(applied + L.skip_done);
}

static void set_gauge(enum metric_id id, int64_t *shown, int64_t v)
{
	if (v != *shown) {
		metric_add_local(id, v - *shown);
		*shown = v;
	}
}

static void publish(void)
{
	static const enum repl_link link_of[] = {
		[ST_NONE] = REPL_LINK_NONE, [ST_CONNECT] = REPL_LINK_CONNECT,
		[ST_CONNECTING] = REPL_LINK_CONNECTING, [ST_PING] = REPL_LINK_HANDSHAKE,
		[ST_AUTH] = REPL_LINK_HANDSHAKE, [ST_PORT] = REPL_LINK_HANDSHAKE,
		[ST_CAPA] = REPL_LINK_HANDSHAKE, [ST_PSYNC] = REPL_LINK_HANDSHAKE,
		[ST_PAYLOAD] = REPL_LINK_SYNC, [ST_LOADING] = REPL_LINK_SYNC,
		[ST_STREAM] = REPL_LINK_CONNECTED,
	};
	int64_t lag = 0;

	L.pub.link = link_of[L.step];
	if (L.step == ST_PAYLOAD) {
		L.pub.sync_read = (int64_t)L.pl.total;
		L.pub.sync_total = L.pl.eof_form ? 0 : (int64_t)(L.pl.total + L.pl.left);
		L.pub.sync_last_io_ms = L.pub.last_io_ms;
	}
	if (L.step == ST_STREAM)
		L.pub.offset = processed();
	repl_status_put(&L.pub);
	if (L.step != ST_NONE && L.pub.last_io_ms > 0)
		lag = (clock_unix_ms() - L.pub.last_io_ms) / 1000;
	set_gauge(METRIC_repl_link_up, &L.gauge_up, L.step == ST_STREAM);
	set_gauge(METRIC_repl_lag_s, &L.gauge_lag, lag < 0 ? 0 : lag);
}

/* REPLICAOF moved the target: drop the link and start again (or stop). */
static void retarget(void)
{
	struct repl_status s;

	if (L.step == ST_LOADING || L.held)
		return;   /* the workers hold the path, or a snapshot is beginning: once done */
	repl_status_get(&s);
	L.gen = repl_target_gen();
	link_close();
	repl_feed_reset();   /* what a former primary sent and is not applied yet: dropped */
	L.cached = false;    /* ... so the offset no longer says what is applied */
	L.pub = s;
	if (s.replica) {
		snprintf(L.host, sizeof(L.host), "%s", s.host);
		L.port = s.port;
		enter(ST_CONNECT);
		L.next_try_ms = 0;
		L.pub.last_io_ms = 0;
	} else {
		if (L.step != ST_NONE)
			log_notice("MASTER MODE enabled (user request)");
		enter(ST_NONE);
	}
}

/* Start-up: the snapshot just loaded is the primary's stream up to the
 * offset it recorded, as good as a link that dropped there. */
static void resume_from_snapshot(void)
{
	char id[REPL_ID_LEN + 1];
	int64_t off;

	if (!persist_loaded_repl(id, &off))
		return;
	memcpy(L.pub.replid, id, sizeof(id));
	L.base = off;
	L.pushed = L.stream_bytes = 0;
	L.n_skips = L.skip_head = 0;
	L.skip_done = 0;
	L.pub.offset = L.pub.read_offset = off;
	L.pub.synced = true;
	L.cached = true;
	log_notice("The snapshot loaded holds %s's stream up to offset %lld: a partial "
		   "resynchronization can go on from there", id, (long long)off);
}

int repl_replica_setup(char *err, size_t errlen)
{
	char host[REPL_HOST_MAX];
	int port;

	if (repl_replica_parse_target(opt_str(OPT_replicaof), host, sizeof(host), &port, err,
				      errlen) < 0)
		return -EINVAL;
	if (port != 0) {
		repl_target_set(host, port);
		retarget();   /* now, so that what the snapshot says survives the first step */
		resume_from_snapshot();
	}
	return SS_OK;
}

bool repl_replica_snapshot_hold(char id[REPL_ID_LEN + 1], int64_t *offset)
{
	id[0] = '\0';
	*offset = 0;
	if (L.step == ST_NONE || !L.cached)
		return true;
	if (!L.held)
		L.held_ms = clock_mono_ms();
	L.held = true;
	if (repl_feed_applied() < L.pushed)
		return false;
	memcpy(id, L.pub.replid, REPL_ID_LEN + 1);
	*offset = processed();
	return true;
}

void repl_replica_snapshot_release(void)
{
	if (!L.held)
		return;
	L.held = false;
	log_verbose("The replication stream rested %llu ms for a snapshot's start",
		    (unsigned long long)(clock_mono_ms() - L.held_ms));
	if (L.fd >= 0 && L.step == ST_STREAM)
		process_input();   /* what came meanwhile */
}

int repl_replica_pollfd(struct pollfd *pfd)
{
	if (L.fd < 0 || L.step == ST_LOADING)
		return 0;
	pfd->fd = L.fd;
	/* worker 0 far behind: leave the bytes in the socket (TCP pushes back) */
	pfd->events = L.step == ST_CONNECTING ? POLLOUT : backpressure() ? 0 : POLLIN;
	if (L.out_len > 0)
		pfd->events |= POLLOUT;
	pfd->revents = 0;
	return 1;
}

bool repl_replica_busy(void)
{
	return L.step == ST_LOADING ||
	       (L.step == ST_STREAM && (L.getack || repl_feed_queued() > 0 ||
					L.skip_head < L.n_skips));
}

static void connected_step(short revents)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	if (getsockopt(L.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err != 0) {
		link_lost("Error condition on socket for SYNC: %s", strerror(err));
		return;
	}
	log_notice("MASTER <-> REPLICA sync started");
	{
		const char *argv[] = { "PING" };
		queue_cmd(1, argv);
	}
	enter(ST_PING);
}

void repl_replica_step(short revents)
{
	uint64_t now;

	if (repl_target_gen() != L.gen)
		retarget();
	if (L.step == ST_NONE) {
		publish();
		return;
	}
	if (L.step == ST_CONNECT && clock_mono_ms() >= L.next_try_ms)
		start_connect();
	else if (L.step == ST_CONNECTING)
		connected_step(revents);
	else if (L.step == ST_LOADING) {
		bool failed;
		if (storage_replace_done(L.ticket, &failed)) {
			unlink(L.tmp_path);
			L.tmp_path[0] = '\0';
			if (failed) {
				link_lost("Failed trying to load the MASTER synchronization DB "
					  "from disk (see the workers' messages)");
			} else {
				log_notice("MASTER <-> REPLICA sync: Finished with success");
				enter(ST_STREAM);
				L.cached = true;
				/* the first ACK puts a diskless replica online */
				send_ack(L.base);
				process_input();
			}
			if (repl_target_gen() != L.gen)
				retarget();
		}
	} else if (L.fd >= 0 && (revents & (POLLIN | POLLERR | POLLHUP))) {
		read_input();
	}
	now = clock_mono_ms();
	if (backpressure())
		L.step_ms = now;   /* our own slowness is not the primary's silence */
	if (L.fd >= 0 && L.step != ST_LOADING && now - L.step_ms > timeout_ms())
		link_lost(L.step == ST_STREAM ? "MASTER timeout: no data nor PING received..."
					      : "Timeout connecting to the MASTER...");
	if (L.fd >= 0 && L.step == ST_STREAM) {
		if (L.getack && repl_feed_applied() >= L.getack_at) {
			L.getack = false;
			send_ack(L.getack_off);
		} else if (now - L.last_ack_ms >= ACK_MS) {
			send_ack(processed());
		}
	}
	if (L.fd >= 0 && L.out_len > 0 && L.step != ST_CONNECTING) {
		int rc = flush_out();
		if (rc < 0)
			link_lost("write: %s", strerror(-rc));
	}
	publish();
}
