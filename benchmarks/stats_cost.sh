#!/usr/bin/env bash
# The cost of statistics on the malloc+free fast path: strata built with
# -Dstats=true and -Dstats=false (release), the fastpath workload run
# interleaved, median wall time of each and their ratio, plus the
# instructions per malloc and free counted by callgrind for both.
#   benchmarks/stats_cost.sh [--reps N] [--quick]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=5
quick=()
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--quick) quick=(--quick); reps=3; shift ;;
	*) echo "usage: $0 [--reps N] [--quick]" >&2; exit 2 ;;
	esac
done
"$top/tools/bootstrap.sh"
out="$top/build-bench-stats"
mkdir -p "$out"
for variant in on off; do
	dir="$out/stats-$variant"
	flag=true
	[ "$variant" = off ] && flag=false
	[ -d "$dir" ] || meson setup "$dir" "$top" --buildtype=release \
		-Dstats=$flag -Dtests=disabled -Dbenchmarks=disabled >/dev/null
	ninja -C "$dir" >/dev/null
	cc -O2 -I"$top/include" -o "$dir/fastpath_ir" \
		"$top/tests/perf/fastpath_ir.c" -L"$dir" -lstrata \
		-Wl,-rpath,"$dir"
done
cc -O2 -pthread -o "$out/fastpath" "$top/benchmarks/fastpath.c"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >"$out/on.txt"
: >"$out/off.txt"
for ((r = 1; r <= reps; r++)); do
	for variant in on off; do
		start=$(date +%s.%N)
		LD_PRELOAD="$out/stats-$variant/libstrata.so" "$out/fastpath" \
			"${quick[@]}" >/dev/null
		end=$(date +%s.%N)
		echo "$end - $start" | bc >>"$out/$variant.txt"
	done
done
on=$(median <"$out/on.txt")
off=$(median <"$out/off.txt")
echo "fastpath workload, median of $reps interleaved runs:"
echo "  stats compiled in:  ${on} s"
echo "  stats compiled out: ${off} s"
echo "  ratio in/out:       $(echo "scale=3; $on / $off" | bc)"
for variant in on off; do
	echo "  stats $variant: $("$top/tests/perf/callgrind_guard.sh" \
		"$out/stats-$variant/fastpath_ir" 999 999 | head -1)"
done
