/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request peeks (dataplane/proto/req_peek.c) on arbitrary bytes: no
 * read outside the input, a length within it, and a key inside the request.
 * The input is a private copy of exactly `size` bytes, so ASan sees any
 * read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/proto/req_peek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(size_t (*peek)(const char *, size_t, struct ss_arg *), const char *p, size_t n)
{
	struct ss_arg key = { 0 };
	size_t len;

	while (n > 0 && (len = peek(p, n, &key)) > 0) {
		if (len > n || key.p < p || key.p + key.len > p + len)
			abort();
		p += len;
		n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	check(resp_peek_key, p, size);
	check(mc_peek_key, p, size);
	free(p);
	return 0;
}
