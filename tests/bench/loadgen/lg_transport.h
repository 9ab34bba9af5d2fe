/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the load generator's bytes reach a server: a table of functions chosen
 * at setup. The kernel-socket transport (epoll) is lg_transport_kernel; the
 * DPDK transport (the project's TCP stack in active open, over a DPDK port
 * such as net_memif) is lg_transport_dpdk. The connection engine only sees
 * connection slots 0..n-1 of one loop, bytes in and out, and readiness.
 *
 * setup/teardown (may be NULL) run once per process on the main thread,
 * around the run. One loop per load-generator thread; every other function
 * runs on that thread (loop_create/loop_destroy on the main thread).
 */
#ifndef SS_LOADGEN_TRANSPORT_H
#define SS_LOADGEN_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LG_EV_IN  1u   /* bytes (or the peer's close) to receive */
#define LG_EV_OUT 2u   /* room to send */

struct lg_event {
	unsigned slot;
	unsigned events;
};

struct lg_loop;   /* the transport's own */
struct lg_opts;

struct lg_transport {
	const char *name;
	/* Process-wide set-up from the options (e.g. the DPDK EAL and port);
	 * 0, or a negative errno after writing why into err. */
	int (*setup)(const struct lg_opts *o, char *err, size_t errlen);
	void (*teardown)(void);
	/* A loop for up to nslots connections; NULL on failure (errno set). */
	struct lg_loop *(*loop_create)(unsigned nslots);
	void (*loop_destroy)(struct lg_loop *l);
	/* Connects slot to host:port, returning once it is established (or
	 * failed: a negative errno); afterwards send/recv do not block. */
	int (*open)(struct lg_loop *l, unsigned slot, const char *host, uint16_t port);
	void (*close)(struct lg_loop *l, unsigned slot);
	/* Bytes taken (0: no room now), or a negative errno. */
	ssize_t (*send)(struct lg_loop *l, unsigned slot, const void *p, size_t n);
	/* Bytes received, 0 when none are there now, -ESHUTDOWN when the peer
	 * closed, or another negative errno. */
	ssize_t (*recv)(struct lg_loop *l, unsigned slot, void *p, size_t n);
	/* Whether to report LG_EV_OUT for slot (only while it has bytes waiting). */
	void (*want_out)(struct lg_loop *l, unsigned slot, int on);
	/* Waits up to timeout_ns for events; returns how many were put in ev. */
	int (*poll)(struct lg_loop *l, uint64_t timeout_ns, struct lg_event *ev, int max);
};

extern const struct lg_transport lg_transport_kernel;
extern const struct lg_transport lg_transport_dpdk;

/* "kernel" or "dpdk"; NULL for others. */
const struct lg_transport *lg_transport_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif
