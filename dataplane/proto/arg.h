/* SPDX-License-Identifier: BSD-3-Clause */
/* A byte range inside a connection's input buffer: what parsers hand out. */
#ifndef SS_PROTO_ARG_H
#define SS_PROTO_ARG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct ss_arg {
	const char *p;
	size_t len;
};

/* Append (p, len) to the growable array *v of *n entries (*cap allocated,
 * doubling from 8). Returns 0 or -ENOMEM (the array is left as it was). */
static inline int ss_args_push(struct ss_arg **v, uint32_t *n, uint32_t *cap,
			       const char *p, size_t len)
{
	if (*n == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 8;
		struct ss_arg *a = (struct ss_arg *)realloc(*v, ncap * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		*v = a;
		*cap = ncap;
	}
	(*v)[*n].p = p;
	(*v)[*n].len = len;
	(*n)++;
	return 0;
}

#endif
