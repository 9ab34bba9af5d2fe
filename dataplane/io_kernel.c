/* SPDX-License-Identifier: BSD-3-Clause */
#include "dataplane/io_kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "dataplane/conn.h"
#include "dataplane/repl_apply.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/log.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/storage.h"

#define KERNEL_BACKLOG   511      /* Redis's tcp-backlog default */
#define KERNEL_EVENTS    64
#define KERNEL_READ_MAX  (64 * 1024)
#define KERNEL_ACCEPT_MAX 64
#define KERNEL_TICK_MS   100      /* bounds how long a stop request waits */

enum ksrc_kind { KSRC_LISTEN, KSRC_MAILBOX, KSRC_CONN };

/* What an epoll event points at. */
struct ksrc {
	enum ksrc_kind kind;
	int fd;
};

struct kconn {
	struct ksrc src;           /* first: epoll data points here */
	struct conn *c;
	struct kworker *kw;
	struct kconn *prev, *next;
	uint32_t events;           /* current epoll interest */
	bool closed;               /* on the worker's dead list */
};

struct klisten {
	struct ksrc src;
	enum proto proto;
};

struct kworker {
	unsigned id;
	int ep;
	struct klisten listen[2];
	unsigned n_listen;
	struct ksrc mailbox;
	struct kconn *conns;       /* all open connections, for shutdown */
	struct kconn *dead;        /* closed during this event batch */
} __attribute__((aligned(64)));

static struct kworker *kworkers;
static unsigned n_kworkers;
static volatile int stopping;
static unsigned ready;

/* ---- listening sockets (management thread, before workers start) ---- */

static int make_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

static int listen_one(const struct sockaddr_storage *ss, socklen_t len, bool reuseport)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, KERNEL_BACKLOG) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* One port: a probe without SO_REUSEPORT first, so a port that another
 * process (even another slipstream) holds fails here instead of silently
 * sharing its connections; then one socket per worker. */
static int listen_port(int port, enum proto proto, char *err, size_t errlen)
{
	const char *host = opt_str(OPT_bind);
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (make_addr(host, port, &ss, &len) < 0) {
		snprintf(err, errlen, "bind: '%s' is not an address", host);
		return -EINVAL;
	}
	if ((fd = listen_one(&ss, len, false)) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", host, port, strerror(-fd));
		return fd;
	}
	close(fd);
	for (unsigned w = 0; w < n_kworkers; w++) {
		struct klisten *l = &kworkers[w].listen[kworkers[w].n_listen];
		if ((fd = listen_one(&ss, len, true)) < 0) {
			snprintf(err, errlen, "cannot listen on %s port %d: %s", host, port,
				 strerror(-fd));
			return fd;
		}
		l->src.kind = KSRC_LISTEN;
		l->src.fd = fd;
		l->proto = proto;
		kworkers[w].n_listen++;
	}
	return SS_OK;
}

int io_kernel_setup(unsigned nworkers, char *err, size_t errlen)
{
	int rc = SS_OK;

	kworkers = mem_calloc_lines(nworkers, sizeof(*kworkers));
	if (kworkers == NULL)
		return -ENOMEM;
	n_kworkers = nworkers;
	stopping = 0;
	ready = 0;
	for (unsigned w = 0; w < nworkers; w++) {
		kworkers[w].id = w;
		kworkers[w].ep = -1;
	}
	if (opt_int(OPT_port) != 0)
		rc = listen_port((int)opt_int(OPT_port), PROTO_RESP, err, errlen);
	/* memcached's text protocol has no password: with requirepass set, its
	 * port would be a way around it, so it stays closed unless asked for. */
	if (rc == SS_OK && opt_int(OPT_memcache_port) != 0 && opt_str(OPT_requirepass)[0] != '\0' &&
	    !opt_bool(OPT_memcache_with_requirepass))
		log_notice("memcache-port %lld stays closed: requirepass is set and the memcached "
			   "protocol has no password (memcache-with-requirepass yes opens it)",
			   opt_int(OPT_memcache_port));
	else if (rc == SS_OK && opt_int(OPT_memcache_port) != 0)
		rc = listen_port((int)opt_int(OPT_memcache_port), PROTO_MEMCACHE, err, errlen);
	if (rc < 0)
		io_kernel_teardown();
	return rc;
}

void io_kernel_teardown(void)
{
	for (unsigned w = 0; w < n_kworkers; w++)
		for (unsigned i = 0; i < kworkers[w].n_listen; i++)
			close(kworkers[w].listen[i].src.fd);
	free(kworkers);
	kworkers = NULL;
	n_kworkers = 0;
}

void io_kernel_stop(void)
{
	stopping = 1;
}

bool io_kernel_wait_ready(void)
{
	struct timespec ms = { 0, 1000 * 1000 };

	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < n_kworkers && !stopping)
		nanosleep(&ms, NULL);
	return !stopping;
}

/* ---- the worker loop ---- */

/* How long the loop may wait for traffic: not at all while a snapshot walk
 * has work, a millisecond while something outside waits on it. */
static int wait_ms(unsigned w)
{
	enum storage_busy b = storage_busy_local(w);

	if (b == STORAGE_BUSY)
		return 0;
	return b == STORAGE_WAITING || conn_waiting_local(w) ? 1 : KERNEL_TICK_MS;
}

/*
 * Close now, free later: an event batch from epoll_wait may still name this
 * connection, so the memory lives until the batch is done (reap_dead).
 */
static void kconn_close(struct kconn *kc)
{
	struct kworker *kw = kc->kw;

	if (kc->closed)
		return;
	kc->closed = true;
	epoll_ctl(kw->ep, EPOLL_CTL_DEL, kc->src.fd, NULL);
	if (!conn_handoff_local(kc->c, kc->src.fd))
		close(kc->src.fd);
	if (kc->prev != NULL)
		kc->prev->next = kc->next;
	else
		kw->conns = kc->next;
	if (kc->next != NULL)
		kc->next->prev = kc->prev;
	conn_release(kc->c);
	kc->c = NULL;
	kc->next = kw->dead;
	kw->dead = kc;
	metric_add_local(METRIC_connected_clients, -1);
}

static void reap_dead(struct kworker *kw)
{
	for (struct kconn *kc = kw->dead, *next; kc != NULL; kc = next) {
		next = kc->next;
		free(kc);
	}
	kw->dead = NULL;
}

/* Send what is buffered. Returns false if the connection is gone. */
static bool kconn_flush(struct kconn *kc)
{
	struct buf *out = conn_out(kc->c);

	while (buf_len(out) > 0) {
		ssize_t n = send(kc->src.fd, buf_rptr(out), buf_len(out), MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(out, (size_t)n);
			metric_add_local(METRIC_net_output_bytes, n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		kconn_close(kc);
		return false;
	}
	buf_shrink_if_idle(out);
	if (buf_len(out) == 0 && conn_wants_close(kc->c)) {
		kconn_close(kc);
		return false;
	}
	return true;
}

static void kconn_update_interest(struct kconn *kc)
{
	uint32_t want = (conn_wants_input(kc->c) ? EPOLLIN : 0) |
			(buf_len(conn_out(kc->c)) > 0 ? EPOLLOUT : 0);

	if (want != kc->events) {
		struct epoll_event ev = { .events = want, .data.ptr = &kc->src };
		epoll_ctl(kc->kw->ep, EPOLL_CTL_MOD, kc->src.fd, &ev);
		kc->events = want;
	}
}

/* Process, flush, and repeat while flushing made room for more work. */
static void kconn_service(struct kconn *kc)
{
	for (int round = 0; round < 4; round++) {
		conn_process_local(kc->c);
		if (!kconn_flush(kc))
			return;
		if (buf_len(conn_out(kc->c)) > 0 || !conn_wants_input(kc->c) ||
		    buf_len(conn_in(kc->c)) == 0)
			break;
	}
	kconn_update_interest(kc);
}

/* A kop's result came back for this connection (on its worker). */
static void kconn_kick(struct conn *c, void *io)
{
	struct kconn *kc = io;

	(void)c;
	kconn_service(kc);
}

static void kconn_readable(struct kconn *kc)
{
	struct buf *in = conn_in(kc->c);
	ssize_t n;

	if (!conn_wants_input(kc->c))
		return;
	if (buf_reserve(in, 16 * 1024) < 0) {
		kconn_close(kc);
		return;
	}
	n = recv(kc->src.fd, buf_wptr(in), buf_room(in) < KERNEL_READ_MAX ? buf_room(in) : KERNEL_READ_MAX, 0);
	if (n > 0) {
		in->wpos += (size_t)n;
		conn_note_rx(kc->c, clock_tsc());
		metric_add_local(METRIC_net_input_bytes, n);
		kconn_service(kc);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF or error: answer what is buffered (a client that half-closed
	 * after its requests still gets its replies), then close. */
	if (n == 0) {
		conn_process_local(kc->c);
		if (kconn_flush(kc))
			kconn_close(kc);
		return;
	}
	kconn_close(kc);
}

static void set_sockopts(int fd)
{
	int one = 1, idle = (int)opt_int(OPT_tcp_keepalive);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (idle > 0) {
		/* As Redis: probes after idle s, every idle/3 s, 3 of them. */
		int intvl = idle / 3 > 0 ? idle / 3 : 1, cnt = 3;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	}
}

/* "ip:port" as Redis's CLIENT LIST and SLOWLOG show it. */
static void fmt_addr(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	out[0] = '\0';
	if (len == 0)
		return;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	}
	snprintf(out, n, "%s:%u", host, port);
}

static void set_conn_addrs(struct conn *c, const struct sockaddr_storage *peer, socklen_t plen,
			   const struct sockaddr_storage *local, socklen_t llen)
{
	char p[64], l[64];

	fmt_addr(peer, plen, p, sizeof(p));
	fmt_addr(local, llen, l, sizeof(l));
	conn_set_addrs(c, p, l);
}

static void accept_some(struct kworker *kw, struct klisten *l)
{
	for (int i = 0; i < KERNEL_ACCEPT_MAX; i++) {
		struct sockaddr_storage peer, local;
		socklen_t plen = sizeof(peer), llen = sizeof(local);
		int fd = accept4(l->src.fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct kconn *kc;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		set_sockopts(fd);
		kc = calloc(1, sizeof(*kc));
		if (kc == NULL || (kc->c = conn_create(l->proto, kw->id, kconn_kick, kc)) == NULL) {
			log_warn("out of memory accepting a client");
			free(kc);
			close(fd);
			continue;
		}
		if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
			llen = 0;
		set_conn_addrs(kc->c, &peer, plen, &local, llen);
		kc->src.kind = KSRC_CONN;
		kc->src.fd = fd;
		kc->kw = kw;
		kc->events = EPOLLIN;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &kc->src };
		if (epoll_ctl(kw->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_release(kc->c);
			free(kc);
			close(fd);
			continue;
		}
		kc->next = kw->conns;
		if (kw->conns != NULL)
			kw->conns->prev = kc;
		kw->conns = kc;
		metric_add_local(METRIC_connected_clients, 1);
		metric_add_local(METRIC_connections_received, 1);
	}
}

static int worker_open(struct kworker *kw)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if ((kw->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	for (unsigned i = 0; i < kw->n_listen; i++) {
		ev.data.ptr = &kw->listen[i].src;
		if (epoll_ctl(kw->ep, EPOLL_CTL_ADD, kw->listen[i].src.fd, &ev) < 0)
			return -errno;
	}
	kw->mailbox.kind = KSRC_MAILBOX;
	kw->mailbox.fd = steer_notify_fd(kw->id);
	ev.data.ptr = &kw->mailbox;
	if (epoll_ctl(kw->ep, EPOLL_CTL_ADD, kw->mailbox.fd, &ev) < 0)
		return -errno;
	return SS_OK;
}

static void dispatch(struct kworker *kw, struct epoll_event *ev)
{
	struct ksrc *src = ev->data.ptr;
	struct kconn *kc;

	switch (src->kind) {
	case KSRC_LISTEN:
		accept_some(kw, (struct klisten *)src);
		break;
	case KSRC_MAILBOX:
		steer_notify_ack_local(kw->id);
		steer_drain_local(kw->id);
		break;
	case KSRC_CONN:
		kc = (struct kconn *)src;
		if (kc->closed)
			break;
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			kconn_readable(kc);
		else if (ev->events & EPOLLOUT)
			kconn_service(kc);
		break;
	}
}

/*
 * The loop. QSBR: online while handling events, offline while blocked in
 * epoll_wait, so a grace period never waits for an idle worker.
 */
int io_kernel_worker(unsigned w, void *arg)
{
	struct kworker *kw = &kworkers[w];
	struct epoll_event evs[KERNEL_EVENTS];
	int rc;

	(void)arg;
	rcu_register_thread();
	if ((rc = worker_open(kw)) < 0 || (rc = storage_start_local(w)) < 0) {
		log_warn("worker %u cannot start: %s", w, strerror(-rc));
		rcu_unregister_thread();
		io_kernel_stop();
		return rc;
	}
	storage_wait_all_started_local(&stopping);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	uint64_t t_busy = clock_tsc();
	while (!stopping) {
		uint64_t t_wait = clock_tsc();
		metric_add_local(METRIC_loop_busy_ns, (int64_t)clock_tsc_to_ns(t_wait - t_busy));
		rcu_thread_offline();
		int n = epoll_wait(kw->ep, evs, KERNEL_EVENTS,
				   steer_idle_enter_local(w) ? 0 :
				   wait_ms(w));
		steer_idle_exit_local(w);
		rcu_thread_online();
		t_busy = clock_tsc();
		metric_add_local(METRIC_loop_idle_ns, (int64_t)clock_tsc_to_ns(t_busy - t_wait));
		if (n > 0)
			metric_add_local(METRIC_loop_busy_iterations, 1);
		for (int i = 0; i < n && !stopping; i++)
			dispatch(kw, &evs[i]);
		/* rings are polled every pass: their fd only fires while asleep */
		steer_drain_local(w);
		conn_poll_waits_local(w);
		repl_apply_poll_local(w);   /* a replica: its primary's stream, on worker 0 */
		reap_dead(kw);
		storage_step_local(w, clock_unix_ms());
		rcu_quiescent_state();
	}
	conn_drop_waits_local(w);
	repl_apply_stop_local(w);
	while (kw->conns != NULL)
		kconn_close(kw->conns);
	reap_dead(kw);
	storage_stop_local(w);
	close(kw->ep);
	rcu_unregister_thread();
	return 0;
}
