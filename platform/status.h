/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One status convention for the whole tree:
 *   SS_OK (0)        success
 *   SS_NEED_MORE (1) a parser saw a valid prefix and needs more bytes
 *   < 0              an error, a negated errno value (-EINVAL, -ENOMEM, ...)
 * Burst functions return counts; constructors return NULL on failure.
 */
#ifndef SS_PLATFORM_STATUS_H
#define SS_PLATFORM_STATUS_H

#define SS_OK        0
#define SS_NEED_MORE 1

#endif
