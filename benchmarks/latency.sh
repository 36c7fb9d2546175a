#!/usr/bin/env bash
# latency.sh — malloc and free latency distributions (benchmarks/latency.c)
# of strata beside glibc, jemalloc, mimalloc and tcmalloc, in one run.
#
# usage: benchmarks/latency.sh [--build DIR] [--strata path/to/libstrata.so]
#                              [--reps N] [--quick] [--png FILE]
#                              [--no-install] [-- latency options ...]
#
# Defaults: DIR=build in the repository, the strata of DIR/libstrata.so,
# N=3.  strata runs twice: "strata-inline" (background_thread:false: decay
# purges inside malloc and free) and "strata-bg" (background_thread:true,
# the default: a purger thread does it); jemalloc twice too, as shipped (no
# background thread) and "jemalloc-bg" (background_thread:true).  Every
# repetition runs every allocator once, the order rotating between
# repetitions.
# Missing peers (libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4) and
# gnuplot (gnuplot-nox) are installed from Debian when running as root with
# apt-get (skip with --no-install); a missing peer is skipped, a missing
# gnuplot only skips the plot.  Options after -- go to the program.
#
# Output, in DIR/latency/:
#   raw.csv       one row per run (ns)
#   results.txt   per allocator: medians over the repetitions of p50, p99,
#                 p99.9, p99.99 and max, with the min-max range of p99.9
#                 and max; wall time, peak RSS, involuntary context switches
#   ccdf-*.txt    the distributions of each allocator's median run
#   latency.png   their complementary CDFs, malloc and free (or --png FILE)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
STRATA=
REPS=3
QUICK=()
PNG=
INSTALL=1
PROG_ARGS=()

die() { echo "latency.sh: $*" >&2; exit 1; }
note() { echo "latency.sh: $*" >&2; }
usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=${2:?}; shift ;;
	--strata) STRATA=${2:?}; shift ;;
	--reps) REPS=${2:?}; shift ;;
	--quick) QUICK=(--quick) ;;
	--png) PNG=${2:?}; shift ;;
	--no-install) INSTALL=0 ;;
	-h|--help) usage 0 ;;
	--) shift; PROG_ARGS=("$@"); break ;;
	*) echo "latency.sh: unknown option $1" >&2; usage 2 >&2 ;;
	esac
	shift
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps wants a positive number, not '$REPS'"
BUILD=$(realpath -m -- "$BUILD")
[ -n "$STRATA" ] || STRATA="$BUILD/libstrata.so"
[ -f "$STRATA" ] || die "no strata library at $STRATA (build it, or --strata PATH)"
STRATA=$(readlink -f "$STRATA")
[ -z "$PNG" ] || PNG=$(realpath -m -- "$PNG")
cd "$ROOT"
OUT="$BUILD/latency"
mkdir -p "$OUT"

# shellcheck source=../tools/peers.sh
. "$ROOT/tools/peers.sh"
peers_install "$INSTALL"

exe="$OUT/latency"
if [ ! -x "$exe" ] || [ benchmarks/latency.c -nt "$exe" ] ||
   [ benchmarks/bench_common.h -nt "$exe" ]; then
	cc -std=c11 -O2 -Wall -Wextra -o "$exe" benchmarks/latency.c ||
		die "failed to compile benchmarks/latency.c"
fi

# name -> "preload|environment"
declare -A RUN
ORDER=()
add() { RUN[$1]="$2|$3"; ORDER+=("$1"); }
add glibc "" ""
for spec in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 \
            tcmalloc:libtcmalloc_minimal.so.4; do
	name=${spec%%:*}
	path=$(find_lib "${spec#*:}")
	if [ -z "$path" ]; then note "$name not found, skipped"; continue; fi
	add "$name" "$path" ""
	[ "$name" != jemalloc ] || add jemalloc-bg "$path" "MALLOC_CONF=background_thread:true"
done
add strata-inline "$STRATA" "STRATA_CONF=background_thread:false"
add strata-bg "$STRATA" "STRATA_CONF=background_thread:true"

echo "allocator,rep,malloc_p50,malloc_p99,malloc_p999,malloc_p9999,malloc_max,free_p50,free_p99,free_p999,free_p9999,free_max,overhead_ns,clock,secs,involuntary_switches,peak_rss_kib" >"$OUT/raw.csv"
n=${#ORDER[@]}
note "${n} allocators x ${REPS} repetitions; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$REPS"); do
	for i in $(seq 0 $((n - 1))); do
		a=${ORDER[$(((i + rep - 1) % n))]}
		IFS='|' read -r preload envs <<<"${RUN[$a]}"
		ccdf="$OUT/ccdf-$a-$rep.txt"
		env_args=(BENCH_LATENCY_CCDF="$ccdf")
		[ -z "$envs" ] || env_args+=("$envs")
		[ -z "$preload" ] || env_args+=(LD_PRELOAD="$preload")
		line=$(env "${env_args[@]}" "$exe" "${QUICK[@]}" "${PROG_ARGS[@]}") ||
			die "$a failed (rep $rep)"
		python3 - "$a" "$rep" "$line" >>"$OUT/raw.csv" <<'PY'
import sys
a, rep, line = sys.argv[1:4]
kv = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
cols = [kv[f"{op}_{q}_ns"] for op in ("malloc", "free") for q in ("p50", "p99", "p999", "p9999", "max")]
print(",".join([a, rep] + cols + [kv[k] for k in ("overhead_ns", "clock", "secs", "involuntary_switches", "peak_rss_kib")]))
PY
		printf 'latency.sh: rep %s %-14s %s\n' "$rep" "$a" \
			"$(sed 's/.*malloc_p50/malloc_p50/; s/ peak_rss.*//' <<<"$line")" >&2
	done
done

python3 - "$OUT" "$(IFS=,; echo "${ORDER[*]}")" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import csv, os, shutil, statistics, sys
out, order, load = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
rows = list(csv.DictReader(open(os.path.join(out, "raw.csv"))))
by = {a: [r for r in rows if r["allocator"] == a] for a in order}
def med(rs, k): return statistics.median(float(r[k]) for r in rs)
def rng(rs, k):
    v = [float(r[k]) for r in rs]
    return f"{min(v):,.0f}–{max(v):,.0f}"
r0 = rows[0]
lines = [f"latency, ns (medians of {len(by[order[0]])} runs, min–max range of the runs for p99.9 and max; "
         f"clock {r0['clock']}, its overhead {r0['overhead_ns']} ns subtracted; load average at the end {load})", ""]
for op in ("malloc", "free"):
    lines += [f"| {op} | p50 | p99 | p99.9 | p99.9 range | p99.99 | max | max range |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for a in order:
        rs = by[a]
        lines.append(f"| {a} | {med(rs, op + '_p50'):,.0f} | {med(rs, op + '_p99'):,.0f} | "
                     f"{med(rs, op + '_p999'):,.0f} | {rng(rs, op + '_p999')} | "
                     f"{med(rs, op + '_p9999'):,.0f} | "
                     f"{med(rs, op + '_max'):,.0f} | {rng(rs, op + '_max')} |")
    lines.append("")
lines += ["| allocator | wall s (median) | peak RSS MiB (median) | involuntary context switches (median) |",
          "|---|---:|---:|---:|"]
for a in order:
    lines.append(f"| {a} | {med(by[a], 'secs'):.2f} | {med(by[a], 'peak_rss_kib') / 1024:,.0f} | "
                 f"{med(by[a], 'involuntary_switches'):,.0f} |")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "results.txt"), "w").write(text)
print(text)
# The run to plot per allocator: the one with the median malloc p99.9.
for a in order:
    rs = sorted(by[a], key=lambda r: float(r["malloc_p999"]))
    pick = rs[len(rs) // 2]["rep"]
    shutil.copy(os.path.join(out, f"ccdf-{a}-{pick}.txt"), os.path.join(out, f"ccdf-{a}.txt"))
PY

png=${PNG:-$OUT/latency.png}
if command -v gnuplot >/dev/null; then
	plots=""
	for a in "${ORDER[@]}"; do
		plots+="'$OUT/ccdf-$a.txt' using (strcol(1) eq OP ? \$2 : 1/0):(\$3 > 0 ? \$3 : 1/0) with steps lw 2 title '$a', "
	done
	gnuplot <<EOF
set terminal pngcairo size 1400,560 font ",11"
set output '$png'
set multiplot layout 1,2 title "malloc and free latency, server loop with bursts (benchmarks/latency.sh)"
set logscale xy
set format xy "10^{%L}"
set xrange [1:*]
set xlabel "latency (ns)"
set ylabel "fraction of calls slower"
set yrange [1e-7:1]
set grid
set key top right
OP = "malloc"
set title "malloc"
plot ${plots%, }
OP = "free"
set title "free"
plot ${plots%, }
unset multiplot
EOF
	note "plot: $png"
else
	note "no gnuplot: plot skipped"
fi
note "table: $OUT/results.txt"
