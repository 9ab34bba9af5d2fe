/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management core: everything that is not on the request path. Runs on
 * the main thread (the EAL main lcore with io=dpdk).
 */
#ifndef SS_MGMT_MGMT_H
#define SS_MGMT_MGMT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks SIGINT/SIGTERM (and ignores SIGPIPE) in the calling thread; call
 * before starting workers so they inherit the mask and only the management
 * loop sees those signals. Returns SS_OK or -errno. */
int mgmt_setup(void);
void mgmt_teardown(void);

/* Runs until SIGINT or SIGTERM (serving /metrics meanwhile, when
 * metrics_http_setup opened it); returns the signal number. */
int mgmt_run(void);

#ifdef __cplusplus
}
#endif

#endif
