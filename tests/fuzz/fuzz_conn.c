/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole engine under hostile input: any bytes, cut into any reads, on a
 * RESP or memcached connection of worker 0 whose keys live on worker 0 and
 * worker 1 (steering rings pumped in this thread). Every command handler
 * behind the parsers runs: a crash, a sanitizer report, a leak or a stuck
 * connection is a finding. After the hostile bytes a second, clean
 * connection must still be served (the data and the server survive).
 *
 * Input: byte 0 picks the protocol (bit 0) and the read-size seed; the rest
 * is the stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/conn.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/cmdstat.h"
#include "platform/mem.h"
#include "platform/metric.h"
#include "platform/opt.h"
#include "platform/slowlog.h"
#include "storage/shard.h"
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kick(struct conn *c, void *io)
{
	(void)c;
	(void)io;
}

static void pump(void)
{
	for (int i = 0; i < 1000 && steer_drain_local(1) + steer_drain_local(0) > 0; i++)
		;
}

static int ready;

static void setup_once(void)
{
	if (ready)
		return;
	clock_setup();
	if (mem_setup(2) || mem_thread_init(0) || metric_setup(3) || cmdstat_setup(3) ||
	    storage_setup(2) || steer_setup(2) || storage_start_local(0) ||
	    storage_start_local(1))
		abort();
	metric_thread_init(1);
	cmdstat_thread_init(1);
	ready = 1;
}

/* Feed bytes to c in reads of 1..16 bytes (or all at once), draining its
 * output as a backend would. Returns false if it closed. */
static int feed(struct conn *c, const uint8_t *p, size_t n, uint64_t seed)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off;
		if (seed != 0) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			k = 1 + (size_t)(seed >> 60);
			if (k > n - off)
				k = n - off;
		}
		if (!conn_wants_input(c) && !conn_wants_close(c)) {
			pump();
			buf_consume(conn_out(c), buf_len(conn_out(c)));
			conn_process_local(c);
			if (!conn_wants_input(c) && !conn_wants_close(c))
				abort();   /* stuck: no input wanted, nothing away, not closing */
			continue;
		}
		if (conn_wants_close(c))
			return 0;
		buf_append(conn_in(c), p + off, k);
		off += k;
		conn_process_local(c);
		pump();
		buf_consume(conn_out(c), buf_len(conn_out(c)));
	}
	pump();
	return !conn_wants_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ping_resp[] = "PING\r\n";
	static const char ping_mc[] = "version\r\n";
	struct conn *c, *probe;
	enum proto p;

	if (size < 1 || size > 65536)
		return 0;
	setup_once();
	if (opt_setup() != 0)   /* CONFIG SET in one input must not leak into the next */
		abort();
	p = (data[0] & 1) ? PROTO_MEMCACHE : PROTO_RESP;
	c = conn_create(p, 0, kick, NULL);
	if (c == NULL)
		abort();
	feed(c, data + 1, size - 1, data[0] >> 1);
	conn_release(c);
	pump();
	/* The server survives: a clean connection is answered. */
	probe = conn_create(p, 0, kick, NULL);
	if (probe == NULL)
		abort();
	opt_teardown();
	if (opt_setup() != 0)
		abort();
	const char *q = p == PROTO_RESP ? ping_resp : ping_mc;
	buf_append(conn_in(probe), q, strlen(q));
	conn_process_local(probe);
	pump();
	if (buf_len(conn_out(probe)) == 0)
		abort();
	conn_release(probe);
	shard_flush_local(storage_shard(0), 0, 0);
	shard_flush_local(storage_shard(1), 0, 0);
	slowlog_reset();
	opt_teardown();
	return 0;
}
