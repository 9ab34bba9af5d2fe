/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slipstream-loadgen: memtier_benchmark-like load for memcached (text, meta)
 * and Redis servers, closed loop (peak) or open loop at a fixed rate, with
 * latency percentiles from a log-linear histogram and an optional check
 * that every GET returns what this run SET. See --help.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lg_opts.h"
#include "lg_run.h"

static void on_signal(int sig)
{
	(void)sig;
	lg_run_interrupt();
}

int main(int argc, char **argv)
{
	struct lg_opts o;
	struct lg_result res;
	struct lg_report rep;
	struct sigaction sa = { .sa_handler = on_signal };
	const struct lg_transport *t;
	int rc = lg_opts_parse(&o, argc, argv, stdout, stderr);

	if (rc == 1)
		return 0;
	if (rc < 0)
		return 2;
	t = lg_transport_find(o.transport);
	if (t->setup != NULL) {
		char err[256] = "";

		if ((rc = t->setup(&o, err, sizeof(err))) < 0) {
			fprintf(stderr, "slipstream-loadgen: --transport %s: %s\n", t->name,
				err[0] ? err : strerror(-rc));
			if (t->teardown != NULL)
				t->teardown();
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = lg_run(&o, t, &res);
	if (t->teardown != NULL)
		t->teardown();
	if (rc < 0 && res.connected == 0) {
		fprintf(stderr, "slipstream-loadgen: %s:%u: %s%s%s\n", o.server, o.port, strerror(-rc),
			res.first_error[0] ? " - " : "", res.first_error);
		return 1;
	}
	rep = (struct lg_report){
		.server = o.server, .protocol = o.protocol, .transport = o.transport, .port = o.port,
		.mode = o.rate > 0 ? "open loop" : "closed loop",
		.key_pattern = lg_pattern_name(o.pattern), .connections = o.connections,
		.threads = o.threads, .pipeline = o.pipeline, .set_w = o.set_w, .get_w = o.get_w,
		.key_count = o.key_count, .size_min = o.size_min, .size_max = o.size_max,
		.expiry_min = o.expiry_min, .expiry_max = o.expiry_max,
		.rate = o.rate, .seconds = res.seconds, .verify = o.verify,
		.first_error = res.first_error[0] ? res.first_error : NULL,
	};
	if (o.json)
		lg_report_json(stdout, &rep, &res.stats);
	else
		lg_report_text(stdout, &rep, &res.stats);
	if (rc < 0)
		return 1;
	if (o.verify && (res.stats.errors || res.stats.verify_errors || res.stats.conn_errors))
		return 1;
	return 0;
}
