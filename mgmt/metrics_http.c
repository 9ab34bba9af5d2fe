/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgmt/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/listen.h"
#include "platform/cmdstat.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/status.h"
#include "storage/shard.h"
#include "storage/storage.h"

#define REQ_MAX      8192
#define CLIENT_MS    5000      /* a client has this long to send its request */
#define CLIENTS      (METRICS_HTTP_MAX_FDS - 1)

struct client {
	int fd;                 /* -1: free slot */
	uint64_t since_ms;
	size_t in_len;
	char in[REQ_MAX];
	bool bad;                /* the request is malformed (400) */
	char *out;              /* the whole response, sent as the socket takes it */
	size_t out_len, out_off;
};

static int listen_fd = -1;
static struct client clients[CLIENTS];
static uint64_t started_ms;

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
}

int metrics_http_setup(const char *host, int port, char *err, size_t errlen)
{
	for (int i = 0; i < CLIENTS; i++)
		clients[i].fd = -1;
	started_ms = clock_mono_ms();
	if (port == 0)
		return SS_OK;
	listen_fd = listen_tcp(host, port, 16, "metrics-port", err, errlen);
	return listen_fd < 0 ? listen_fd : SS_OK;
}

void metrics_http_teardown(void)
{
	for (int i = 0; i < CLIENTS; i++)
		client_close(&clients[i]);
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP slipstream_%s %s\n# TYPE slipstream_%s %s\n", name, help, name, type);
}

#define MAX_RENDERERS 4
static metrics_render_fn renderers[MAX_RENDERERS];
static unsigned n_renderers;

int metrics_http_add_renderer(metrics_render_fn fn)
{
	if (n_renderers == MAX_RENDERERS)
		return -ENOSPC;
	renderers[n_renderers++] = fn;
	return SS_OK;
}

/*
 * One sample set of a Prometheus histogram from a log-linear one, with
 * fixed `le` bounds. A fine bucket is counted under the first bound at or
 * above its upper edge, so a bound may undercount values just below it by
 * at most one fine bucket (6.25%) - never claims a latency lower than seen.
 * label is the sample's labels without braces, e.g. cmd="get".
 */
static void hist_render(FILE *out, const char *name, const char *label, const struct hist *h,
			uint64_t sum_ns)
{
	static const double le_s[] = { 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4,
				       1e-3, 2e-3, 5e-3, 1e-2, 5e-2, 1e-1, 1.0 };
	uint64_t cum = 0;
	unsigned b = 0;

	for (size_t i = 0; i < sizeof(le_s) / sizeof(le_s[0]); i++) {
		uint64_t bound = (uint64_t)(le_s[i] * 1e9 + 0.5);
		for (; b < HIST_BUCKETS && hist_bucket_upper(b) <= bound; b++)
			cum += h->b[b];
		fprintf(out, "slipstream_%s_bucket{%s,le=\"%g\"} %llu\n", name, label, le_s[i],
			(unsigned long long)cum);
	}
	fprintf(out, "slipstream_%s_bucket{%s,le=\"+Inf\"} %llu\n", name, label,
		(unsigned long long)h->count);
	fprintf(out, "slipstream_%s_sum{%s} %.9f\n", name, label, (double)sum_ns / 1e9);
	fprintf(out, "slipstream_%s_count{%s} %llu\n", name, label, (unsigned long long)h->count);
}

/* Per command: calls, failures and latency (summed over cores); per core:
 * end to end, receive to reply queued (queueing behind a pipeline too). */
static void commands_render(FILE *out)
{
	unsigned n = cmdstat_count();
	struct hist *h = malloc(sizeof(*h));
	char label[96];

	if (h == NULL)
		return;
	family(out, "command_calls_total", "counter", "Calls per command (both protocols)");
	for (unsigned id = 0; id < n; id++) {
		struct cmdstat_sum sum;
		cmdstat_read((int)id, &sum);
		fprintf(out, "slipstream_command_calls_total{cmd=\"%s\"} %llu\n",
			cmdstat_name((int)id), (unsigned long long)sum.calls);
	}
	family(out, "command_failed_total", "counter", "Calls that replied an error");
	for (unsigned id = 0; id < n; id++) {
		struct cmdstat_sum sum;
		cmdstat_read((int)id, &sum);
		fprintf(out, "slipstream_command_failed_total{cmd=\"%s\"} %llu\n",
			cmdstat_name((int)id), (unsigned long long)(sum.failed + sum.rejected));
	}
	family(out, "command_duration_seconds", "histogram",
	       "Time from request parsed to reply complete, per command");
	for (unsigned id = 0; id < n; id++) {
		struct cmdstat_sum sum;

		cmdstat_hist((int)id, h);
		cmdstat_read((int)id, &sum);
		snprintf(label, sizeof(label), "cmd=\"%s\"", cmdstat_name((int)id));
		hist_render(out, "command_duration_seconds", label, h, sum.ns);
	}
	family(out, "request_e2e_seconds", "histogram",
	       "Time from the request's bytes received to its reply queued, per core");
	for (unsigned c = 0; c < metric_cores(); c++) {
		cmdstat_e2e_core(c, h);
		if (h->count == 0)
			continue;
		snprintf(label, sizeof(label), "core=\"%u\"", c);
		hist_render(out, "request_e2e_seconds", label, h, cmdstat_e2e_sum_ns(c));
	}
	free(h);
}

void metrics_http_render(FILE *out)
{
	/* Per-core metrics from the table: one sample per lcore (0 = mgmt). */
	for (int m = 0; m < METRIC__COUNT; m++) {
		enum metric_id id = (enum metric_id)m;
		family(out, metric_name(id), metric_type_of(id) == METRIC_COUNTER ? "counter" : "gauge",
		       metric_help(id));
		for (unsigned c = 0; c < metric_cores(); c++) {
			uint64_t v = metric_read(c, id);
			if (metric_is_ns(id))
				fprintf(out, "slipstream_%s{core=\"%u\"} %.9f\n", metric_name(id), c,
					(double)v / 1e9);
			else
				fprintf(out, "slipstream_%s{core=\"%u\"} %lld\n", metric_name(id), c,
					(long long)v);
		}
	}
	commands_render(out);
	/* Families of layers above this one (dataplane steering), wired by main. */
	for (unsigned i = 0; i < n_renderers; i++)
		renderers[i](out);
	/* Node-level numbers that the storage layer holds. */
	family(out, "keys", "gauge", "Keys held, per worker shard");
	for (unsigned w = 0; w < storage_shards(); w++) {
		struct shard *s = storage_shard(w);
		fprintf(out, "slipstream_keys{core=\"%u\"} %llu\n", w + 1,
			(unsigned long long)(s ? shard_count(s) : 0));
	}
	family(out, "used_memory_bytes", "gauge", "Bytes allocated for data (items and tables)");
	fprintf(out, "slipstream_used_memory_bytes %llu\n",
		(unsigned long long)storage_used_memory());
	family(out, "maxmemory_bytes", "gauge", "The maxmemory limit, 0 = none");
	fprintf(out, "slipstream_maxmemory_bytes %lld\n", opt_int(OPT_maxmemory));
	if (opt_int(OPT_maxmemory) > 0) {
		family(out, "memory_usage_ratio", "gauge",
		       "used_memory / maxmemory (ElastiCache DatabaseMemoryUsagePercentage / 100)");
		fprintf(out, "slipstream_memory_usage_ratio %.6f\n",
			(double)storage_used_memory() / (double)opt_int(OPT_maxmemory));
	}
	family(out, "uptime_seconds", "gauge", "Seconds since start");
	fprintf(out, "slipstream_uptime_seconds %llu\n",
		(unsigned long long)((clock_mono_ms() - started_ms) / 1000));
}

/* Does the request line (GET or HEAD) ask for `path` (a query allowed)? */
static bool path_is(const char *req, const char *path)
{
	const char *p = req + (req[0] == 'G' ? 4 : 5);
	size_t n = strlen(path);

	return strncmp(p, path, n) == 0 && strchr(" ?", p[n]) != NULL && p[n] != '\0';
}

/* Build the reply to the request in c->in (complete or over-long). */
static void respond(struct client *c)
{
	const char *status = "200 OK", *ctype = "text/plain; version=0.0.4; charset=utf-8";
	char *body = NULL, *resp = NULL;
	size_t body_len = 0, resp_len = 0;
	FILE *f = open_memstream(&body, &body_len);

	if (f == NULL) {
		client_close(c);
		return;
	}
	if (c->bad) {
		status = "400 Bad Request";
		fputs("malformed request\n", f);
	} else if (c->in_len >= REQ_MAX) {
		status = "431 Request Header Fields Too Large";
		fputs("request too large\n", f);
	} else if (strncmp(c->in, "GET ", 4) != 0 && strncmp(c->in, "HEAD ", 5) != 0) {
		status = "405 Method Not Allowed";
		fputs("only GET /metrics and GET /health are served here\n", f);
	} else if (path_is(c->in, "/metrics")) {
		metrics_http_render(f);
	} else if (path_is(c->in, "/health")) {
		/* Healthy once every worker serves its shard (load balancers and
		 * orchestrators probe this; /metrics is for scrapers). */
		unsigned up = 0;
		for (unsigned w = 0; w < storage_shards(); w++)
			up += storage_shard(w) != NULL;
		if (up != storage_shards() || up == 0)
			status = "503 Service Unavailable";
		ctype = "text/plain; charset=utf-8";
		fprintf(f, "%s %u/%u workers serving\n", up == storage_shards() && up ? "OK" : "STARTING",
			up, storage_shards());
	} else {
		status = "404 Not Found";
		fputs("only GET /metrics and GET /health are served here\n", f);
	}
	fclose(f);
	f = open_memstream(&resp, &resp_len);
	if (f != NULL) {
		fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n\r\n", status, ctype, body_len);
		if (c->in[0] != 'H')
			fwrite(body, 1, body_len, f);
		fclose(f);
	}
	free(body);
	if (resp == NULL) {
		client_close(c);
		return;
	}
	c->out = resp;
	c->out_len = resp_len;
	c->out_off = 0;
}

unsigned metrics_http_pollfds(struct pollfd *pfds)
{
	unsigned n = 0;

	if (listen_fd < 0)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	for (int i = 0; i < CLIENTS; i++)
		if (clients[i].fd >= 0)
			pfds[n++] = (struct pollfd){ .fd = clients[i].fd,
						     .events = clients[i].out ? POLLOUT : POLLIN };
	return n;
}

static struct client *client_of(int fd)
{
	for (int i = 0; i < CLIENTS; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

static void accept_one(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c = client_of(-1);

	if (fd < 0)
		return;
	if (c == NULL) {   /* all slots busy: a scraper retries */
		close(fd);
		return;
	}
	c->fd = fd;
	c->since_ms = clock_mono_ms();
	c->in_len = 0;
	c->bad = false;
}

static void client_io(struct client *c, short revents)
{
	if (c->out == NULL && (revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = recv(c->fd, c->in + c->in_len, REQ_MAX - 1 - c->in_len, 0);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				return;
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		/* A NUL can never be part of an HTTP request: answer 400 at once
		 * (and memmem, not strstr: a NUL would hide the header end). */
		if (memchr(c->in, '\0', c->in_len) != NULL) {
			c->bad = true;
			respond(c);
		} else if (memmem(c->in, c->in_len, "\r\n\r\n", 4) != NULL ||
			   memmem(c->in, c->in_len, "\n\n", 2) != NULL)
			respond(c);
		else if (c->in_len >= REQ_MAX - 1) {
			c->in_len = REQ_MAX;
			respond(c);
		}
	}
	if (c->out != NULL && c->fd >= 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			c->out_off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			client_close(c);
		if (c->fd >= 0 && c->out_off == c->out_len)
			client_close(c);
	}
}

void metrics_http_serve(const struct pollfd *pfds, unsigned n)
{
	uint64_t now = clock_mono_ms();

	for (unsigned i = 0; i < n; i++) {
		if (pfds[i].revents == 0)
			continue;
		if (pfds[i].fd == listen_fd) {
			accept_one();
			continue;
		}
		struct client *c = client_of(pfds[i].fd);
		if (c != NULL)
			client_io(c, pfds[i].revents);
	}
	/* A client that never finishes its request loses its slot. (No
	 * subtraction: one accepted above has since_ms > now, and now - since_ms
	 * would wrap and close it at once; a regression test scrapes 1000 times.) */
	for (int i = 0; i < CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].since_ms + CLIENT_MS < now)
			client_close(&clients[i]);
}
