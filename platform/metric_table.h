/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one metric table. Every per-core number lives here: the management
 * core's exporters (Prometheus /metrics now; INFO and memcached stats later)
 * are generated from it.
 *
 * X(id, "name", type, "help")
 *   type  METRIC_COUNTER (only grows) or METRIC_GAUGE (up and down; summed
 *         over cores for a total)
 * Names are Prometheus names without the slipstream_ prefix; counters end
 * in _total as Prometheus expects.
 */
#ifndef SS_PLATFORM_METRIC_TABLE_H
#define SS_PLATFORM_METRIC_TABLE_H

#define SS_METRICS(X) \
	X(connections_received, "connections_received_total", METRIC_COUNTER, \
	  "Client connections accepted") \
	X(connected_clients, "connected_clients", METRIC_GAUGE, \
	  "Client connections open now") \
	X(net_input_bytes, "net_input_bytes_total", METRIC_COUNTER, \
	  "Bytes read from clients") \
	X(net_output_bytes, "net_output_bytes_total", METRIC_COUNTER, \
	  "Bytes written to clients") \
	X(net_rx_packets, "net_rx_packets_total", METRIC_COUNTER, \
	  "Frames received on the dataplane port (io=dpdk)") \
	X(net_tx_packets, "net_tx_packets_total", METRIC_COUNTER, \
	  "Frames sent on the dataplane port (io=dpdk)") \
	X(net_rx_dropped, "net_rx_dropped_total", METRIC_COUNTER, \
	  "Received frames dropped below TCP: not for us, runts, unknown types, IPv4 fragments/options/bad headers") \
	X(ipv4_bad_checksum, "ipv4_bad_checksum_total", METRIC_COUNTER, \
	  "IPv4 packets dropped for a bad header checksum") \
	X(tcp_bad_checksum, "tcp_bad_checksum_total", METRIC_COUNTER, \
	  "TCP segments dropped for a bad checksum") \
	X(tcp_dropped, "tcp_dropped_total", METRIC_COUNTER, \
	  "TCP segments dropped otherwise: bad header, out of window, no connection, out-of-order queue full") \
	X(tcp_syn_dropped, "tcp_syn_dropped_total", METRIC_COUNTER, \
	  "SYNs dropped because the SYN backlog or the connection limit was full") \
	X(tcp_retransmits, "tcp_retransmits_total", METRIC_COUNTER, \
	  "TCP segments sent again (timeout, fast retransmit, NewReno partial ACK)") \
	X(tcp_fast_retransmits, "tcp_fast_retransmits_total", METRIC_COUNTER, \
	  "TCP fast retransmits (three duplicate ACKs)") \
	X(tcp_rto, "tcp_rto_total", METRIC_COUNTER, \
	  "TCP retransmission timeouts") \
	X(tcp_zero_window_probes, "tcp_zero_window_probes_total", METRIC_COUNTER, \
	  "Zero-window probes sent (persist timer) to peers whose window is closed") \
	X(tcp_challenge_acks, "tcp_challenge_acks_total", METRIC_COUNTER, \
	  "RFC 5961 challenge ACKs sent (inexact RST, SYN on an open flow)") \
	X(tcp_rst_sent, "tcp_rst_sent_total", METRIC_COUNTER, \
	  "TCP resets sent (closed ports, aborted connections)") \
	X(tcp_conns_opened, "tcp_connections_opened_total", METRIC_COUNTER, \
	  "TCP connections established (io=dpdk)") \
	X(tcp_conns_closed, "tcp_connections_closed_total", METRIC_COUNTER, \
	  "TCP connections closed in order (FIN both ways or TIME-WAIT over)") \
	X(tcp_conns_reset, "tcp_connections_reset_total", METRIC_COUNTER, \
	  "TCP connections ended by a reset, received or sent") \
	X(tcp_conns_current, "tcp_connections", METRIC_GAUGE, \
	  "TCP connections in any state now, TIME-WAIT included") \
	X(test_fault_dropped, "test_fault_dropped_total", METRIC_COUNTER, \
	  "Packets dropped by the test fault hook (test-fault-* options)") \
	X(loop_busy_ns, "loop_busy_seconds_total", METRIC_COUNTER, \
	  "Time the core's loop spent working (CPUUtilization = busy / (busy + idle))") \
	X(loop_idle_ns, "loop_idle_seconds_total", METRIC_COUNTER, \
	  "Time the core's loop spent waiting for work") \
	X(steer_sent, "steer_sent_total", METRIC_COUNTER, \
	  "Key operations sent to the worker owning the key") \
	X(steer_executed, "steer_executed_total", METRIC_COUNTER, \
	  "Key operations executed for another worker")

#endif
