#!/usr/bin/env bash
# CI: the tools that watch a running strata process.  Builds the library
# once under a temporary directory (with the memcheck annotations on, see
# docs/debugging.md) and runs, against it, the stats_export scrape through
# Debian's node_exporter (tests/telemetry/export_test.sh) and memcheck on
# programs with and without bugs (tests/valgrind/memcheck_test.sh).  The
# default build's fast paths are the callgrind guard's (posix stage); the
# option's absence there is what keeps them unchanged.  Prints the
# time of each part and ends with the summed counts.
#   tools/ci/telemetry.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-telemetry.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck source=parts.sh
. "$top/tools/ci/parts.sh"

t0=$SECONDS
build=$work/build
if meson setup "$build" "$top" --buildtype=debugoptimized -Dvalgrind=true \
	-Dtests=disabled -Dbenchmarks=disabled >"$work/setup.log" 2>&1 &&
	meson compile -C "$build" -j 2 strata:shared_library >"$work/build.log" 2>&1; then
	pass=$((pass + 1))
else
	cat "$work/setup.log" "$work/build.log" 2>/dev/null | tail -30
	echo "build failed"
	echo "$pass passed, 1 failed, $skip skipped"
	exit 1
fi
echo "build: $((SECONDS - t0)) s"
t0=$SECONDS
run_part "$top/tests/telemetry/export_test.sh" "$build"
echo "export test: $((SECONDS - t0)) s"
t0=$SECONDS
run_part "$top/tests/valgrind/memcheck_test.sh" "$build"
echo "memcheck test: $((SECONDS - t0)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
