// SPDX-License-Identifier: BSD-3-Clause
// The whole request path in process, packet in to packet out, on one core:
// a client TCP stack (the project's, in active open) and the appliance's
// stack with the engine behind it, wired back to back through frame
// buffers. Each iteration the client sends a RESP GET in one segment; the
// appliance's side takes it through Ethernet/IPv4 (net_rx_local), TCP
// (tcp_input_local, checksum in software), the engine (conn_process_local)
// and back out as a reply segment, which the client's stack receives. Both
// stacks' work is in the number (the client's is about the same as the
// appliance's TCP share); no DPDK, no NIC, no system calls.
#include <benchmark/benchmark.h>

#include "tests/bench/bench_engine.h"
#include "tests/bench/bench_iters.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dataplane/buf.h"
#include "dataplane/conn.h"
#include "dataplane/net/net.h"
#include "dataplane/net/tcp.h"
#include "dataplane/steer.h"
#include "platform/clock.h"
#include "platform/mem.h"
#include "storage/storage.h"

namespace {

constexpr unsigned QMAX = 64;
constexpr uint16_t FRAME_CAP = 2048;

struct side {
	net_if nif;
	tcp_stack *ts;
	uint8_t q[QMAX][FRAME_CAP];   // frames sent, not yet delivered
	uint16_t qlen[QMAX];
	unsigned n;
	side *peer;
};

struct server_conn {
	conn *c;
	tcp_conn *tc;
};

struct client_app {
	tcp_conn *tc;
	bool connected;
	std::string rx;
};

uint64_t now_us = 1000000;

uint8_t *tx_alloc(void *io, uint16_t need, void **handle)
{
	side *s = static_cast<side *>(io);

	if (s->n == QMAX || need > FRAME_CAP)
		return nullptr;
	*handle = reinterpret_cast<void *>(static_cast<uintptr_t>(s->n));
	return s->q[s->n];
}

void tx_send(void *io, void *handle, uint16_t len)
{
	side *s = static_cast<side *>(io);

	s->qlen[reinterpret_cast<uintptr_t>(handle)] = len;
	s->n++;
}

void server_kick(conn *, void *io) { tcp_mark(static_cast<server_conn *>(io)->tc); }

void *server_accept(void *, tcp_conn *tc, uint16_t)
{
	server_conn *sc = new server_conn;
	sc->tc = tc;
	sc->c = conn_create(PROTO_RESP, 0, server_kick, sc);
	return sc;
}

void server_recv(void *app, const uint8_t *p, size_t n)
{
	buf_append(conn_in(static_cast<server_conn *>(app)->c), p, n);
}

// As io_dpdk's pull: run the engine, move its replies into the send buffer.
void server_pull(void *app)
{
	server_conn *sc = static_cast<server_conn *>(app);
	buf *out = conn_out(sc->c);

	conn_process_local(sc->c);
	while (buf_len(out) > 0) {
		size_t n = tcp_send(sc->tc, buf_rptr(out), buf_len(out));
		if (n == 0)
			break;
		buf_consume(out, n);
	}
	tcp_rx_unread(sc->tc, 0);
}

void server_closed(void *app)
{
	server_conn *sc = static_cast<server_conn *>(app);
	conn_release(sc->c);
	delete sc;
}

void nothing(void *) {}

const tcp_ops server_ops = { tx_alloc, tx_send, server_accept, server_recv, nothing,
			     server_pull, server_closed, nullptr };

void client_recv(void *app, const uint8_t *p, size_t n)
{
	static_cast<client_app *>(app)->rx.append(reinterpret_cast<const char *>(p), n);
}

void client_connected(void *app) { static_cast<client_app *>(app)->connected = true; }

const tcp_ops client_ops = { tx_alloc, tx_send, nullptr, client_recv, nothing, nothing,
			     nothing, client_connected };

// Deliver what each side sent to the other until both are quiet.
void pump(side *a, side *b)
{
	static uint8_t rx[FRAME_CAP];

	for (int rounds = 0; rounds < 16 && (a->n || b->n); rounds++) {
		for (side *s : { a, b }) {
			unsigned n = s->n;
			side *d = s->peer;
			s->n = 0;
			for (unsigned i = 0; i < n; i++) {
				uint16_t len = s->qlen[i];
				net_l4 l4;
				memcpy(rx, s->q[i], len);
				switch (net_rx_local(&d->nif, rx, &len, FRAME_CAP, now_us / 1000, &l4)) {
				case NET_TCP:
					tcp_input_local(d->ts, rx, &l4, now_us);
					break;
				case NET_TX:   // an ARP reply, written in place
					if (d->n < QMAX) {
						memcpy(d->q[d->n], rx, len);
						d->qlen[d->n++] = len;
					}
					break;
				case NET_DROP:
					break;
				}
			}
			tcp_flush_local(d->ts, now_us);
		}
	}
}

void BM_packet_get(benchmark::State &state)
{
	static side srv, cli;
	const uint8_t smac[6] = { 2, 0, 0, 0, 0, 2 }, cmac[6] = { 2, 0, 0, 0, 0, 1 };
	const uint32_t sip = 0xc6120002, cip = 0xc6120001;   // 198.18.0.2 and .1
	tcp_config scfg, ccfg;
	client_app app{};

	ss_engine_start();
	net_if_init(&srv.nif, smac, sip, 0xffffff00, 0);
	net_if_init(&cli.nif, cmac, cip, 0xffffff00, 0);
	tcp_config_default(&scfg);
	scfg.ports[0] = 6379;
	tcp_config_default(&ccfg);
	srv.ts = tcp_stack_create(&scfg, &srv.nif, &server_ops, &srv);
	cli.ts = tcp_stack_create(&ccfg, &cli.nif, &client_ops, &cli);
	srv.peer = &cli;
	cli.peer = &srv;

	// ARP, the handshake, then one SET so the GETs hit
	app.tc = tcp_connect_local(cli.ts, sip, 6379, &app, now_us);
	for (int i = 0; i < 8 && !app.connected; i++) {
		tcp_flush_local(cli.ts, now_us);
		tcp_timers_local(cli.ts, now_us += 1000000);   // resends the SYN once ARP is known
		pump(&cli, &srv);
	}
	if (!app.connected) {
		state.SkipWithError("no connection");
		return;
	}
	const char set[] = "*3\r\n$3\r\nSET\r\n$10\r\nkey:000042\r\n$32\r\n"
			   "0123456789abcdef0123456789abcdef\r\n";
	const char get[] = "*2\r\n$3\r\nGET\r\n$10\r\nkey:000042\r\n";
	const std::string want = "$32\r\n0123456789abcdef0123456789abcdef\r\n";
	tcp_send(app.tc, set, sizeof(set) - 1);
	tcp_mark(app.tc);
	tcp_flush_local(cli.ts, now_us);
	pump(&cli, &srv);
	app.rx.clear();

	for (auto _ : state) {
		now_us++;
		tcp_send(app.tc, get, sizeof(get) - 1);
		tcp_mark(app.tc);
		tcp_flush_local(cli.ts, now_us);
		pump(&cli, &srv);
		if (app.rx != want) {
			state.SkipWithError("wrong reply");
			break;
		}
		app.rx.clear();
	}
	tcp_stack_destroy(cli.ts);
	tcp_stack_destroy(srv.ts);
	ss_engine_stop();
}
BENCHMARK(BM_packet_get)->Apply(ss_fixed_iterations);

}  // namespace
