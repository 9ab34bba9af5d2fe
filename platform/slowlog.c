/* SPDX-License-Identifier: BSD-3-Clause */
#include "platform/slowlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/opt.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Newest first, one allocation per entry (as Redis's list): a large
 * slowlog-max-len costs nothing until entries exist. */
struct node {
	struct node *next, *prev;
	struct slowlog_entry e;
};
static struct node *newest, *oldest;
static size_t len;
static uint64_t next_id;

int slowlog_wanted(uint64_t duration_us)
{
	long long t = opt_int(OPT_slowlog_log_slower_than);

	return t >= 0 && duration_us >= (uint64_t)t && opt_int(OPT_slowlog_max_len) > 0;
}

static void entry_fini(struct slowlog_entry *e)
{
	for (unsigned i = 0; i < e->argc; i++)
		free(e->argv[i]);
	e->argc = 0;
}

/* Keep at most max entries, dropping the oldest. Under lock. */
static void trim(size_t max)
{
	while (len > max) {
		struct node *n = oldest;
		oldest = n->prev;
		if (oldest != NULL)
			oldest->next = NULL;
		else
			newest = NULL;
		entry_fini(&n->e);
		free(n);
		len--;
	}
}

static char *copy_arg(const char *p, size_t n, size_t *outlen)
{
	char *s;

	if (n > SLOWLOG_MAX_ARGLEN) {
		char tail[64];
		int t = snprintf(tail, sizeof(tail), "... (%zu more bytes)", n - SLOWLOG_MAX_ARGLEN);
		s = malloc(SLOWLOG_MAX_ARGLEN + (size_t)t + 1);
		if (s == NULL)
			return NULL;
		memcpy(s, p, SLOWLOG_MAX_ARGLEN);
		memcpy(s + SLOWLOG_MAX_ARGLEN, tail, (size_t)t + 1);
		*outlen = SLOWLOG_MAX_ARGLEN + (size_t)t;
		return s;
	}
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	*outlen = n;
	return s;
}

void slowlog_add(const char *const *argv, const size_t *arglen, unsigned argc,
		 uint64_t duration_us, const char *peer, const char *name)
{
	size_t max = (size_t)opt_int(OPT_slowlog_max_len);
	struct node *n;
	struct slowlog_entry *e;
	unsigned keep = argc;

	if (max == 0 || (n = calloc(1, sizeof(*n))) == NULL)
		return;
	e = &n->e;
	e->time_s = (int64_t)time(NULL);
	e->duration_us = duration_us;
	if (argc > SLOWLOG_MAX_ARGC)
		keep = SLOWLOG_MAX_ARGC - 1;
	for (unsigned i = 0; i < keep; i++) {
		e->argv[e->argc] = copy_arg(argv[i], arglen[i], &e->arglen[e->argc]);
		if (e->argv[e->argc] != NULL)
			e->argc++;
	}
	if (keep < argc) {
		char more[64];
		int m = snprintf(more, sizeof(more), "... (%u more arguments)", argc - keep);
		e->argv[e->argc] = copy_arg(more, (size_t)m, &e->arglen[e->argc]);
		if (e->argv[e->argc] != NULL)
			e->argc++;
	}
	snprintf(e->peer, sizeof(e->peer), "%s", peer ? peer : "");
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	pthread_mutex_lock(&lock);
	e->id = next_id++;
	n->next = newest;
	if (newest != NULL)
		newest->prev = n;
	newest = n;
	if (oldest == NULL)
		oldest = n;
	len++;
	trim(max);
	pthread_mutex_unlock(&lock);
}

size_t slowlog_len(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = len;
	pthread_mutex_unlock(&lock);
	return n;
}

void slowlog_reset(void)
{
	pthread_mutex_lock(&lock);
	trim(0);
	pthread_mutex_unlock(&lock);
}

size_t slowlog_get(long long n, struct slowlog_entry **out)
{
	size_t cnt, i = 0;

	pthread_mutex_lock(&lock);
	cnt = n < 0 || (size_t)n > len ? len : (size_t)n;
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (*out == NULL) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	for (struct node *x = newest; x != NULL && i < cnt; x = x->next, i++) {
		struct slowlog_entry *d = &(*out)[i];
		*d = x->e;
		d->argc = 0;
		for (unsigned a = 0; a < x->e.argc; a++) {
			d->argv[a] = malloc(x->e.arglen[a] + 1);
			if (d->argv[a] == NULL)
				break;
			memcpy(d->argv[a], x->e.argv[a], x->e.arglen[a] + 1);
			d->argc++;
		}
	}
	pthread_mutex_unlock(&lock);
	return cnt;
}

void slowlog_free(struct slowlog_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_fini(&e[i]);
	free(e);
}
