/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one option table. Every option lives here and nowhere else: the config
 * file parser, the command line, --help, CONFIG GET/SET and the README's
 * option list are all generated from it.
 *
 * X(id, "name", type, "default", lo, hi, "choices", flags, "description")
 *   type     OPT_INT (lo..hi), OPT_BYTES (lo..hi, k/kb/m/mb/g/gb suffixes as
 *            in redis.conf), OPT_BOOL (yes|no), OPT_ENUM ("a|b|c"),
 *            OPT_STR, OPT_FILENAME (a plain file name, no '/'),
 *            OPT_IPV4 (dotted quad), OPT_NETMASK (contiguous IPv4 mask),
 *            OPT_ADDR (IPv4 or IPv6 literal)
 *   flags    OPT_F_MUTABLE: may change at run time (CONFIG SET)
 *            OPT_F_SECRET: never logged
 * Names are the ones redis.conf / memcached users already know where such a
 * name exists; they are part of the interface and do not change.
 */
#ifndef SS_PLATFORM_OPT_TABLE_H
#define SS_PLATFORM_OPT_TABLE_H

#define SS_MAXMEMORY_POLICIES \
	"noeviction|allkeys-lru|allkeys-lfu|allkeys-random|" \
	"volatile-lru|volatile-lfu|volatile-random|volatile-ttl"

#define SS_OPTIONS(X) \
	X(io, "io", OPT_ENUM, "kernel", 0, 0, "kernel|dpdk", 0, \
	  "I/O backend: kernel sockets (epoll, SO_REUSEPORT) or the DPDK dataplane") \
	X(bind, "bind", OPT_ADDR, "127.0.0.1", 0, 0, "", 0, \
	  "address to listen on with io=kernel (IPv4 or IPv6 literal)") \
	X(port, "port", OPT_INT, "6379", 0, 65535, "", 0, \
	  "TCP port for Redis (RESP) clients, 0 = off") \
	X(memcache_port, "memcache-port", OPT_INT, "11211", 0, 65535, "", 0, \
	  "TCP port for memcached (text protocol) clients, 0 = off") \
	X(metrics_port, "metrics-port", OPT_INT, "9121", 0, 65535, "", 0, \
	  "HTTP port for Prometheus /metrics, 0 = off") \
	X(workers, "workers", OPT_INT, "0", 0, 128, "", 0, \
	  "worker cores (io=dpdk) or threads (io=kernel); 0 = one per CPU but the management one, at least 1") \
	X(cpu_pin, "cpu-pin", OPT_BOOL, "no", 0, 0, "", 0, \
	  "pin each io=kernel worker thread to its own CPU (io=dpdk lcores are always pinned)") \
	X(maxmemory, "maxmemory", OPT_BYTES, "0", 0, (long long)1 << 50, "", OPT_F_MUTABLE, \
	  "memory limit for data, split evenly across workers; 0 = no limit") \
	X(maxmemory_policy, "maxmemory-policy", OPT_ENUM, "noeviction", 0, 0, SS_MAXMEMORY_POLICIES, OPT_F_MUTABLE, \
	  "what to evict when maxmemory is reached") \
	X(maxmemory_samples, "maxmemory-samples", OPT_INT, "5", 1, 64, "", OPT_F_MUTABLE, \
	  "keys sampled per eviction (more: closer to true LRU/LFU/TTL order, slower)") \
	X(lfu_log_factor, "lfu-log-factor", OPT_INT, "10", 0, 1000000, "", OPT_F_MUTABLE, \
	  "LFU counter growth: higher = more accesses to saturate the 8-bit counter") \
	X(lfu_decay_time, "lfu-decay-time", OPT_INT, "1", 0, 1000000, "", OPT_F_MUTABLE, \
	  "minutes of idleness per decrement of a key's LFU counter, 0 = never decay") \
	X(active_expire_effort, "active-expire-effort", OPT_INT, "1", 1, 10, "", OPT_F_MUTABLE, \
	  "active expiry work: 8 buckets of 15 slots per unit and walk, and (25 + 2 x (effort - 1))% of each cycle for a backlog") \
	X(hz, "hz", OPT_INT, "10", 1, 500, "", OPT_F_MUTABLE, \
	  "active expiry cycles per second per worker, as Redis's hz (a walk per loop iteration only while expired keys pile up)") \
	X(dir, "dir", OPT_STR, ".", 0, 0, "", 0, \
	  "working directory: snapshots are written here") \
	X(dbfilename, "dbfilename", OPT_FILENAME, "dump.rdb", 0, 0, "", OPT_F_MUTABLE, \
	  "snapshot file name inside dir") \
	X(repl_backlog_size, "repl-backlog-size", OPT_BYTES, "1mb", 16 * 1024, (long long)1 << 40, "", 0, \
	  "replication backlog: how much of the write stream is kept for replicas to resume from (partial resync)") \
	X(rdbcompression, "rdbcompression", OPT_BOOL, "yes", 0, 0, "", OPT_F_MUTABLE, \
	  "compress strings over 20 bytes in snapshots with LZF, as Redis (no: less CPU, bigger files)") \
	X(save, "save", OPT_STR, "3600 1 300 100 60 10000", 0, 0, "", OPT_F_MUTABLE, \
	  "snapshot schedule as in redis.conf: pairs of <seconds> <changes>; \"\" = no automatic snapshots") \
	X(rdb_load_unsupported, "rdb-load-unsupported", OPT_ENUM, "fail", 0, 0, "fail|skip", 0, \
	  "loading an RDB with types other than strings (lists, hashes ...): refuse to start, or skip those keys") \
	X(requirepass, "requirepass", OPT_STR, "", 0, 0, "", OPT_F_MUTABLE | OPT_F_SECRET, \
	  "password clients must AUTH with; empty = no password") \
	X(replicaof, "replicaof", OPT_STR, "", 0, 0, "", 0, \
	  "\"HOST PORT\" of a Redis-protocol primary to replicate from; \"\" = this node is a primary (REPLICAOF changes it at run time)") \
	X(masterauth, "masterauth", OPT_STR, "", 0, 0, "", OPT_F_MUTABLE | OPT_F_SECRET, \
	  "password sent with AUTH to the primary named by replicaof; empty = none") \
	X(replica_read_only, "replica-read-only", OPT_BOOL, "yes", 0, 0, "", OPT_F_MUTABLE, \
	  "a replica refuses client writes (-READONLY; memcached: SERVER_ERROR)") \
	X(replica_ignore_maxmemory, "replica-ignore-maxmemory", OPT_BOOL, "yes", 0, 0, "", OPT_F_MUTABLE, \
	  "a read-only replica stores all its primary sends, maxmemory or not (the primary's evictions arrive as DELs)") \
	X(repl_timeout, "repl-timeout", OPT_INT, "60", 1, 2147483647, "", OPT_F_MUTABLE, \
	  "seconds without a byte from the primary (or to connect and sync) before a replica drops the link and reconnects") \
	X(slowlog_log_slower_than, "slowlog-log-slower-than", OPT_INT, "10000", -1, 2147483647, "", OPT_F_MUTABLE, \
	  "log commands slower than this many microseconds in the SLOWLOG; 0 = every command, -1 = none") \
	X(slowlog_max_len, "slowlog-max-len", OPT_INT, "128", 0, 1000000, "", OPT_F_MUTABLE, \
	  "entries the SLOWLOG keeps (oldest dropped first)") \
	X(latency_monitor_threshold, "latency-monitor-threshold", OPT_INT, "0", 0, 2147483647, "", OPT_F_MUTABLE, \
	  "LATENCY monitor: record events of at least this many milliseconds; 0 = off") \
	X(latency_tracking, "latency-tracking", OPT_BOOL, "yes", 0, 0, "", OPT_F_MUTABLE, \
	  "per-command latency histograms (INFO latencystats, /metrics)") \
	X(proto_max_bulk_len, "proto-max-bulk-len", OPT_BYTES, "512mb", 1024 * 1024, (long long)1 << 40, "", OPT_F_MUTABLE, \
	  "largest RESP bulk string a client may send (and APPEND/SETRANGE may build)") \
	X(steer_reads, "steer-reads", OPT_ENUM, "rcu", 0, 0, "rcu|message", OPT_F_MUTABLE, \
	  "GET of a key another worker owns: read its table under RCU here (rcu), or send the request to the owner (message)") \
	X(enable_debug_command, "enable-debug-command", OPT_ENUM, "no", 0, 0, "no|yes|local", 0, \
	  "allow DEBUG (it can stall a worker): no, yes, or local (loopback clients only)") \
	X(memcache_with_requirepass, "memcache-with-requirepass", OPT_BOOL, "no", 0, 0, "", 0, \
	  "open memcache-port even when requirepass is set; memcached's text protocol has no password, so by default it stays closed") \
	X(tcp_keepalive, "tcp-keepalive", OPT_INT, "300", 0, 2147483647, "", 0, \
	  "seconds between TCP keepalive probes on client connections, 0 = off") \
	X(dpdk_args, "dpdk-args", OPT_STR, "--no-huge -m 512 --no-pci --vdev=net_tap0,iface=slip0", 0, 0, "", 0, \
	  "EAL arguments for io=dpdk (the PMD, memory, lcores)") \
	X(ip, "ip", OPT_IPV4, "198.18.0.2", 0, 0, "", 0, \
	  "dataplane IPv4 address (io=dpdk)") \
	X(netmask, "netmask", OPT_NETMASK, "255.255.255.0", 0, 0, "", 0, \
	  "dataplane netmask (io=dpdk)") \
	X(gateway, "gateway", OPT_IPV4, "0.0.0.0", 0, 0, "", 0, \
	  "dataplane next hop for off-subnet peers (io=dpdk), 0.0.0.0 = none") \
	X(tcp_max_conns, "tcp-max-conns", OPT_INT, "16384", 1, 1000000, "", 0, \
	  "TCP connections per worker core in any state (io=dpdk); SYNs beyond it are dropped and counted") \
	X(tcp_syn_backlog, "tcp-syn-backlog", OPT_INT, "512", 1, 1000000, "", 0, \
	  "half-open (SYN-RECEIVED) TCP connections per worker core (io=dpdk); SYNs beyond it are dropped and counted") \
	X(test_fault_rx_drop, "test-fault-rx-drop", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of received packets dropped at the port") \
	X(test_fault_rx_dup, "test-fault-rx-dup", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of received packets processed twice") \
	X(test_fault_rx_reorder, "test-fault-rx-reorder", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of received packets held back behind the next one") \
	X(test_fault_tx_drop, "test-fault-tx-drop", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of sent packets dropped at the port") \
	X(test_fault_tx_dup, "test-fault-tx-dup", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of sent packets sent twice") \
	X(test_fault_tx_reorder, "test-fault-tx-reorder", OPT_INT, "0", 0, 100, "", 0, \
	  "TEST ONLY (io=dpdk): percent of sent packets held back behind the next one") \
	X(checksum_offload, "checksum-offload", OPT_BOOL, "yes", 0, 0, "", 0, \
	  "io=dpdk: let the port compute and check IPv4/TCP checksums when it offers to (software otherwise)") \
	X(idle_sleep_us, "idle-sleep-us", OPT_INT, "100", 0, 1000000, "", OPT_F_MUTABLE, \
	  "microseconds a polling loop sleeps after a run of empty polls, 0 = always busy-poll") \
	X(loglevel, "loglevel", OPT_ENUM, "notice", 0, 0, "debug|verbose|notice|warning|nothing", OPT_F_MUTABLE, \
	  "log verbosity") \
	X(logfile, "logfile", OPT_STR, "", 0, 0, "", 0, \
	  "log file path; empty = standard output")

#endif
