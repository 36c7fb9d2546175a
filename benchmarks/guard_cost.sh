#!/usr/bin/env bash
# Guarded sampling's cost (core/guard.h): every workload of the
# per-workload guard (tests/perf/workload_guard.py) with guarded sampling
# off (the default) and at lg_guard_sample 20 and 16 -- allocator
# instructions under callgrind (self cost of libstrata, deterministic; the
# mprotect calls of each guarded block are system time, not counted here).
# With a second library (an older build), its default column is added:
# the cost of having guarded sampling compiled in, off.
#   benchmarks/guard_cost.sh BUILD [OLD_LIBSTRATA_SO] [--only w1,w2]
# BUILD needs libstrata.so and benchmarks/ built, e.g.
#   meson setup build-cost -Dmemory_backend=posix -Dtests=disabled
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:?usage: guard_cost.sh BUILD [OLD_LIBSTRATA_SO] [--only w1,w2]}"); shift
old=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then old=$(realpath "$1"); shift; fi
only=""
while [ $# -gt 0 ]; do
	case "$1" in
		--only) only=${2:?}; shift ;;
		*) echo "guard_cost.sh: unknown $1" >&2; exit 2 ;;
	esac
	shift
done
exec python3 - "$top" "$build" "$old" "$only" <<'PY'
import os, sys
top, build, old, only = sys.argv[1:5]
sys.path.insert(0, os.path.join(top, "tests", "perf"))
import workload_guard as g
wls = [w for w in g.WORKLOADS if not only or w[0] in only.split(",")]
new = os.path.join(build, "libstrata.so")
cols = [("older build", old, "")] if old else []
cols += [("guard off", new, ""), ("lg_guard_sample:20", new, ",lg_guard_sample:20"),
         ("lg_guard_sample:16", new, ",lg_guard_sample:16")]
base_col = 1 if old else 0
bench = os.path.join(build, "benchmarks")
print("Allocator instructions (callgrind, self cost of libstrata), change against guard off")
print("%-18s" % "workload" + "".join("%22s" % c[0] for c in cols))
for wl in wls:
    irs = [g.run_callgrind(lib, bench, (wl[0], wl[1], wl[2] + extra)) for _, lib, extra in cols]
    base = irs[base_col]
    cells = ["%13d %+6.2f%%" % (ir, (ir - base) / base * 100) if i != base_col
             else "%13d        " % ir for i, ir in enumerate(irs)]
    print("%-18s" % wl[0] + "".join("%22s" % c for c in cells), flush=True)
PY
