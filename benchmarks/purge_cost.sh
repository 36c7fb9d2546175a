#!/usr/bin/env bash
# What returning memory costs and what it gives back (benchmarks/burst.c):
#  1. steady-state churn, strata with the background purger on and off,
#     interleaved: median wall time and the on/off ratio;
#  2. madvise calls per second of the churn with the purger on (strace);
#  3. RSS after a burst (allocate, free 90 % at random, free the rest,
#     idle), strata beside jemalloc and mimalloc (Debian's packages) under
#     their default settings, in the same run.
#   benchmarks/purge_cost.sh [--reps N] [--quick]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reps=3
quick=()
idle=21
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--quick) quick=(--quick); reps=1; idle=5; shift ;;
	*) echo "usage: $0 [--reps N] [--quick]" >&2; exit 2 ;;
	esac
done
"$top/tools/bootstrap.sh"
missing=()
for p in libjemalloc2 libmimalloc2.0 strace; do
	dpkg-query -W "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" = 0 ] ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
out="$top/build-bench-purge"
mkdir -p "$out"
[ -d "$out/strata" ] || meson setup "$out/strata" "$top" --buildtype=release \
	-Dtests=disabled -Dbenchmarks=disabled >/dev/null
ninja -C "$out/strata" >/dev/null
cc -O2 -pthread -o "$out/burst" "$top/benchmarks/burst.c"
strata="$out/strata/libstrata.so"
# shellcheck source=../tools/peers.sh
. "$top/tools/peers.sh"
jemalloc=$(find_lib libjemalloc.so.2)
mimalloc=$(find_lib libmimalloc.so.2)
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

: >"$out/on.txt"
: >"$out/off.txt"
for ((r = 1; r <= reps; r++)); do
	for bg in on off; do
		conf=background_thread:true
		[ "$bg" = off ] && conf=background_thread:false
		STRATA_CONF=$conf LD_PRELOAD="$strata" "$out/burst" --mode 1 \
			"${quick[@]}" | field seconds >>"$out/$bg.txt"
	done
done
on=$(median <"$out/on.txt")
off=$(median <"$out/off.txt")
echo "churn (2 threads), median of $reps interleaved runs:"
echo "  purger on:  ${on} s"
echo "  purger off: ${off} s"
echo "  ratio on/off: $(echo "scale=3; $on / $off" | bc)"
strace -f -c -e trace=madvise -o "$out/strace.txt" env LD_PRELOAD="$strata" \
	"$out/burst" --mode 1 "${quick[@]}" >"$out/strace-run.txt"
calls=$(awk '$NF == "madvise" { print $4 }' "$out/strace.txt")
secs=$(field seconds <"$out/strace-run.txt")
echo "  madvise calls with the purger on: ${calls:-0} in ${secs} s" \
	"(under strace), $(echo "scale=1; ${calls:-0} / $on" | bc) per second of an untraced run"

echo "RSS after a burst (KiB; peak, after freeing 90 %, after freeing all, then idle):"
for name in strata jemalloc mimalloc; do
	case $name in
	strata) pre=$strata ;;
	jemalloc) pre=$jemalloc ;;
	mimalloc) pre=$mimalloc ;;
	esac
	line=$(LD_PRELOAD="$pre" "$out/burst" --mode 0 --idle "$idle" "${quick[@]}")
	echo "  $name: $(echo "$line" | sed 's/.*mode=burst //')"
done
