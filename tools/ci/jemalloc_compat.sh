#!/usr/bin/env bash
# CI: programs built for jemalloc, run on strata.  Builds libstrata.so
# (posix, drop-in) in build-posix/, then: a C program written against
# jemalloc's header and linked with -ljemalloc (tests/compat/
# jemalloc_header.c) run without and with LD_PRELOAD; the C++ operators'
# fast path (tests/compat/cxx_fastpath.sh); the same MALLOC_CONF strings
# under both allocators (tests/compat/malloc_conf_compare.sh); Debian's
# redis-server on strata
# beside jemalloc (tests/compat/redis.sh).  Ends with the summed counts.
#   tools/ci/jemalloc_compat.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-compat.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0

# The posix stage's build when there is one (it is up to date after that
# stage); otherwise the library alone.
dir=build-posix
if [ ! -d "$dir" ]; then
	meson setup "$dir" -Dmemory_backend=posix -Dtests=disabled \
		-Dbenchmarks=disabled >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$dir" -j2 >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
lib=$top/$dir/libstrata.so

# jemalloc_header: the same binary, on jemalloc and on strata.
t0=$SECONDS
if cc -O2 -Wall -o "$work/jemalloc_header" tests/compat/jemalloc_header.c \
	-ljemalloc -ldl; then
	for mode in jemalloc strata; do
		preload=""
		[ "$mode" = strata ] && preload=$lib
		out=$(LD_PRELOAD=$preload "$work/jemalloc_header" 2>&1)
		status=$?
		echo "$out" | sed "s/^/[$mode] /"
		if [ "$status" = 0 ] && echo "$out" | grep -qx "allocator: $mode"; then
			echo "ok: jemalloc_header on $mode"
			pass=$((pass + 1))
		else
			echo "FAIL: jemalloc_header on $mode (status $status)"
			fail=$((fail + 1))
		fi
	done
else
	echo "FAIL: jemalloc_header does not build (libjemalloc-dev missing?)"
	fail=$((fail + 1))
fi
echo "jemalloc header test: $((SECONDS - t0)) s"

t0=$SECONDS
tests/compat/cxx_fastpath.sh "$lib"
case $? in
0) pass=$((pass + 1)) ;;
77) skip=$((skip + 1)) ;;
*) echo "FAIL: C++ fast path over budget"; fail=$((fail + 1)) ;;
esac
echo "C++ fast path: $((SECONDS - t0)) s"

t0=$SECONDS
tests/compat/malloc_conf_compare.sh "$lib" | tee "$work/mconf.log"
counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/mconf.log" | tail -1 |
	sed -E 's/[^0-9]+/ /g')
read -r p f s <<<"${counts:-0 1 0}"
pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
echo "MALLOC_CONF under jemalloc and strata: $((SECONDS - t0)) s"

t0=$SECONDS
tests/compat/redis.sh "$lib" | tee "$work/redis.log"
counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/redis.log" | tail -1 |
	sed -E 's/[^0-9]+/ /g')
read -r p f s <<<"${counts:-0 1 0}"
pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
echo "redis test: $((SECONDS - t0)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
