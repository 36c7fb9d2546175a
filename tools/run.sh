#!/usr/bin/env bash
# Builds strata (release) and runs a program on it with LD_PRELOAD, then
# prints a summary: wall time, peak RSS and strata's own statistics.
# Without a program, runs the bundled demo workload.
#   tools/run.sh [program [args ...]]
#   STRATA_CONF=... tools/run.sh ...     options, as usual
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

"$top/tools/bootstrap.sh" --run

dir="$top/build-release"
if [ ! -d "$dir" ]; then
	meson setup "$dir" "$top" --buildtype=release -Dtests=disabled \
		-Dbenchmarks=disabled >/dev/null
fi
ninja -C "$dir" >/dev/null

if [ "$#" = 0 ]; then
	set -- "$dir/strata-demo"
fi

# A short summary: the totals, without options, arenas, mutexes, threads.
conf="stats_print:true,stats_print_opts:gaxt"
[ -n "${STRATA_CONF:-}" ] && conf="$conf,$STRATA_CONF"
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
status=0
/usr/bin/time -o "$timing" -f "%e %M %U %S" \
	env STRATA_CONF="$conf" LD_PRELOAD="$dir/libstrata.so" "$@" || status=$?
read -r wall rss_kib user sys <"$timing" || true
echo "--- strata run summary ---" >&2
echo "program:   $*" >&2
echo "exit:      $status" >&2
echo "wall time: ${wall:-?} s (user ${user:-?} s, sys ${sys:-?} s)" >&2
echo "peak RSS:  ${rss_kib:-?} KiB" >&2
exit "$status"
