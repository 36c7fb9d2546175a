#!/usr/bin/env bash
# The cost of the per-thread event counters (perf_events) to a
# statistics print: benchmarks/perfctr_cost.c against BUILD's
# libstrata.so, with the threads counting and not.  The read(2) count
# per print is exact; the CPU time is wall-clock noisy, say the load.
#   benchmarks/perfctr_cost.sh BUILD [THREADS [PRINTS]]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: benchmarks/perfctr_cost.sh BUILD [THREADS [PRINTS]]}" && pwd)
threads=${2:-8} prints=${3:-200}
[ -f "$build/libstrata.so" ] || { echo "no $build/libstrata.so (build first)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-perfctr.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -I"$top/include" -o "$work/perfctr_cost" "$top/benchmarks/perfctr_cost.c" \
	-L"$build" -lstrata -lpthread -Wl,-rpath,"$build"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for mode in off on; do
	"$work/perfctr_cost" "$mode" "$threads" "$prints"
done
