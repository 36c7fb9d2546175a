#!/usr/bin/env bash
# The per-workload guardrails stage: builds strata with each compiler into
# build-guard-<cc>/ at the top of the tree, runs a short deterministic run
# of every benchmark workload under callgrind (allocator instructions) and
# natively (peak RSS), and fails when either grows past its limit against
# tests/perf/baseline-<cc>.txt (tests/perf/workload_guard.py holds the runs
# and the limits).  Prints the before/after table and the stage's time.
#   tools/ci/guard.sh [--cc gcc,clang] [--only w1,w2]   check (CI)
#   tools/ci/guard.sh --update [--cc ...]      regenerate the baseline files
#   tools/ci/guard.sh --repeat N [--cc ...]    run-to-run variation, N runs
#   tools/ci/guard.sh --compare [LABEL=]OLD.so [LABEL=]NEW.so ...
#                                  allocator instructions side by side
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
budget_s=360
start=$SECONDS

mode=check
compilers=gcc,clang
only=()
times=3
libs=()
while [ $# -gt 0 ]; do
	case "$1" in
		--update) mode=update ;;
		--repeat) mode=repeat; times=${2:?}; shift ;;
		--compare) mode=compare ;;
		--cc) compilers=${2:?}; shift ;;
		--only) only=(--only "${2:?}"); shift ;;
		-h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
		-*) echo "guard.sh: unknown option $1" >&2; exit 2 ;;
		*) [ "$mode" = compare ] || { echo "guard.sh: unexpected $1" >&2; exit 2; }
		   # Paths are the caller's; the label (before '=') is kept.
		   lbl=""; path=$1
		   if [[ "$1" == *=* && "${1%%=*}" != */* ]]; then lbl="${1%%=*}="; path=${1#*=}; fi
		   libs+=("$lbl$(realpath -m -- "$path")") ;;
	esac
	shift
done
cd "$top"
command -v valgrind >/dev/null || { echo "guard.sh: valgrind missing (tools/bootstrap.sh)"; exit 1; }

build() { # compiler -> build directory with libstrata.so and bench-*
	local dir="build-guard-$1"
	if [ ! -d "$dir" ]; then
		CC=$1 meson setup "$dir" -Dmemory_backend=posix -Dtests=disabled \
			-Dbenchmarks=enabled >/dev/null
	fi
	ninja -C "$dir" >"$dir/guard-build.log" || { cat "$dir/guard-build.log" >&2; return 1; }
	echo "$dir"
}

guard=(python3 tests/perf/workload_guard.py)
pass=0 fail=0
if [ "$mode" = compare ]; then
	[ "${#libs[@]}" -ge 2 ] || { echo "guard.sh: --compare needs two libraries" >&2; exit 2; }
	dir=$(build gcc)
	"${guard[@]}" compare --bench "$dir/benchmarks" "${only[@]}" "${libs[@]}"
	exit
fi

IFS=, read -r -a ccs <<<"$compilers"
for cc in "${ccs[@]}"; do
	command -v "$cc" >/dev/null || { echo "guard.sh: no compiler $cc"; fail=$((fail + 1)); continue; }
	t0=$SECONDS
	dir=$(build "$cc")
	common=(--lib "$dir/libstrata.so" --bench "$dir/benchmarks" "${only[@]}")
	case "$mode" in
	update)
		"${guard[@]}" update "${common[@]}" --label "$cc" \
			--baseline "tests/perf/baseline-$cc.txt" ;;
	repeat)
		echo "== $cc"
		"${guard[@]}" repeat "${common[@]}" --times "$times" ;;
	check)
		log=$(mktemp)
		status=0
		"${guard[@]}" check "${common[@]}" --label "$cc" \
			--baseline "tests/perf/baseline-$cc.txt" | tee "$log" || status=$?
		read -r p f <<<"$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 |
			awk '{ print $1, $3 }')"
		rm -f "$log"
		p=${p:-0} f=${f:-0}
		[ "$status" = 0 ] || [ "$f" != 0 ] || f=1
		pass=$((pass + p)) fail=$((fail + f)) ;;
	esac
	echo "guard: $cc took $((SECONDS - t0)) s"
done
[ "$mode" = check ] || exit 0
echo "guard: $((SECONDS - start)) s in all (CI budget ${budget_s} s)"
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
