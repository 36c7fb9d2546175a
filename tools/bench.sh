#!/usr/bin/env bash
# bench.sh — run the strata benchmark suite against strata and peer allocators.
#
# usage: tools/bench.sh [--quick] [--strata [LABEL=]path/to/libstrata.so ...]
#                       [--build DIR] [--baseline NAME] [--reps N]
#                       [--only w1,w2] [--allocators a1,a2] [--timeout S]
#                       [--no-install]
#
# Defaults: DIR=build, NAME=jemalloc (glibc if jemalloc is missing), N=3
# (1 with --quick), S=300 s per run (60 with --quick), all workloads, all
# allocators found.  --quick also makes every program do 1/8 of its work.
#
# Allocators: glibc (no preload), jemalloc, mimalloc, tcmalloc (minimal) and
# strata (when --strata is given or DIR/libstrata.so exists).  --strata may
# be given several times to compare builds in one interleaved run, each under
# its LABEL (e.g. --strata before=old.so --strata after=new.so --baseline
# before); without a label the first is "strata", the next "strata2" and so
# on.  Missing peer libraries, the C compiler, python3 and gnuplot are
# installed from Debian packages when running as root with apt-get (skip
# with --no-install).
#
# The benchmark programs (benchmarks/*.c) are compiled into DIR/bench/.  Each
# preload is first checked with a probe that reports which shared object
# provides malloc.  Then, for every repetition, for every workload, every
# allocator runs once (the allocator order rotates between repetitions), and
# the wall time, user+sys CPU time and peak RSS of each run are recorded.
#
# Output, in DIR/bench/:
#   raw.csv       one row per run
#   results.csv   medians and ratios to the baseline per workload/allocator
#   results.txt   the tables printed at the end
#   results.png   bar chart of wall-time ratios to the baseline (gnuplot)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=
QUICK=0
REPS=
STRATA_SPECS=()
BASELINE=jemalloc
ONLY=
ALLOCS=
TIMEOUT=
INSTALL=1

ALL_WORKLOADS=(churn larson prodcons cache-thrash cache-scratch xmalloc frag
               realloc large large-touched fastpath fastpath-batch threadchurn
               python)

usage() { # exit code; help goes to stdout, usage errors to stderr
    {
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
        echo "workloads: ${ALL_WORKLOADS[*]}"
    } >&"$([ "${1:-0}" = 0 ] && echo 1 || echo 2)"
    exit "${1:-0}"
}
die() { echo "bench.sh: $*" >&2; exit 1; }
note() { echo "bench.sh: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --strata) STRATA_SPECS+=("${2:?}"); shift ;;
        --strata=*) STRATA_SPECS+=("${1#*=}") ;;
        --build) BUILD=${2:?}; shift ;;
        --build=*) BUILD=${1#*=} ;;
        --baseline) BASELINE=${2:?}; shift ;;
        --baseline=*) BASELINE=${1#*=} ;;
        --reps) REPS=${2:?}; shift ;;
        --reps=*) REPS=${1#*=} ;;
        --only) ONLY=${2:?}; shift ;;
        --only=*) ONLY=${1#*=} ;;
        --allocators) ALLOCS=${2:?}; shift ;;
        --allocators=*) ALLOCS=${1#*=} ;;
        --timeout) TIMEOUT=${2:?}; shift ;;
        --timeout=*) TIMEOUT=${1#*=} ;;
        --no-install) INSTALL=0 ;;
        -h|--help) usage 0 ;;
        *) note "unknown option: $1"; usage 2 ;;
    esac
    shift
done

[ -n "$REPS" ] || { [ "$QUICK" = 1 ] && REPS=1 || REPS=3; }
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps needs a positive integer"
[ -n "$TIMEOUT" ] || { [ "$QUICK" = 1 ] && TIMEOUT=60 || TIMEOUT=300; }

# Paths given on the command line are relative to the caller's directory;
# the default build directory is relative to the repository.
if [ -z "$BUILD" ]; then BUILD="$ROOT/build"; else BUILD=$(realpath -m -- "$BUILD"); fi
# --strata [LABEL=]PATH: a label is a plain name before the first '='.
STRATA_LABELS=()
declare -A STRATA_PATH
for spec in "${STRATA_SPECS[@]}"; do
    label="" path=$spec
    if [[ "$spec" =~ ^([A-Za-z0-9_.-]+)=(.+)$ ]]; then
        label=${BASH_REMATCH[1]} path=${BASH_REMATCH[2]}
    fi
    if [ -z "$label" ]; then
        label=strata n=2
        while [ -n "${STRATA_PATH[$label]+x}" ]; do label=strata$n; n=$((n + 1)); done
    fi
    case "$label" in glibc|jemalloc|mimalloc|tcmalloc) die "--strata label $label names a peer" ;; esac
    [ -z "${STRATA_PATH[$label]+x}" ] || die "--strata label $label given twice"
    STRATA_LABELS+=("$label")
    STRATA_PATH[$label]=$(realpath -m -- "$path")
done
cd "$ROOT"
OUT="$BUILD/bench"
mkdir -p "$OUT"

# ---------------------------------------------------------------- workloads
WORKLOADS=()
if [ -n "$ONLY" ]; then
    IFS=, read -r -a WORKLOADS <<<"$ONLY"
    for w in "${WORKLOADS[@]}"; do
        [[ " ${ALL_WORKLOADS[*]} " == *" $w "* ]] || die "unknown workload: $w"
    done
else
    WORKLOADS=("${ALL_WORKLOADS[@]}")
fi

# ------------------------------------------------------------- dependencies
# shellcheck source=peers.sh
. "$ROOT/tools/peers.sh"
peers_install "$INSTALL"

# ------------------------------------------------------------------ build
CFLAGS_BENCH="-std=c11 -O2 -Wall -Wextra -pthread"
build_one() { # name source [extra libs]
    local exe="$OUT/$1" src="$ROOT/benchmarks/$2"
    if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ] ||
       [ "$ROOT/benchmarks/bench_common.h" -nt "$exe" ]; then
        # shellcheck disable=SC2086
        cc $CFLAGS_BENCH -o "$exe" "$src" ${3:-} || die "failed to compile $2"
    fi
}
for s in churn larson prodcons cache-thrash cache-scratch xmalloc frag realloc \
         large fastpath threadchurn; do
    build_one "$s" "$s.c"
done
build_one runwrap runwrap.c
build_one probe probe.c -ldl
RUNWRAP="$OUT/runwrap"

# The interpreter itself, not a wrapper script (pyenv shims and the like).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# ------------------------------------------------------------- allocators
declare -A LIB
ORDER=()
add_alloc() { LIB[$1]=$2; ORDER+=("$1"); }
add_alloc glibc ""
for spec in jemalloc:libjemalloc.so.2:libjemalloc2 \
            mimalloc:libmimalloc.so.2:libmimalloc2.0 \
            tcmalloc:libtcmalloc_minimal.so.4:libtcmalloc-minimal4; do
    IFS=: read -r name soname pkg <<<"$spec"
    path=$(find_lib "$soname")
    [ -n "$path" ] || path=$(find_pkg_lib "$pkg" "$soname")
    if [ -n "$path" ]; then add_alloc "$name" "$path"; else note "$name not found, skipped"; fi
done
if [ ${#STRATA_LABELS[@]} -gt 0 ]; then
    for label in "${STRATA_LABELS[@]}"; do
        [ -f "${STRATA_PATH[$label]}" ] || die "no such file: ${STRATA_PATH[$label]}"
        add_alloc "$label" "$(readlink -f "${STRATA_PATH[$label]}")"
    done
elif [ -f "$BUILD/libstrata.so" ]; then
    STRATA_LABELS=(strata)
    add_alloc strata "$(readlink -f "$BUILD/libstrata.so")"
fi
if [ -n "$ALLOCS" ]; then
    IFS=, read -r -a want <<<"$ALLOCS"
    sel=()
    for a in "${want[@]}"; do
        [ -n "${LIB[$a]+x}" ] || die "allocator not available: $a"
        sel+=("$a")
    done
    ORDER=("${sel[@]}")
fi

# Check that every preload really provides malloc and free.
libc_path=$(readlink -f "$(find_lib libc.so.6)")
ACTIVE=()
for a in "${ORDER[@]}"; do
    got=$("$RUNWRAP" -o /dev/null -p "${LIB[$a]}" -- "$OUT/probe" 2>&1) || true
    m=$(sed -n 's/^malloc=\([^ ]*\) free=.*/\1/p' <<<"$got")
    f=$(sed -n 's/.* free=\(.*\)$/\1/p' <<<"$got")
    if [ -n "${LIB[$a]}" ]; then want_path=$(readlink -f "${LIB[$a]}"); else want_path=$libc_path; fi
    if [ -n "$m" ] && [ "$(readlink -f "$m")" = "$want_path" ] &&
       [ "$(readlink -f "$f")" = "$want_path" ]; then
        ACTIVE+=("$a")
        note "$a: malloc and free bound to $m"
    else
        note "$a: malloc is NOT provided by ${want_path} (probe said: ${got:-nothing}); skipped"
        if [[ " ${STRATA_LABELS[*]} " == *" $a "* ]]; then die "$a (strata) does not interpose malloc"; fi
    fi
done
[ ${#ACTIVE[@]} -gt 0 ] || die "no usable allocator"
if [ -z "${LIB[$BASELINE]+x}" ] || [[ " ${ACTIVE[*]} " != *" $BASELINE "* ]]; then
    note "baseline $BASELINE not available, using ${ACTIVE[0]}"
    BASELINE=${ACTIVE[0]}
fi

# ----------------------------------------------------------------- run
Q=()
[ "$QUICK" = 1 ] && Q=(--quick)
workload_cmd() { # name -> command line in CMD array
    case "$1" in
        fastpath-batch) CMD=("$OUT/fastpath" --batch 100 "${Q[@]}") ;;
        # Every page of each block written: the cost of a retention
        # policy is the page faults of the blocks it did not keep.
        large-touched) CMD=("$OUT/large" --touch 8192 --steps 4000 "${Q[@]}") ;;
        python) CMD=("$PYTHON" "$ROOT/benchmarks/workloads/objects.py" "${Q[@]}") ;;
        *) CMD=("$OUT/$1" "${Q[@]}") ;;
    esac
}

RAW="$OUT/raw.csv"
echo "rep,workload,allocator,wall_s,user_s,sys_s,maxrss_kb,status,checksum,final_rss_kb" >"$RAW"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Deterministic Python: same hashing in every run, every object via malloc.
export PYTHONHASHSEED=0 PYTHONMALLOC=malloc

n_alloc=${#ACTIVE[@]}
total=$((REPS * ${#WORKLOADS[@]} * n_alloc))
i=0
start=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
note "running ${#WORKLOADS[@]} workloads x ${n_alloc} allocators x ${REPS} reps ($total runs)"
for ((rep = 1; rep <= REPS; rep++)); do
    for w in "${WORKLOADS[@]}"; do
        workload_cmd "$w"
        for ((k = 0; k < n_alloc; k++)); do
            a=${ACTIVE[$(((k + rep - 1) % n_alloc))]}
            i=$((i + 1))
            status=0
            "$RUNWRAP" -o "$TMP/stats" -p "${LIB[$a]}" -t "$TIMEOUT" -- "${CMD[@]}" \
                >"$TMP/out" 2>"$TMP/err" || status=$?
            line=$(cat "$TMP/stats" 2>/dev/null || echo "wall=0 user=0 sys=0 maxrss_kb=0 status=$status")
            wall=$(sed -n 's/.*wall=\([^ ]*\).*/\1/p' <<<"$line")
            user=$(sed -n 's/.*user=\([^ ]*\).*/\1/p' <<<"$line")
            sys=$(sed -n 's/.*sys=\([^ ]*\).*/\1/p' <<<"$line")
            rss=$(sed -n 's/.*maxrss_kb=\([^ ]*\).*/\1/p' <<<"$line")
            ck=$(grep -o 'checksum=[0-9a-fx]*' "$TMP/out" | head -1 | cut -d= -f2 || true)
            frss=$(grep -o 'final_rss_kb=[0-9]*' "$TMP/out" | head -1 | cut -d= -f2 || true)
            echo "$rep,$w,$a,$wall,$user,$sys,$rss,$status,${ck:-none},${frss}" >>"$RAW"
            printf '[%3d/%d] rep %d  %-15s %-9s %7.3fs  %8d KiB%s\n' "$i" "$total" "$rep" \
                "$w" "$a" "$wall" "$rss" "$([ "$status" = 0 ] || echo "  FAILED (status $status)")" >&2
            if [ "$status" != 0 ]; then sed 's/^/    /' "$TMP/err" | tail -5 >&2; fi
        done
    done
done
elapsed=$(($(date +%s) - start))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
MACHINE="$(nproc) CPUs, $(awk -F': ' '/^model name/ && !f { print $2; f = 1 }' /proc/cpuinfo), $(uname -sr)
load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end"
python3 - "$RAW" "$OUT" "$BASELINE" "$REPS" "$QUICK" "$elapsed" "$MACHINE" \
    "${ACTIVE[*]}" "${WORKLOADS[*]}" <<'PYEOF'
import csv, math, statistics, sys
raw, out, base, reps, quick, elapsed, machine, allocs, workloads = sys.argv[1:]
allocs = allocs.split()
workloads = workloads.split()
runs = {}
checks = {}
fails = set()
frss = {}
with open(raw) as f:
    for r in csv.DictReader(f):
        key = (r["workload"], r["allocator"])
        if r["status"] != "0":
            fails.add(key)
            continue
        runs.setdefault(key, []).append(
            (float(r["wall_s"]), float(r["user_s"]) + float(r["sys_s"]),
             int(r["maxrss_kb"])))
        checks.setdefault(r["workload"], set()).add(r["checksum"])
        if r["final_rss_kb"]:
            frss.setdefault(key, []).append(int(r["final_rss_kb"]))

def med(key, i):
    v = runs.get(key)
    return statistics.median(x[i] for x in v) if v else None

metrics = [("wall", 0, "Wall time (s)", "%.3f"),
           ("cpu", 1, "CPU time, user+sys (s)", "%.3f"),
           ("rss", 2, "Peak RSS (MiB)", "%.1f")]
lines = []
lines.append("strata benchmark results%s: median of %s run(s); ratio to %s in "
             "parentheses; lower is better" % (" (--quick)" if quick == "1" else "",
                                               reps, base))
lines.append("machine: " + machine)
lines.append("")
W = max(14, max(len(w) for w in workloads) + 2)
C = 18
csv_rows = []
for name, idx, title, fmt in metrics:
    lines.append(title)
    lines.append("%-*s" % (W, "workload") + "".join("%*s" % (C, a) for a in allocs))
    logs = {a: [] for a in allocs}
    for w in workloads:
        b = med((w, base), idx)
        cells = []
        for a in allocs:
            v = med((w, a), idx)
            if v is None:
                cells.append("FAILED" if (w, a) in fails else "-")
                continue
            shown = v / 1024.0 if name == "rss" else v
            ratio = v / b if b else None
            if ratio:
                logs[a].append(math.log(ratio))
                cells.append((fmt % shown) + " (%.2fx)" % ratio)
            else:
                cells.append(fmt % shown)
            csv_rows.append((name, w, a, v, ratio))
        lines.append("%-*s" % (W, w) + "".join("%*s" % (C, c) for c in cells))
    lines.append("%-*s" % (W, "geomean") + "".join(
        "%*s" % (C, "(%.2fx)" % math.exp(sum(logs[a]) / len(logs[a])) if logs[a] else "-")
        for a in allocs))
    lines.append("")
if frss:
    lines.append("frag: final RSS (MiB) after the last phase, live data identical for all")
    lines.append("%-*s" % (W, "") + "".join("%*s" % (C, a) for a in allocs))
    lines.append("%-*s" % (W, "frag") + "".join(
        "%*s" % (C, "%.1f" % (statistics.median(frss[("frag", a)]) / 1024.0)
                 if ("frag", a) in frss else "-") for a in allocs))
    lines.append("")
bad = [w for w in workloads if len(checks.get(w, ())) > 1]
for w in bad:
    lines.append("WARNING: %s checksums differ between runs: %s" % (w, " ".join(sorted(checks[w]))))
for w, a in sorted(fails):
    lines.append("WARNING: %s failed under %s (see raw.csv)" % (w, a))
if not bad:
    lines.append("checksums: identical across allocators and repetitions for every workload")
lines.append("total run time: %s s" % elapsed)
text = "\n".join(lines) + "\n"
open(out + "/results.txt", "w").write(text)
sys.stdout.write(text)
with open(out + "/results.csv", "w", newline="") as f:
    wr = csv.writer(f)
    wr.writerow(["metric", "workload", "allocator", "median", "ratio_to_" + base])
    for m, w, a, v, r in csv_rows:
        wr.writerow([m, w, a, "%.6g" % v, "" if r is None else "%.4f" % r])
# Data for the chart: one row per workload, one column per allocator.
with open(out + "/chart.dat", "w") as f:
    f.write("workload " + " ".join(allocs) + "\n")
    for w in workloads:
        b = med((w, base), 0)
        row = []
        for a in allocs:
            v = med((w, a), 0)
            row.append("%.4f" % (v / b) if v is not None and b else "NaN")
        f.write(w + " " + " ".join(row) + "\n")
PYEOF

if command -v gnuplot >/dev/null; then
    n=${#ACTIVE[@]}
    gnuplot <<EOF || note "gnuplot failed; no chart"
set terminal pngcairo size 1400,600 font "sans,10" noenhanced
set output "$OUT/results.png"
set title "Wall time relative to $BASELINE (median of $REPS; lower is better)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set grid ytics
set yrange [0:*]
set ylabel "ratio to $BASELINE"
set xtics rotate by -30
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
plot for [i=2:$((n + 1))] "$OUT/chart.dat" using i:xtic(1) title columnheader(i)
EOF
    [ -f "$OUT/results.png" ] && note "chart: $OUT/results.png"
else
    note "gnuplot not installed; no chart"
fi
note "results: $OUT/results.txt, $OUT/results.csv, $OUT/raw.csv"
