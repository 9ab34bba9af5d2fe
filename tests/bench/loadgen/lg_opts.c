/* SPDX-License-Identifier: BSD-3-Clause */
#include "lg_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lg_proto.h"
#include "lg_transport.h"
#include "lg_value.h"

enum {
	O_SERVER = 's', O_PORT = 'p', O_CONNS = 'c', O_THREADS = 't', O_HELP = 'h',
	O_PROTOCOL = 256, O_TRANSPORT, O_PIPELINE, O_RATIO, O_KEY_COUNT, O_KEY_PATTERN,
	O_ZIPF_THETA, O_KEY_PREFIX, O_DATA_SIZE, O_DATA_SIZE_RANGE, O_EXPIRY_RANGE, O_REQUESTS,
	O_TEST_TIME, O_RATE, O_WARMUP, O_VERIFY, O_JSON, O_SEED, O_DPDK_ARGS, O_DPDK_IP,
	O_DPDK_IDLE,
};

static const struct option longopts[] = {
	{ "server", required_argument, NULL, O_SERVER },
	{ "port", required_argument, NULL, O_PORT },
	{ "protocol", required_argument, NULL, O_PROTOCOL },
	{ "transport", required_argument, NULL, O_TRANSPORT },
	{ "connections", required_argument, NULL, O_CONNS },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "pipeline", required_argument, NULL, O_PIPELINE },
	{ "ratio", required_argument, NULL, O_RATIO },
	{ "key-count", required_argument, NULL, O_KEY_COUNT },
	{ "key-pattern", required_argument, NULL, O_KEY_PATTERN },
	{ "zipf-theta", required_argument, NULL, O_ZIPF_THETA },
	{ "key-prefix", required_argument, NULL, O_KEY_PREFIX },
	{ "data-size", required_argument, NULL, O_DATA_SIZE },
	{ "data-size-range", required_argument, NULL, O_DATA_SIZE_RANGE },
	{ "expiry-range", required_argument, NULL, O_EXPIRY_RANGE },
	{ "requests", required_argument, NULL, O_REQUESTS },
	{ "test-time", required_argument, NULL, O_TEST_TIME },
	{ "rate", required_argument, NULL, O_RATE },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "verify", no_argument, NULL, O_VERIFY },
	{ "json", no_argument, NULL, O_JSON },
	{ "seed", required_argument, NULL, O_SEED },
	{ "dpdk-args", required_argument, NULL, O_DPDK_ARGS },
	{ "dpdk-ip", required_argument, NULL, O_DPDK_IP },
	{ "dpdk-idle-sleep-us", required_argument, NULL, O_DPDK_IDLE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
"usage: slipstream-loadgen [options]\n"
"  -s, --server HOST           server address (127.0.0.1)\n"
"  -p, --port P                server port (6379 for redis, 11211 for memcache_*)\n"
"      --protocol P            redis | memcache_text | memcache_meta (redis)\n"
"      --transport T           kernel | dpdk (kernel); dpdk is Slipstream's own TCP\n"
"                              stack on a DPDK port, one thread, IPv4 addresses only\n"
"  -c, --connections N         connections in all (16), spread over the threads\n"
"  -t, --threads T             threads, one epoll loop each (1)\n"
"      --pipeline D            requests in flight per connection (1)\n"
"      --ratio SET:GET         weights of SET and GET (1:10); 1:19 is 95/5 GET/SET\n"
"      --key-count K           keys key-prefix0 .. key-prefix(K-1) (100000)\n"
"      --key-pattern P         uniform | zipf | sequential (uniform); sequential\n"
"                              walks the keys once over all connections (preload)\n"
"      --zipf-theta T          zipf skew, 0 < T < 1 (0.99)\n"
"      --key-prefix S          (key:)\n"
"      --data-size B           value bytes (32)\n"
"      --data-size-range A-B   value bytes uniform in A..B, per key and version\n"
"      --expiry-range A-B      each SET's TTL, seconds uniform in A..B (0-0: none);\n"
"                              B <= 2592000 (30 days); a drawn 0 is no TTL\n"
"      --requests N            requests per connection after warm-up\n"
"      --test-time S           seconds to measure after warm-up (10 unless --requests)\n"
"      --rate R                open loop: R ops/s in all, latency from each request's\n"
"                              intended send time (0: closed loop, the peak)\n"
"      --warmup S              seconds of load before measuring (0)\n"
"      --verify                check that GETs return what this run SET; any error\n"
"                              or unexpected reply makes the exit status 1\n"
"      --json                  the report as one JSON object\n"
"      --seed N                PRNG seed; the same seed gives the same requests (1)\n"
"      --dpdk-args ARGS        EAL arguments for --transport dpdk, one string; the\n"
"                              first port is used. Default: a net_memif client,\n"
"                              " LG_DPDK_ARGS_DEFAULT "\n"
"      --dpdk-ip A.B.C.D/N     this side's address on that port (" LG_DPDK_IP_DEFAULT ")\n"
"      --dpdk-idle-sleep-us U  sleep U us after a run of empty polls (0: busy-poll)\n"
"Exit status: 0, 1 (errors with --verify, or no connection), 2 (bad option).\n";

static int bad(FILE *err, const char *opt, const char *val, const char *accepts)
{
	fprintf(err, "slipstream-loadgen: bad value '%s' for --%s: %s\n", val, opt, accepts);
	return -EINVAL;
}

static int get_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* "A<sep>B", both in lo..hi, and with `ordered` A <= B: 0, or -1. */
static int get_u64_pair(const char *s, char sep, uint64_t lo, uint64_t hi, bool ordered,
			uint64_t *a, uint64_t *b)
{
	const char *at = strchr(s, sep);
	char first[24];

	if (at == NULL || (size_t)(at - s) >= sizeof(first))
		return -1;
	memcpy(first, s, (size_t)(at - s));
	first[at - s] = '\0';
	if (get_u64(first, lo, hi, a) < 0)
		return -1;
	return get_u64(at + 1, ordered ? *a : lo, hi, b);
}

static int get_double(const char *s, double lo, double hi, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(x) || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* "A.B.C.D/N" into an address and a netmask, host byte order. */
static int parse_cidr(const char *s, uint32_t *ip, uint32_t *mask)
{
	const char *slash = strchr(s, '/');
	char a[16];
	struct in_addr in;
	uint64_t n;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (inet_pton(AF_INET, a, &in) != 1 || get_u64(slash + 1, 1, 30, &n) < 0)
		return -1;
	*ip = ntohl(in.s_addr);
	*mask = ~0u << (32 - n);
	return 0;
}

const char *lg_pattern_name(enum lg_pattern p)
{
	return p == LG_KEYS_ZIPF ? "zipf" : p == LG_KEYS_SEQUENTIAL ? "sequential" : "uniform";
}

int lg_opts_parse(struct lg_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	int c, port_set = 0, have_time = 0, server_set = 0;
	uint64_t u;
	const char *name;

	*o = (struct lg_opts){
		.server = "127.0.0.1", .protocol = "redis", .transport = "kernel",
		.key_prefix = "key:", .connections = 16, .threads = 1, .pipeline = 1,
		.set_w = 1, .get_w = 10, .key_count = 100000, .seed = 1,
		.pattern = LG_KEYS_UNIFORM, .zipf_theta = 0.99, .test_time = 10,
		.size_min = 32, .size_max = 32, .dpdk_args = LG_DPDK_ARGS_DEFAULT,
	};
	if (parse_cidr(LG_DPDK_IP_DEFAULT, &o->dpdk_ip, &o->dpdk_netmask) < 0)
		return -EINVAL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:p:c:t:h", longopts, NULL)) != -1) {
		name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		switch (c) {
		case O_SERVER:
			o->server = optarg;
			server_set = 1;
			break;
		case O_PORT:
			if (get_u64(optarg, 1, 65535, &u) < 0)
				return bad(err, name, optarg, "1..65535");
			o->port = (unsigned)u;
			port_set = 1;
			break;
		case O_PROTOCOL:
			if (lg_proto_find(optarg) == NULL)
				return bad(err, name, optarg, "redis|memcache_text|memcache_meta");
			o->protocol = optarg;
			break;
		case O_TRANSPORT:
			if (lg_transport_find(optarg) == NULL)
				return bad(err, name, optarg, "kernel|dpdk");
			o->transport = optarg;
			break;
		case O_CONNS:
			if (get_u64(optarg, 1, 100000, &u) < 0)
				return bad(err, name, optarg, "1..100000");
			o->connections = (unsigned)u;
			break;
		case O_THREADS:
			if (get_u64(optarg, 1, 256, &u) < 0)
				return bad(err, name, optarg, "1..256");
			o->threads = (unsigned)u;
			break;
		case O_PIPELINE:
			if (get_u64(optarg, 1, 4096, &u) < 0)
				return bad(err, name, optarg, "1..4096");
			o->pipeline = (unsigned)u;
			break;
		case O_RATIO: {
			uint64_t sw, gw;

			if (get_u64_pair(optarg, ':', 0, 1000000, false, &sw, &gw) < 0 || sw + gw == 0)
				return bad(err, name, optarg, "SET:GET weights, e.g. 1:19");
			o->set_w = (unsigned)sw;
			o->get_w = (unsigned)gw;
			break;
		}
		case O_KEY_COUNT:
			if (get_u64(optarg, 1, 1000000000, &u) < 0)
				return bad(err, name, optarg, "1..1000000000");
			o->key_count = u;
			break;
		case O_KEY_PATTERN:
			if (strcmp(optarg, "uniform") == 0)
				o->pattern = LG_KEYS_UNIFORM;
			else if (strcmp(optarg, "zipf") == 0)
				o->pattern = LG_KEYS_ZIPF;
			else if (strcmp(optarg, "sequential") == 0)
				o->pattern = LG_KEYS_SEQUENTIAL;
			else
				return bad(err, name, optarg, "uniform|zipf|sequential");
			break;
		case O_ZIPF_THETA:
			if (get_double(optarg, 0, 1, &o->zipf_theta) < 0 || o->zipf_theta <= 0 ||
			    o->zipf_theta >= 1)
				return bad(err, name, optarg, "0 < theta < 1");
			break;
		case O_KEY_PREFIX:
			if (strlen(optarg) > 60 || strpbrk(optarg, " \r\n"))
				return bad(err, name, optarg, "up to 60 bytes, no spaces or CR/LF");
			o->key_prefix = optarg;
			break;
		case O_DATA_SIZE:
			if (get_u64(optarg, 1, 64u << 20, &u) < 0)
				return bad(err, name, optarg, "1..67108864");
			o->size_min = o->size_max = (unsigned long)u;
			break;
		case O_DATA_SIZE_RANGE: {
			uint64_t lo, hi;

			if (get_u64_pair(optarg, '-', 1, 64u << 20, true, &lo, &hi) < 0)
				return bad(err, name, optarg, "A-B, 1 <= A <= B <= 67108864");
			o->size_min = (unsigned long)lo;
			o->size_max = (unsigned long)hi;
			break;
		}
		case O_EXPIRY_RANGE: {
			uint64_t lo, hi;

			if (get_u64_pair(optarg, '-', 0, LG_TTL_MAX, true, &lo, &hi) < 0)
				return bad(err, name, optarg, "A-B seconds, 0 <= A <= B <= 2592000");
			o->expiry_min = (unsigned)lo;
			o->expiry_max = (unsigned)hi;
			break;
		}
		case O_REQUESTS:
			if (get_u64(optarg, 1, UINT64_MAX / 2, &o->requests) < 0)
				return bad(err, name, optarg, "a positive count");
			break;
		case O_TEST_TIME:
			if (get_double(optarg, 0.001, 86400, &o->test_time) < 0)
				return bad(err, name, optarg, "0.001..86400 seconds");
			have_time = 1;
			break;
		case O_RATE:
			if (get_double(optarg, 0, 1e9, &o->rate) < 0)
				return bad(err, name, optarg, "0..1e9 ops/s (0: closed loop)");
			break;
		case O_WARMUP:
			if (get_double(optarg, 0, 3600, &o->warmup) < 0)
				return bad(err, name, optarg, "0..3600 seconds");
			break;
		case O_VERIFY:
			o->verify = 1;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_SEED:
			if (get_u64(optarg, 0, UINT64_MAX, &o->seed) < 0)
				return bad(err, name, optarg, "an unsigned integer");
			break;
		case O_DPDK_ARGS:
			o->dpdk_args = optarg;
			break;
		case O_DPDK_IP:
			if (parse_cidr(optarg, &o->dpdk_ip, &o->dpdk_netmask) < 0)
				return bad(err, name, optarg, "A.B.C.D/N, N in 1..30");
			break;
		case O_DPDK_IDLE:
			if (get_u64(optarg, 0, 1000000, &u) < 0)
				return bad(err, name, optarg, "0..1000000 microseconds");
			o->dpdk_idle_sleep_us = (unsigned)u;
			break;
		case O_HELP:
			fputs(usage, out);
			return 1;
		default:
			fprintf(err, "slipstream-loadgen: unknown option or missing value: %s "
				"(--help lists them)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "slipstream-loadgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->requests && have_time) {
		fprintf(err, "slipstream-loadgen: --requests and --test-time exclude each other\n");
		return -EINVAL;
	}
	if (o->requests)
		o->test_time = 0;
	if (o->threads > o->connections) {
		fprintf(err, "slipstream-loadgen: --threads %u is more than --connections %u\n",
			o->threads, o->connections);
		return -EINVAL;
	}
	if (o->verify && o->size_min < LG_VALUE_HDR) {
		fprintf(err, "slipstream-loadgen: --verify needs values of at least %d bytes "
			"(they carry a run id and version)\n", LG_VALUE_HDR);
		return -EINVAL;
	}
	/* A key that expired is a miss that --verify cannot tell from a lost write. */
	if (o->verify && o->expiry_max > 0) {
		fprintf(err, "slipstream-loadgen: --verify and --expiry-range exclude each other "
			"(an expired key would count as a lost write)\n");
		return -EINVAL;
	}
	if (o->verify && o->key_count > 100000000) {
		fprintf(err, "slipstream-loadgen: --verify keeps 8 bytes per key: at most 1e8 keys\n");
		return -EINVAL;
	}
	if (strcmp(o->transport, "dpdk") == 0) {
		struct in_addr a;

		/* One port, one queue: the EAL's port belongs to one loop. */
		if (o->threads != 1) {
			fprintf(err, "slipstream-loadgen: --transport dpdk runs one thread\n");
			return -EINVAL;
		}
		if (!server_set)
			o->server = LG_DPDK_SERVER_DEFAULT;
		if (inet_pton(AF_INET, o->server, &a) != 1) {
			fprintf(err, "slipstream-loadgen: --transport dpdk needs an IPv4 address "
				"for --server, not '%s'\n", o->server);
			return -EINVAL;
		}
	}
	if (!port_set)
		o->port = strcmp(o->protocol, "redis") == 0 ? 6379 : 11211;
	return 0;
}
