#!/usr/bin/env bash
# Installs the dependencies, builds strata and runs the whole test suite,
# stage by stage, printing each stage's time and counts.  Exits non-zero on
# any failure.  Build directories: build-<name>/ at the top of the tree.
#   tools/test.sh [stage ...]     default: every stage, in the order below
#
# A stage is a command whose output ends with "N passed, N failed" (", N
# skipped" may follow); a stage that exits non-zero without a failed test
# counts as one failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# name -> command.  Order matters: the cheap native suites come first.
declare -A stage_cmd=(
	[posix]="tools/ci/meson_suite.sh posix"
	[numa]="tools/ci/meson_suite.sh numa"
	[memkind]="tools/ci/meson_suite.sh memkind"
	[tools]="tools/ci/tools.sh"
	[jemalloc_compat]="tools/ci/jemalloc_compat.sh"
	[guard]="tools/ci/guard.sh"
	[prof]="tools/ci/prof.sh"
	[sanitize]="tools/ci/sanitize.sh"
	[fuzz]="tools/ci/fuzz.sh"
	[aarch64]="tools/ci/aarch64.sh"
	[telemetry]="tools/ci/telemetry.sh"
)
stage_order=(posix numa memkind tools telemetry jemalloc_compat prof sanitize fuzz guard aarch64)

stages=("$@")
[ "${#stages[@]}" = 0 ] && stages=("${stage_order[@]}")
for s in "${stages[@]}"; do
	[ -n "${stage_cmd[$s]:-}" ] || { echo "unknown stage '$s' (have: ${stage_order[*]})" >&2; exit 2; }
done

start_all=$SECONDS
tools/bootstrap.sh
echo "=== bootstrap: $((SECONDS - start_all)) s"

total_pass=0 total_fail=0 total_skip=0
summary=() fails=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for s in "${stages[@]}"; do
	echo "=== stage $s: ${stage_cmd[$s]}"
	t0=$SECONDS
	status=0
	${stage_cmd[$s]} 2>&1 | tee "$log" || status=$?
	counts=$(grep -E '^([a-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 |
		sed -E 's/^[a-z_-]+: //; s/[^0-9]+/ /g') || true
	read -r pass fail skip <<<"${counts:-0 0 0}"
	skip=${skip:-0}
	if [ "$status" != 0 ] && [ "$fail" = 0 ]; then
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	line=$(printf '%-14s %5d s  %4d passed, %d failed, %d skipped' \
		"$s" $((SECONDS - t0)) "$pass" "$fail" "$skip")
	summary+=("$line")
	echo "=== $line"
	# The lines that name what failed, repeated at the end: a log read
	# from its tail alone still says which tests they were.
	if [ "$fail" != 0 ]; then
		fails+=("--- $s")
		while IFS= read -r l; do fails+=("$l"); done < <(
			grep -E 'FAIL|[Ff]ailed:|Assertion|TIMEOUT|ERROR:' "$log" |
			grep -vE '^(Expected|Unexpected) ' | tail -20)
	fi
done
if [ "${#fails[@]}" != 0 ]; then
	echo "=== what failed"
	printf '%s\n' "${fails[@]}"
fi
echo "=== stage times"
printf '%s\n' "${summary[@]}"
echo "total: $((SECONDS - start_all)) s"
echo "tests: ${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" = 0 ]
