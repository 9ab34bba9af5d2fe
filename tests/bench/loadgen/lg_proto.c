/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_proto.h"

#include <string.h>

#include "platform/status.h"

const struct lg_proto *lg_proto_find(const char *name)
{
	static const struct lg_proto *const all[] = {
		&lg_proto_resp, &lg_proto_mc_text, &lg_proto_mc_meta,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, all[i]->name) == 0)
			return all[i];
	return NULL;
}

long lg_line_end(const char *p, size_t len)
{
	size_t lim = len < LG_LINE_MAX ? len : LG_LINE_MAX;
	const char *nl = memchr(p, '\n', lim);

	if (nl == NULL)
		return len >= LG_LINE_MAX ? -2 : -1;
	if (nl == p || nl[-1] != '\r')
		return -2;
	return (long)(nl - p - 1);
}

int lg_parse_u64(const char *p, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;

	if (n == 0 || n > 19)   /* 19 digits always fit in 64 bits */
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return 0;
}

int lg_err(struct lg_reply *r, size_t used, int fatal, const char *why)
{
	r->kind = LG_R_ERROR;
	r->used = used;
	r->fatal = fatal;
	r->why = why;
	r->val = NULL;
	r->vlen = 0;
	return SS_OK;
}
