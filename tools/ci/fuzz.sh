#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/): builds them with clang under
# AddressSanitizer + UndefinedBehaviorSanitizer, the core and the posix
# backend instrumented for coverage and without the drop-in, then runs
# each for FUZZ_SECONDS (default 60), the two side by side, and prints its
# run count.  A target that finds a crash fails; the input is left in
# build-fuzz/ as crash-* (replay: build-fuzz/tests/fuzz/NAME crash-...).
# Each run starts from the seed corpus in the tree plus what earlier runs
# in this build directory found (build-fuzz/corpus-NAME/).
#   tools/ci/fuzz.sh [NAME ...]                default: every target
#   FUZZ_SECONDS=3600 tools/ci/fuzz.sh         longer (docs/testing.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ "${#targets[@]}" = 0 ] && targets=(fuzz_conf fuzz_alloc)
# name -> seed corpus directory and extra libFuzzer options.
declare -A seeds=([fuzz_conf]=conf [fuzz_alloc]=alloc)
# The parser reports every bad key on stderr: closed (libFuzzer keeps its
# own output and sanitizer reports on a copy of it).
declare -A extra=([fuzz_conf]=-close_fd_mask=2 [fuzz_alloc]=)

dir=build-fuzz
opts=(-Dmemory_backend=posix -Dtests=enabled -Doverride_malloc=false
	-Dbenchmarks=disabled -Db_sanitize=address,undefined -Db_lundef=false
	"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all")
t0=$SECONDS
if [ -d "$dir" ]; then
	CC=clang meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
	CC=clang meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" -j2 $(printf 'tests/fuzz/%s ' "${targets[@]}")
echo "fuzz build: $((SECONDS - t0)) s"

export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"
pids=()
for t in "${targets[@]}"; do
	[ -n "${seeds[$t]:-}" ] || { echo "unknown target '$t'" >&2; exit 2; }
	mkdir -p "$dir/corpus-$t"
	(cd "$dir" && exec "tests/fuzz/$t" -max_total_time="$seconds" \
		-print_final_stats=1 ${extra[$t]} "corpus-$t" \
		"$top/tests/fuzz/corpus/${seeds[$t]}") >"$dir/$t.log" 2>&1 &
	pids+=($!)
done

pass=0 fail=0
for i in "${!targets[@]}"; do
	t=${targets[$i]}
	status=0
	wait "${pids[$i]}" || status=$?
	runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$dir/$t.log" |
		grep -oE '[0-9]+$' || echo 0)
	if [ "$status" = 0 ]; then
		pass=$((pass + 1))
		echo "$t: $runs runs in $seconds s, no crash"
	else
		fail=$((fail + 1))
		echo "$t: FAILED after $runs runs (status $status); the end of its log:"
		tail -40 "$dir/$t.log"
	fi
done
echo "fuzz: $((SECONDS - t0)) s"
echo "$pass passed, $fail failed, 0 skipped"
