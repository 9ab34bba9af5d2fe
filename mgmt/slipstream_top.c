/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slipstream-top HOST PORT: a live per-core view of a running appliance,
 * like top. Every interval it reads `INFO all` over RESP and prints, per
 * worker core: ops/s, busy %, hit ratio, p99 over the last second, open
 * connections, keys and memory; then node totals. Rates come from the
 * difference of two readings, so the first frame shows totals only.
 *
 *   slipstream-top [-a PASSWORD] [-i SECONDS] [-n FRAMES] HOST PORT
 *
 * -n bounds the frames (scripts, tests); on a terminal the screen is
 * cleared between frames, otherwise frames are appended.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 256

struct worker {
	unsigned long long ops, hits, misses, busy, idle, conns, keys, mem;
	double p99;
};

struct reading {
	struct timespec at;
	unsigned nw;
	struct worker w[MAX_WORKERS];
	unsigned long long used, maxmem, clients, total_ops;
	char version[32], policy[32];
};

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { 5, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* One RESP reply: a bulk/verbatim string into *body (malloc'd), or an
 * error/status line. Returns 0, or -1 on a broken connection. */
static int read_reply(int fd, char **body, size_t *len, char *line, size_t linecap)
{
	size_t n = 0;
	char c;

	*body = NULL;
	*len = 0;
	while (n + 1 < linecap) {   /* the first line */
		if (recv(fd, &c, 1, 0) != 1)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r')
			line[n++] = c;
	}
	line[n] = '\0';
	if (line[0] != '$' && line[0] != '=')
		return 0;
	long long want = atoll(line + 1);
	if (want < 0)
		return 0;
	*body = malloc((size_t)want + 3);
	if (*body == NULL)
		return -1;
	for (size_t got = 0; got < (size_t)want + 2;) {
		ssize_t r = recv(fd, *body + got, (size_t)want + 2 - got, 0);
		if (r <= 0) {
			free(*body);
			*body = NULL;
			return -1;
		}
		got += (size_t)r;
	}
	(*body)[want] = '\0';
	*len = (size_t)want;
	return 0;
}

static int send_cmd(int fd, const char *const *argv, int argc)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "*%d\r\n", argc);

	for (int i = 0; i < argc && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "$%zu\r\n%s\r\n", strlen(argv[i]),
			      argv[i]);
	return n < (int)sizeof(buf) && send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static unsigned long long field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void parse_info(char *text, struct reading *r)
{
	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->at);
	/* a verbatim string starts "txt:" */
	if (strncmp(text, "txt:", 4) == 0)
		text += 4;
	for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l != NULL;
	     l = strtok_r(NULL, "\r\n", &save)) {
		unsigned w;
		if (sscanf(l, "worker%u:ops=", &w) == 1 && w < MAX_WORKERS && strchr(l, '=')) {
			struct worker *x = &r->w[w];
			x->ops = field(l, "ops=");
			x->hits = field(l, "hits=");
			x->misses = field(l, "misses=");
			x->busy = field(l, "busy_ns=");
			x->idle = field(l, "idle_ns=");
			x->conns = field(l, "connections=");
			x->keys = field(l, "keys=");
			x->mem = field(l, ",used_memory=");
			const char *p = strstr(l, "p99_usec_1s=");
			x->p99 = p ? atof(p + 12) : 0;
			if (w + 1 > r->nw)
				r->nw = w + 1;
		} else if (strncmp(l, "used_memory:", 12) == 0) {
			r->used = strtoull(l + 12, NULL, 10);
		} else if (strncmp(l, "maxmemory:", 10) == 0) {
			r->maxmem = strtoull(l + 10, NULL, 10);
		} else if (strncmp(l, "connected_clients:", 18) == 0) {
			r->clients = strtoull(l + 18, NULL, 10);
		} else if (strncmp(l, "total_commands_processed:", 25) == 0) {
			r->total_ops = strtoull(l + 25, NULL, 10);
		} else if (strncmp(l, "slipstream_version:", 19) == 0) {
			snprintf(r->version, sizeof(r->version), "%s", l + 19);
		} else if (strncmp(l, "maxmemory_policy:", 17) == 0) {
			snprintf(r->policy, sizeof(r->policy), "%s", l + 17);
		}
	}
}

static void human(char *s, size_t n, double b)
{
	const char *u = "BKMGTP";
	int i = 0;

	while (b >= 1024 && i < 5) {
		b /= 1024;
		i++;
	}
	snprintf(s, n, i ? "%.1f%c" : "%.0f%c", b, u[i]);
}

static void show(const struct reading *prev, const struct reading *cur, const char *target,
		 int clear)
{
	double dt = prev ? (double)(cur->at.tv_sec - prev->at.tv_sec) +
				   (double)(cur->at.tv_nsec - prev->at.tv_nsec) / 1e9 : 0;
	double total = 0;
	char mem[16], maxm[16];

	if (clear)
		fputs("\033[H\033[2J", stdout);
	human(mem, sizeof(mem), (double)cur->used);
	human(maxm, sizeof(maxm), (double)cur->maxmem);
	printf("slipstream-top %s  version %s  clients %llu  memory %s / %s (%s)\n", target,
	       cur->version, cur->clients, mem, cur->maxmem ? maxm : "no limit", cur->policy);
	printf("%-6s %12s %7s %7s %11s %7s %12s %10s\n", "core", "ops/s", "busy%", "hit%",
	       "p99(us,1s)", "conns", "keys", "memory");
	for (unsigned i = 0; i < cur->nw; i++) {
		const struct worker *c = &cur->w[i], *p = prev ? &prev->w[i] : NULL;
		char ops[16] = "-", busy[16] = "-", hit[16] = "-";
		if (p != NULL && dt > 0) {
			double o = (double)(c->ops - p->ops) / dt;
			unsigned long long db = c->busy - p->busy, di = c->idle - p->idle;
			unsigned long long dh = c->hits - p->hits, dm = c->misses - p->misses;
			total += o;
			snprintf(ops, sizeof(ops), "%.0f", o);
			if (db + di > 0)
				snprintf(busy, sizeof(busy), "%.1f", 100.0 * (double)db / (double)(db + di));
			if (dh + dm > 0)
				snprintf(hit, sizeof(hit), "%.1f", 100.0 * (double)dh / (double)(dh + dm));
		}
		human(mem, sizeof(mem), (double)c->mem);
		printf("%-6u %12s %7s %7s %11.1f %7llu %12llu %10s\n", i, ops, busy, hit, c->p99,
		       c->conns, c->keys, mem);
	}
	if (prev != NULL && dt > 0)
		printf("total  %12.0f ops/s\n", total);
	else
		printf("total  %12llu commands since start\n", cur->total_ops);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: slipstream-top [-a PASSWORD] [-i SECONDS] [-n FRAMES] HOST PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pass = NULL;
	double interval = 1.0;
	long frames = -1;
	int opt, fd;
	static struct reading a, b;
	struct reading *prev = NULL, *cur = &a;
	char target[300], line[512];

	while ((opt = getopt(argc, argv, "a:i:n:h")) != -1) {
		switch (opt) {
		case 'a': pass = optarg; break;
		case 'i': interval = atof(optarg); break;
		case 'n': frames = atol(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || interval <= 0)
		usage();
	snprintf(target, sizeof(target), "%s:%s", argv[optind], argv[optind + 1]);
	if ((fd = dial(argv[optind], argv[optind + 1])) < 0) {
		fprintf(stderr, "slipstream-top: cannot connect to %s: %s\n", target, strerror(errno));
		return 1;
	}
	if (pass != NULL) {
		const char *auth[] = { "AUTH", pass };
		char *body;
		size_t len;
		if (send_cmd(fd, auth, 2) < 0 || read_reply(fd, &body, &len, line, sizeof(line)) < 0 ||
		    line[0] == '-') {
			fprintf(stderr, "slipstream-top: AUTH failed: %s\n", line + 1);
			return 1;
		}
	}
	for (long f = 0; frames < 0 || f < frames; f++) {
		const char *info[] = { "INFO", "all" };
		char *body;
		size_t len;

		if (f > 0) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			nanosleep(&ts, NULL);
		}
		if (send_cmd(fd, info, 2) < 0 || read_reply(fd, &body, &len, line, sizeof(line)) < 0) {
			fprintf(stderr, "slipstream-top: connection to %s lost\n", target);
			return 1;
		}
		if (body == NULL) {
			fprintf(stderr, "slipstream-top: INFO failed: %s\n", line + 1);
			return 1;
		}
		parse_info(body, cur);
		free(body);
		show(prev, cur, target, isatty(STDOUT_FILENO));
		prev = cur;
		cur = cur == &a ? &b : &a;
	}
	close(fd);
	return 0;
}
