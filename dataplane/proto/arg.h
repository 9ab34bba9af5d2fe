/* SPDX-License-Identifier: BSD-3-Clause */
/* A byte range inside a connection's input buffer: what parsers hand out. */
#ifndef SS_PROTO_ARG_H
#define SS_PROTO_ARG_H

#include <stddef.h>

struct ss_arg {
	const char *p;
	size_t len;
};

#endif
