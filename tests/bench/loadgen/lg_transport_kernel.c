/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel TCP sockets and one epoll set per loop. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "lg_transport.h"

struct lg_loop {
	int ep;
	unsigned n;
	int *fd;
	struct epoll_event *evbuf;
	int evcap;
};

static struct lg_loop *k_create(unsigned nslots)
{
	struct lg_loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->n = nslots;
	l->fd = malloc(sizeof(int) * (nslots ? nslots : 1));
	l->evcap = nslots ? (int)nslots : 1;
	l->evbuf = calloc((size_t)l->evcap, sizeof(*l->evbuf));
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->fd == NULL || l->evbuf == NULL || l->ep < 0) {
		free(l->fd);
		free(l->evbuf);
		if (l->ep >= 0)
			close(l->ep);
		free(l);
		return NULL;
	}
	for (unsigned i = 0; i < nslots; i++)
		l->fd[i] = -1;
	return l;
}

static void k_close(struct lg_loop *l, unsigned slot)
{
	if (l->fd[slot] >= 0) {
		close(l->fd[slot]);   /* also leaves the epoll set */
		l->fd[slot] = -1;
	}
}

static void k_destroy(struct lg_loop *l)
{
	for (unsigned i = 0; i < l->n; i++)
		k_close(l, i);
	close(l->ep);
	free(l->fd);
	free(l->evbuf);
	free(l);
}

static int k_open(struct lg_loop *l, unsigned slot, const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char ps[8];
	int fd = -1, err = -ECONNREFUSED, one = 1;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = slot };

	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		/* A blocking connect: set-up time is not measured. */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	/* Requests are written whole; Nagle would hold pipelined tails back. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	l->fd[slot] = fd;
	return 0;
}

static ssize_t k_send(struct lg_loop *l, unsigned slot, const void *p, size_t n)
{
	ssize_t w = send(l->fd[slot], p, n, MSG_NOSIGNAL);

	if (w >= 0)
		return w;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

static ssize_t k_recv(struct lg_loop *l, unsigned slot, void *p, size_t n)
{
	ssize_t r = recv(l->fd[slot], p, n, 0);

	if (r > 0)
		return r;
	if (r == 0)
		return -ESHUTDOWN;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

static void k_want_out(struct lg_loop *l, unsigned slot, int on)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0), .data.u32 = slot,
	};

	if (l->fd[slot] >= 0)
		epoll_ctl(l->ep, EPOLL_CTL_MOD, l->fd[slot], &ev);
}

static int k_poll(struct lg_loop *l, uint64_t timeout_ns, struct lg_event *ev, int max)
{
	/* epoll_pwait2 (Linux 5.11): the open loop's send times need better
	 * than epoll_wait's milliseconds. */
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
			       .tv_nsec = (long)(timeout_ns % 1000000000u) };
	int n, out = 0;

	if (max > l->evcap)
		max = l->evcap;
	n = epoll_pwait2(l->ep, l->evbuf, max, &ts, NULL);
	if (n < 0 && errno == ENOSYS) {
		int ms = (int)((timeout_ns + 999999) / 1000000);

		n = epoll_wait(l->ep, l->evbuf, max, ms);
	}
	for (int i = 0; i < n; i++) {
		uint32_t e = l->evbuf[i].events;

		ev[out].slot = l->evbuf[i].data.u32;
		ev[out].events = ((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ? LG_EV_IN : 0) |
				 ((e & EPOLLOUT) ? LG_EV_OUT : 0);
		out++;
	}
	return out;
}

const struct lg_transport lg_transport_kernel = {
	.name = "kernel",
	.loop_create = k_create,
	.loop_destroy = k_destroy,
	.open = k_open,
	.close = k_close,
	.send = k_send,
	.recv = k_recv,
	.want_out = k_want_out,
	.poll = k_poll,
};
