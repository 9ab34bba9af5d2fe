#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every public header compiles alone, as C and as C++ (the benchmarks
# include them from a C++ harness). Usage: check.sh CC CXX SRCROOT HEADER...
set -eu
cc=$1 cxx=$2 root=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for h in "$@"; do
	rel=${h#"$root"/}
	printf '#include "%s"\n#include "%s"\n' "$rel" "$rel" > "$tmp/one.c"
	cp "$tmp/one.c" "$tmp/one.cc"
	if ! "$cc" -std=gnu11 -fsyntax-only -Wall -Wextra -Werror -I"$root" "$tmp/one.c"; then
		echo "FAIL (C): $rel"; fail=$((fail + 1))
	fi
	if ! "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Werror -I"$root" "$tmp/one.cc"; then
		echo "FAIL (C++): $rel"; fail=$((fail + 1))
	fi
	n=$((n + 1))
done
echo "headers: $n checked as C and C++, $fail failures"
[ "$fail" -eq 0 ]
