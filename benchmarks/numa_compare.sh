#!/usr/bin/env bash
# posix vs numa backend on a large-heap, TLB-heavy workload (tlb.c), with
# glibc and jemalloc (Debian's libjemalloc2, MALLOC_CONF=thp:always) in the
# same run: median chase time over interleaved repetitions, ratios to the
# posix build, and each one's huge-page coverage of its heap.
#   benchmarks/numa_compare.sh [--reps N] [--mib N] [--quick]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=3
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--mib) args+=(--mib "$2"); shift 2 ;;
	--quick) args+=(--quick); reps=1; shift ;;
	*) echo "usage: $0 [--reps N] [--mib N] [--quick]" >&2; exit 2 ;;
	esac
done
"$top/tools/bootstrap.sh"
dpkg-query -W libjemalloc2 >/dev/null 2>&1 ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null
out="$top/build-bench-numa"
mkdir -p "$out"
for backend in posix numa; do
	dir="$out/$backend"
	[ -d "$dir" ] || meson setup "$dir" "$top" --buildtype=release \
		-Dmemory_backend=$backend -Dtests=disabled -Dbenchmarks=disabled >/dev/null
	ninja -C "$dir" >/dev/null
done
cc -O2 -o "$out/tlb" "$top/benchmarks/tlb.c"
jemalloc=$(ldconfig -p | awk '/libjemalloc\.so\.2 / && !found { print $NF; found = 1 }')

names=(glibc jemalloc-thp strata-posix strata-numa)
run_one() {
	case "$1" in
	glibc) "$out/tlb" "${args[@]}" ;;
	jemalloc-thp) MALLOC_CONF=thp:always,metadata_thp:always \
		LD_PRELOAD="$jemalloc" "$out/tlb" "${args[@]}" ;;
	strata-posix) LD_PRELOAD="$out/posix/libstrata.so" "$out/tlb" "${args[@]}" ;;
	strata-numa) LD_PRELOAD="$out/numa/libstrata.so" "$out/tlb" "${args[@]}" ;;
	esac
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
declare -A chase huge
for ((r = 1; r <= reps; r++)); do
	for name in "${names[@]}"; do
		line=$(run_one "$name")
		chase[$name]+="$(echo "$line" | field chase_s) "
		huge[$name]=$(echo "$line" | field huge_pct)
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
base=$(echo "${chase[strata-posix]}" | median)
printf "%-14s %10s %14s %12s\n" allocator chase_s ratio_to_posix huge_pages
for name in "${names[@]}"; do
	m=$(echo "${chase[$name]}" | median)
	printf "%-14s %10s %14s %11s%%\n" "$name" "$m" \
		"$(echo "scale=3; $m / $base" | bc)" "${huge[$name]}"
done
echo "(median of $reps interleaved runs; $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
