/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "platform/status.h"

static int log_fd = STDOUT_FILENO;
static volatile enum log_level log_level = LL_NOTICE;
static __thread char role = 'M';
static __thread unsigned role_index;

int log_setup(enum log_level level, const char *path)
{
	log_level = level;
	if (path != NULL && *path != '\0') {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		log_fd = fd;
	}
	return SS_OK;
}

void log_teardown(void)
{
	if (log_fd != STDOUT_FILENO)
		close(log_fd);
	log_fd = STDOUT_FILENO;
}

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }

void log_set_role(char r, unsigned index)
{
	role = r;
	role_index = index;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	static const char marks[] = ".-*#";
	char line[1024], when[64];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%d %b %Y %H:%M:%S", &tm);
	if (role == 'M')
		n = snprintf(line, sizeof(line), "%d:M %s.%03d %c ", (int)getpid(),
			     when, (int)(tv.tv_usec / 1000), marks[level & 3]);
	else
		n = snprintf(line, sizeof(line), "%d:%c%u %s.%03d %c ", (int)getpid(),
			     role, role_index, when, (int)(tv.tv_usec / 1000),
			     marks[level & 3]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line; a short write on a pipe is not worth a retry loop. */
	if (write(log_fd, line, (size_t)n) < 0)
		return;
}
