#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Two builds of Slipstream, A and B, measured alternately on net_memif (as
# root): io=dpdk with one worker busy-polling on CPU 1 (both EAL lcores, as
# make compare runs it), each build's slipstream-loadgen --transport dpdk on
# CPU 0; 64 connections, 95/5 GET/SET, 100k keys preloaded, 32-byte values,
# 4 s after 1 s of warm-up. Alternating spreads this shared machine's noise
# over both builds; compare medians. Prints one line per run: round, build,
# protocol, pipeline, ops/s, the worker's busy seconds over the run
# (slipstream_loop_busy_seconds_total: near 5 means the appliance was the
# limit), the mean receive burst (packets per busy loop iteration, "?" for a
# build without that metric), and the run's latency p50, p99 and p99.9.
#
# With RATE=R in the environment the load is open loop at R ops/s (latency
# from each request's due time, as make compare's sweep measures it).
# LOADGEN_ARGS adds options to both the preload and the measured run (e.g.
# "--expiry-range 3600-7200": every key has a TTL). LOADGEN=path runs that
# load generator for both builds instead of each build's own.
#
#   tests/bench/ab_memif.sh BUILD_A BUILD_B [ROUNDS] [PROTOCOLS] [PIPELINES] [GET:SET]
#   e.g. tests/bench/ab_memif.sh /tmp/base/build build 3 "redis memcache_text" "1 16" 19:1
set -u
A=$1 B=$2 ROUNDS=${3:-3} PROTOS=${4:-redis memcache_text} PIPES=${5:-1 16} GS=${6:-19:1}
TAG=ab$$ SOCK=/run/slipstream-memif-ab$$.sock MPORT=$((20000 + $$ % 20000))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The worker's busy seconds, received packets and busy loop iterations
# (0 where a build has no such metric).
busy() {
	{ curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" || true; } |
		awk '/^slipstream_loop_busy_seconds_total\{core="1"\}/ { b = $2 }
		     /^slipstream_net_rx_packets_total\{core="1"\}/ { p = $2 }
		     /^slipstream_loop_busy_iterations_total\{core="1"\}/ { i = $2 }
		     END { print b + 0, p + 0, i + 0 }'
}

run() {   # BUILD PROTOCOL PIPELINE
	local b=$1 proto=$2 pipe=$3 port=6379 pid i t0 t1 ops
	[ "$proto" != redis ] && port=11211
	rm -f "$SOCK"
	taskset -c 1 "$b/slipstream" --io dpdk --workers 1 --idle-sleep-us 0 --ip 198.18.0.2 \
		--netmask 255.255.255.0 --port 6379 --memcache-port 11211 --metrics-port "$MPORT" \
		--dir "$TMP" --loglevel notice \
		--dpdk-args "--no-huge -m 512 --no-pci --file-prefix ss$TAG --log-level=error --lcores=0@1,1@1 --vdev=net_memif0,role=server,socket=$SOCK" \
		>"$TMP/server.log" 2>&1 &
	pid=$!
	for i in $(seq 200); do
		grep -q "Dataplane ready" "$TMP/server.log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	local lg=("${LOADGEN:-$b/tests/bench/loadgen/slipstream-loadgen}" --transport dpdk --dpdk-ip 198.18.0.1/24
		--dpdk-args "--no-huge -m 512 --no-pci --file-prefix lg$TAG --log-level=error --vdev=net_memif0,role=client,socket=$SOCK,rsize=12"
		--server 198.18.0.2 --port $port --protocol "$proto" --connections 64 --key-count 100000
		${LOADGEN_ARGS:-})
	timeout 60 taskset -c 0 "${lg[@]}" --pipeline 16 --ratio 1:0 --key-pattern sequential \
		--requests 1563 >/dev/null 2>&1   # 100k keys over 64 connections
	t0=$(busy)
	# ops/s, then the latency line's p50, p99 and p99.9 (µs)
	ops=$(timeout 60 taskset -c 0 "${lg[@]}" --pipeline "$pipe" --ratio "${GS#*:}:${GS%:*}" --test-time 4 \
		--warmup 1 ${RATE:+--rate "$RATE"} |
		awk '/ops\/s over/ { o = $1 } /^latency us:/ { l = $4 " " $8 " " $10 } END { print o, l }')
	t1=$(busy)
	kill $pid 2>/dev/null
	for i in $(seq 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	set -- $ops
	echo "${1:-} $(echo "$t0 $t1" | awk '{ burst = "?"
		if ($6 - $3 > 0) burst = sprintf("%.1f", ($5 - $2) / ($6 - $3))
		printf "%.2f %s", $4 - $1, burst }') ${2:-?} ${3:-?} ${4:-?}"
}

for r in $(seq "$ROUNDS"); do
	for b in "$A" "$B"; do
		for proto in $PROTOS; do
			for pipe in $PIPES; do
				set -- $(run "$b" "$proto" "$pipe")
				printf '%s %s %s p%s %s %s ops/s busy %s s burst %s p50 %s p99 %s p99.9 %s us\n' \
					"$r" "$b" "$proto" "$pipe" "$GS" "${1:-failed}" "${2:-?}" "${3:-?}" "${4:-?}" \
					"${5:-?}" "${6:-?}"
			done
		done
	done
done
