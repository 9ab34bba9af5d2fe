/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A non-blocking kernel TCP listening socket on an IPv4 or IPv6 literal
 * address: the management core's (metrics, replicas under io=dpdk).
 */
#ifndef SS_PLATFORM_LISTEN_H
#define SS_PLATFORM_LISTEN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The socket, or -errno with err saying why (naming `what`, the option). */
int listen_tcp(const char *host, int port, int backlog, const char *what,
	       char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
