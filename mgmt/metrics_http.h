/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition over HTTP on metrics-port: GET /metrics.
 * Runs on the management core inside its poll loop; never blocks on a
 * client (non-blocking sockets, a fixed number of client slots, requests
 * bounded in size and time).
 */
#ifndef SS_MGMT_METRICS_HTTP_H
#define SS_MGMT_METRICS_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define METRICS_HTTP_MAX_FDS 17   /* the listener and 16 clients */

/* Listen on host:port (port 0 = off: does nothing). err says why not. */
int metrics_http_setup(const char *host, int port, char *err, size_t errlen);
void metrics_http_teardown(void);

/* Fill pfds (up to METRICS_HTTP_MAX_FDS) with what to poll; returns count. */
unsigned metrics_http_pollfds(struct pollfd *pfds);
/* Handle the results of a poll over those fds. */
void metrics_http_serve(const struct pollfd *pfds, unsigned n);

/* More metric families from layers mgmt does not depend on (e.g. the
 * dataplane's steering rings): main registers them; each writes whole
 * Prometheus families. Returns SS_OK or -ENOSPC. */
typedef void (*metrics_render_fn)(FILE *out);
int metrics_http_add_renderer(metrics_render_fn fn);

/* The /metrics body (exposed for tests). */
void metrics_http_render(FILE *out);

#ifdef __cplusplus
}
#endif

#endif
