/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A replica applies its primary's command stream on worker 0: the bytes
 * the management core's link received (storage/repl.h's feed) go through
 * a pseudo-connection like any client's, minus the replies (dropped) and
 * the read-only refusal (it is the one writer a replica has).
 */
#ifndef SS_DATAPLANE_REPL_APPLY_H
#define SS_DATAPLANE_REPL_APPLY_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Worker w, every loop iteration: on worker 0, apply what the feed holds.
 * Cheap when there is nothing (two relaxed loads). */
void repl_apply_poll_local(unsigned w);
/* Worker w has stream bytes waiting or a command away: do not sleep long. */
bool repl_apply_busy_local(unsigned w);
/* Worker w stops: let go of the pseudo-connection. */
void repl_apply_stop_local(unsigned w);

#ifdef __cplusplus
}
#endif

#endif
