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
	X(dir, "dir", OPT_STR, ".", 0, 0, "", 0, \
	  "working directory: snapshots are written here") \
	X(dbfilename, "dbfilename", OPT_FILENAME, "dump.rdb", 0, 0, "", OPT_F_MUTABLE, \
	  "snapshot file name inside dir") \
	X(requirepass, "requirepass", OPT_STR, "", 0, 0, "", OPT_F_MUTABLE | OPT_F_SECRET, \
	  "password clients must AUTH with; empty = no password") \
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
	X(idle_sleep_us, "idle-sleep-us", OPT_INT, "100", 0, 1000000, "", OPT_F_MUTABLE, \
	  "microseconds a polling loop sleeps after a run of empty polls, 0 = always busy-poll") \
	X(loglevel, "loglevel", OPT_ENUM, "notice", 0, 0, "debug|verbose|notice|warning|nothing", OPT_F_MUTABLE, \
	  "log verbosity") \
	X(logfile, "logfile", OPT_STR, "", 0, 0, "", 0, \
	  "log file path; empty = standard output")

#endif
