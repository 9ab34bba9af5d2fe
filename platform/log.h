/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leveled logging in Redis's line format, e.g.
 *   4711:M 23 Nov 2026 10:00:00.123 * Ready to accept connections
 * where the letter after the pid is the thread's role (M management,
 * W worker) and the mark is the level (. debug, - verbose, * notice,
 * # warning). Each line is one write(2), so lines from cores never mix.
 * Safe on any thread.
 */
#ifndef SS_PLATFORM_LOG_H
#define SS_PLATFORM_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* The order of the loglevel option's choices. */
enum log_level { LL_DEBUG, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

/* path NULL or "" = standard output. Returns SS_OK or -errno. */
int log_setup(enum log_level level, const char *path);
void log_teardown(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* The calling thread's role letter and index, shown in every line. */
void log_set_role(char role, unsigned index);

void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...)   log_at_(LL_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_at_(LL_VERBOSE, __VA_ARGS__)
#define log_notice(...)  log_at_(LL_NOTICE, __VA_ARGS__)
#define log_warn(...)    log_at_(LL_WARNING, __VA_ARGS__)
/* Level check first so a disabled line costs one load and a branch. */
#define log_at_(lvl, ...) \
	do { if ((lvl) >= log_get_level()) log_write((lvl), __VA_ARGS__); } while (0)

#ifdef __cplusplus
}
#endif

#endif
