/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow log (Redis SLOWLOG): commands that ran longer than
 * slowlog-log-slower-than, newest first, at most slowlog-max-len entries.
 * Shared by every worker behind one lock: only slow commands take it, and
 * a command already over the threshold can afford a lock.
 */
#ifndef SS_PLATFORM_SLOWLOG_H
#define SS_PLATFORM_SLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* As Redis: at most 32 arguments kept (the last says how many more), each
 * at most 128 bytes (then "... (N more bytes)"). */
#define SLOWLOG_MAX_ARGC   32
#define SLOWLOG_MAX_ARGLEN 128

struct slowlog_entry {
	uint64_t id;
	int64_t time_s;           /* Unix seconds when it was logged */
	uint64_t duration_us;
	unsigned argc;
	char *argv[SLOWLOG_MAX_ARGC];
	size_t arglen[SLOWLOG_MAX_ARGC];
	char peer[64];            /* ip:port */
	char name[64];            /* CLIENT SETNAME, or "" */
};

/* Is a command of duration_us slow enough to log? (reads the options) */
int slowlog_wanted(uint64_t duration_us);
/* Log a command: argc arguments of the given lengths. */
void slowlog_add(const char *const *argv, const size_t *arglen, unsigned argc,
		 uint64_t duration_us, const char *peer, const char *name);

size_t slowlog_len(void);
void slowlog_reset(void);
/* Copies of the newest n entries (n < 0: all) into *out, newest first;
 * returns the count. Free with slowlog_free(). */
size_t slowlog_get(long long n, struct slowlog_entry **out);
void slowlog_free(struct slowlog_entry *e, size_t n);

#ifdef __cplusplus
}
#endif

#endif
