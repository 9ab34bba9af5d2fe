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
	X(loop_busy_ns, "loop_busy_seconds_total", METRIC_COUNTER, \
	  "Time the core's loop spent working (CPUUtilization = busy / (busy + idle))") \
	X(loop_idle_ns, "loop_idle_seconds_total", METRIC_COUNTER, \
	  "Time the core's loop spent waiting for work") \
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
	  "Keys removed because their expiry passed, on access or by active expiry (Redis expired_keys)")

#endif
