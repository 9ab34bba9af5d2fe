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
	X(loop_busy_iterations, "loop_busy_iterations_total", METRIC_COUNTER, \
	  "Loop iterations that did work (io=dpdk: net_rx_packets_total over this is the mean receive burst)") \
	X(commands_processed, "commands_processed_total", METRIC_COUNTER, \
	  "Commands executed (both protocols)") \
	X(keyspace_hits, "keyspace_hits_total", METRIC_COUNTER, \
	  "Key lookups that found the key (GET, memcached get ...)") \
	X(keyspace_misses, "keyspace_misses_total", METRIC_COUNTER, \
	  "Key lookups that did not find the key") \
	X(steer_sent, "steer_sent_total", METRIC_COUNTER, \
	  "Key operations sent to the worker owning the key") \
	X(steer_executed, "steer_executed_total", METRIC_COUNTER, \
	  "Key operations executed for another worker") \
	X(evicted_keys, "evicted_keys_total", METRIC_COUNTER, \
	  "Keys removed to stay under maxmemory (Redis evicted_keys, ElastiCache Evictions)") \
	X(expired_keys, "expired_keys_total", METRIC_COUNTER, \
	  "Keys removed because their expiry passed, on access or by active expiry (Redis expired_keys)") \
	X(repl_link_up, "replication_link_up", METRIC_GAUGE, \
	  "1 while this replica's link to its primary is up (master_link_status:up), else 0") \
	X(repl_unapplied, "replication_unapplied_total", METRIC_COUNTER, \
	  "Commands of the primary's stream this replica could not run (types or commands not served here)") \
	X(repl_lag_s, "replication_lag_seconds", METRIC_GAUGE, \
	  "Seconds since this replica last heard from its primary (master_last_io_seconds_ago); 0 when not a replica") \
	X(mc_cmd_get, "memcache_cmd_get_total", METRIC_COUNTER, \
	  "memcached: keys asked for by get, gets, gat, gats, mg") \
	X(mc_get_hits, "memcache_get_hits_total", METRIC_COUNTER, \
	  "memcached: keys found by get, gets, mg") \
	X(mc_get_misses, "memcache_get_misses_total", METRIC_COUNTER, \
	  "memcached: keys not found by get, gets, mg") \
	X(mc_cmd_set, "memcache_cmd_set_total", METRIC_COUNTER, \
	  "memcached: storage commands (set add replace append prepend cas ms)") \
	X(mc_total_items, "memcache_total_items_total", METRIC_COUNTER, \
	  "memcached: items stored") \
	X(mc_cmd_flush, "memcache_cmd_flush_total", METRIC_COUNTER, \
	  "memcached: flush_all commands") \
	X(mc_cmd_touch, "memcache_cmd_touch_total", METRIC_COUNTER, \
	  "memcached: keys touched by touch, gat, gats, mg T") \
	X(mc_touch_hits, "memcache_touch_hits_total", METRIC_COUNTER, \
	  "memcached: touched keys found") \
	X(mc_touch_misses, "memcache_touch_misses_total", METRIC_COUNTER, \
	  "memcached: touched keys not found") \
	X(mc_cmd_meta, "memcache_cmd_meta_total", METRIC_COUNTER, \
	  "memcached: me (meta debug) commands") \
	X(mc_delete_hits, "memcache_delete_hits_total", METRIC_COUNTER, \
	  "memcached: delete and md of a key found") \
	X(mc_delete_misses, "memcache_delete_misses_total", METRIC_COUNTER, \
	  "memcached: delete and md of a key not found") \
	X(mc_incr_hits, "memcache_incr_hits_total", METRIC_COUNTER, \
	  "memcached: incr and ma increments of a key found") \
	X(mc_incr_misses, "memcache_incr_misses_total", METRIC_COUNTER, \
	  "memcached: incr and ma increments of a key not found") \
	X(mc_decr_hits, "memcache_decr_hits_total", METRIC_COUNTER, \
	  "memcached: decr and ma decrements of a key found") \
	X(mc_decr_misses, "memcache_decr_misses_total", METRIC_COUNTER, \
	  "memcached: decr and ma decrements of a key not found") \
	X(mc_cas_hits, "memcache_cas_hits_total", METRIC_COUNTER, \
	  "memcached: cas stores whose unique matched") \
	X(mc_cas_misses, "memcache_cas_misses_total", METRIC_COUNTER, \
	  "memcached: cas stores of a key not found") \
	X(mc_cas_badval, "memcache_cas_badval_total", METRIC_COUNTER, \
	  "memcached: cas stores refused because the unique changed") \
	X(mc_store_too_large, "memcache_store_too_large_total", METRIC_COUNTER, \
	  "memcached: values refused as over the item size limit") \
	X(mc_store_no_memory, "memcache_store_no_memory_total", METRIC_COUNTER, \
	  "memcached: stores that failed for lack of memory")

#endif
