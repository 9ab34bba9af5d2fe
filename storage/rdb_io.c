/* SPDX-License-Identifier: BSD-3-Clause */
/* Ready-made inputs and outputs for the RDB writer and loader: fd and memory. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "storage/rdb.h"

int rdb_out_fd(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long rdb_in_fd(void *ctx, void *buf, size_t len)
{
	int fd = *(int *)ctx;

	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0)
			return (long)n;
		if (errno != EINTR)
			return -errno;
	}
}

long rdb_in_mem(void *ctx, void *buf, size_t len)
{
	struct rdb_mem_in *m = ctx;
	size_t n = m->len - m->off < len ? m->len - m->off : len;

	if (n > 0)
		memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}
