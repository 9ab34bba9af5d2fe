/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_stats.h"

#include <string.h>

void lg_stats_add(struct lg_stats *dst, const struct lg_stats *src)
{
	dst->gets += src->gets;
	dst->sets += src->sets;
	dst->hits += src->hits;
	dst->misses += src->misses;
	dst->errors += src->errors;
	dst->verify_errors += src->verify_errors;
	dst->foreign += src->foreign;
	dst->conn_errors += src->conn_errors;
	dst->bytes_out += src->bytes_out;
	dst->bytes_in += src->bytes_in;
	hist_merge(&dst->lat, &src->lat);
}

static const struct {
	const char *name;
	double q;
} quantiles[] = {
	{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p99.9", 0.999 },
};

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static double ops_per_sec(const struct lg_report *r, const struct lg_stats *s)
{
	return r->seconds > 0 ? (double)(s->gets + s->sets) / r->seconds : 0;
}

void lg_report_text(FILE *f, const struct lg_report *r, const struct lg_stats *s)
{
	int kernel = r->transport == NULL || strcmp(r->transport, "kernel") == 0;

	fprintf(f, "%s:%u %s%s%s, %u connections on %u threads, pipeline %u, %s%s, SET:GET %u:%u, "
		"%llu keys (%s), values %lu..%lu B",
		r->server, r->port, r->protocol, kernel ? "" : " over ", kernel ? "" : r->transport,
		r->connections, r->threads, r->pipeline, r->mode,
		r->rate > 0 ? "" : " (peak)", r->set_w, r->get_w, (unsigned long long)r->key_count,
		r->key_pattern, r->size_min, r->size_max);
	/* only with --expiry-range: without, the line reads as it did before TTLs */
	if (r->expiry_max > 0)
		fprintf(f, ", TTL %u..%u s", r->expiry_min, r->expiry_max);
	fprintf(f, "\n");
	if (r->rate > 0)
		fprintf(f, "offered %.0f ops/s; latency from the intended send time\n", r->rate);
	fprintf(f, "%.0f ops/s over %.2f s: %llu GET (%llu hits, %llu misses), %llu SET\n",
		ops_per_sec(r, s), r->seconds, (unsigned long long)s->gets,
		(unsigned long long)s->hits, (unsigned long long)s->misses,
		(unsigned long long)s->sets);
	fprintf(f, "latency us:");
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		fprintf(f, " %s %.1f", quantiles[i].name, us(hist_quantile(&s->lat, quantiles[i].q)));
	fprintf(f, " max %.1f\n", us(s->lat.max));
	fprintf(f, "errors %llu, connection errors %llu", (unsigned long long)s->errors,
		(unsigned long long)s->conn_errors);
	if (r->verify)
		fprintf(f, ", verify errors %llu (values of other runs %llu)",
			(unsigned long long)s->verify_errors, (unsigned long long)s->foreign);
	fprintf(f, "\n");
	if (r->first_error)
		fprintf(f, "first error: %s\n", r->first_error);
}

/* A JSON string of s (ours: ASCII without control characters, but escape anyway). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void lg_report_json(FILE *f, const struct lg_report *r, const struct lg_stats *s)
{
	fprintf(f, "{\"config\": {\"server\": ");
	json_str(f, r->server);
	fprintf(f, ", \"port\": %u, \"protocol\": ", r->port);
	json_str(f, r->protocol);
	fprintf(f, ", \"transport\": ");
	json_str(f, r->transport ? r->transport : "kernel");
	fprintf(f, ", \"mode\": ");
	json_str(f, r->mode);
	fprintf(f, ", \"rate\": %.0f, \"connections\": %u, \"threads\": %u, \"pipeline\": %u, "
		"\"ratio\": \"%u:%u\", \"key_count\": %llu, \"key_pattern\": ",
		r->rate, r->connections, r->threads, r->pipeline, r->set_w, r->get_w,
		(unsigned long long)r->key_count);
	json_str(f, r->key_pattern);
	fprintf(f, ", \"data_size_min\": %lu, \"data_size_max\": %lu, \"expiry_min\": %u, "
		"\"expiry_max\": %u, \"verify\": %s},\n", r->size_min, r->size_max, r->expiry_min,
		r->expiry_max, r->verify ? "true" : "false");
	fprintf(f, " \"seconds\": %.6f, \"ops\": %llu, \"ops_per_sec\": %.1f, \"gets\": %llu, "
		"\"sets\": %llu, \"hits\": %llu, \"misses\": %llu,\n",
		r->seconds, (unsigned long long)(s->gets + s->sets), ops_per_sec(r, s),
		(unsigned long long)s->gets, (unsigned long long)s->sets,
		(unsigned long long)s->hits, (unsigned long long)s->misses);
	fprintf(f, " \"errors\": %llu, \"connection_errors\": %llu, \"verify_errors\": %llu, "
		"\"foreign_values\": %llu, \"bytes_out\": %llu, \"bytes_in\": %llu, \"first_error\": ",
		(unsigned long long)s->errors, (unsigned long long)s->conn_errors,
		(unsigned long long)s->verify_errors, (unsigned long long)s->foreign,
		(unsigned long long)s->bytes_out, (unsigned long long)s->bytes_in);
	if (r->first_error)
		json_str(f, r->first_error);
	else
		fprintf(f, "null");
	fprintf(f, ",\n \"latency_us\": {");
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		fprintf(f, "\"%s\": %.3f, ", quantiles[i].name,
			us(hist_quantile(&s->lat, quantiles[i].q)));
	fprintf(f, "\"max\": %.3f, \"count\": %llu}}\n", us(s->lat.max),
		(unsigned long long)s->lat.count);
}
