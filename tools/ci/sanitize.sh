#!/usr/bin/env bash
# The sanitized builds: the unit and API suites (the core on the fake
# backend, at every page size) under AddressSanitizer + UndefinedBehavior-
# Sanitizer, and under ThreadSanitizer through the plain harness
# (tests/harness/: Criterion's runner does not start under TSan).  Any
# sanitizer report fails its test: UBSan and ASan stop at the first report
# (-fno-sanitize-recover=all), TSan exits non-zero (halt_on_error=1).
# clang builds both: GCC 12's UBSan reports a null member access on a
# thread-local's address in the tcache suite where there is none.
# Sanitizers bring their own malloc, so strata is built without the drop-in
# (-Doverride_malloc=false); the drop-in, memory, integration, backend and
# perf suites do not run here (docs/testing.md says why).
#   tools/ci/sanitize.sh [asan|tsan ...]     default: both
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

builds=("$@")
[ "${#builds[@]}" = 0 ] && builds=(asan tsan)

declare -A sanitize=([asan]=address,undefined [tsan]=thread)
# detect_deadlocks=0: the fork handlers hold every strata lock at once,
# more than TSan's lock-order tracker can follow (64).
export TSAN_OPTIONS="halt_on_error=1 detect_deadlocks=0 ${TSAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"

logs=()
status=0
for b in "${builds[@]}"; do
	[ -n "${sanitize[$b]:-}" ] || { echo "unknown build '$b' (have: asan tsan)" >&2; exit 2; }
	t0=$SECONDS
	dir="build-$b"
	opts=(-Dmemory_backend=posix -Dtests=enabled -Doverride_malloc=false
		-Dbenchmarks=disabled -Db_sanitize="${sanitize[$b]}" -Db_lundef=false
		-Dc_args=-fno-sanitize-recover=all)
	if [ -d "$dir" ]; then
		CC=clang meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
	else
		CC=clang meson setup "$dir" "${opts[@]}" >/dev/null
	fi
	# Only what the unit and API suites run.
	ninja -C "$dir" -j2 $(meson introspect --tests "$dir" |
		python3 -c 'import json, os, sys
for t in json.load(sys.stdin):
    if set(t["suite"]) & {"strata:unit", "strata:api"}:
        print(os.path.relpath(t["cmd"][0], sys.argv[1]))' "$dir" | sort -u)
	# ASan+UBSan: every unit and API suite at every page size.  TSan (ten
	# times slower): at 4 KiB pages only, and without the single-threaded
	# API suites (functions, failure: 80 % of its time, and remap: no
	# second thread to race with; ASan+UBSan runs them).
	tests=(--suite unit --suite api)
	if [ "$b" = tsan ]; then
		mapfile -t tests < <(meson introspect --tests "$dir" |
			python3 -c 'import json, sys
for t in json.load(sys.stdin):
    if set(t["suite"]) & {"strata:unit", "strata:api"} and \
       t["name"].endswith(" page=4096") and \
       t["name"].split()[0] not in ("functions", "failure", "remap"):
        print(t["name"])')
	fi
	# Sanitized code runs several times slower: the suites' own timeouts
	# (Criterion's and the harness's) and meson's stretch alike.
	HARNESS_TIMEOUT_SCALE=4 meson test -C "$dir" "${tests[@]}" \
		--num-processes 2 --timeout-multiplier 2 --print-errorlogs --no-rebuild ||
		status=$?
	logs+=("$dir/meson-logs/testlog.json")
	echo "sanitize $b: $((SECONDS - t0)) s"
done

python3 - "$status" "${logs[@]}" <<'PY'
import json, sys
ok = bad = skip = 0
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)
        if r["result"] in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r["result"] == "SKIP":
            skip += 1
            why = (r.get("stdout") or "").strip().splitlines()
            print(f"skipped: {r['name']}: {why[-1] if why else 'no reason printed'}")
        else:
            bad += 1
if sys.argv[1] != "0" and bad == 0:
    bad = 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
