#!/usr/bin/env bash
# The heap profiler's cost, side by side in one run: every workload of the
# per-workload guard (tests/perf/workload_guard.py, python3 included) with
# prof:false, prof:true at lg_prof_sample 19 and at 16 -- allocator
# instructions under callgrind (deterministic), and wall time of native
# runs, N interleaved repetitions (median and min-max spread).  With a
# second build made with -Dprof=false, its prof:false column is added:
# the cost of compiling the profiler in.
#   benchmarks/prof_cost.sh BUILD [OFF_BUILD] [--reps N] [--only w1,w2]
# BUILD (and OFF_BUILD) need libstrata.so and benchmarks/ built, e.g.
#   meson setup build-cost -Dmemory_backend=posix -Dtests=disabled
#   meson setup build-cost-off -Dmemory_backend=posix -Dtests=disabled -Dprof=false
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:?usage: prof_cost.sh BUILD [OFF_BUILD] [--reps N] [--only w1,w2]}"); shift
off=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then off=$(realpath "$1"); shift; fi
reps=5 only=""
while [ $# -gt 0 ]; do
	case "$1" in
		--reps) reps=${2:?}; shift ;;
		--only) only=${2:?}; shift ;;
		*) echo "prof_cost.sh: unknown $1" >&2; exit 2 ;;
	esac
	shift
done
exec python3 - "$top" "$build" "$off" "$reps" "$only" <<'PY'
import os, statistics, subprocess, sys, time
top, build, off, reps, only = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, os.path.join(top, "tests", "perf"))
import workload_guard as g
wls = [w for w in g.WORKLOADS if not only or w[0] in only.split(",")]
cols = [("off-build prof:false", off, "")] if off else []
cols += [("prof:false", build, ""), ("prof:true,19", build, ",prof:true,lg_prof_sample:19"),
         ("prof:true,16", build, ",prof:true,lg_prof_sample:16")]
def lib(b): return os.path.join(b, "libstrata.so")
def wall(b, wl, extra):
    name, argv, conf = wl
    t = time.perf_counter()
    r = subprocess.run(g.command(os.path.join(b, "benchmarks"), argv),
                       env=g.environment(lib(b), conf + extra),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError(name + " failed: " + r.stderr.decode()[-500:])
    return time.perf_counter() - t
print("Allocator instructions (callgrind, self cost of libstrata), change against prof:false")
print("%-18s" % "workload" + "".join("%22s" % c[0] for c in cols))
base_col = 1 if off else 0
worst = 0.0
for wl in wls:
    irs = [g.run_callgrind(lib(b), os.path.join(b, "benchmarks"), (wl[0], wl[1], wl[2] + extra))
           for _, b, extra in cols]
    base = irs[base_col]
    cells = []
    for i, ir in enumerate(irs):
        d = (ir - base) / base * 100
        if cols[i][0] == "prof:true,19":
            worst = max(worst, d)
        cells.append("%13d %+6.2f%%" % (ir, d) if i != base_col else "%13d        " % ir)
    print("%-18s" % wl[0] + "".join("%22s" % c for c in cells), flush=True)
print("worst prof:true,19 against prof:false: %+.2f %% (goal: within 2 %%)" % worst)
print()
print("Wall time, ms: median [min-max] of %d interleaved repetitions" % reps)
print("%-18s" % "workload" + "".join("%22s" % c[0] for c in cols))
for wl in wls:
    t = [[] for _ in cols]
    for _ in range(reps):
        for i, (_, b, extra) in enumerate(cols):
            t[i].append(wall(b, wl, extra) * 1000)
    print("%-18s" % wl[0] + "".join("%22s" % ("%.0f [%.0f-%.0f]" % (statistics.median(x), min(x), max(x))) for x in t), flush=True)
PY
