#!/usr/bin/env bash
# CI: the heap profiler's suites (meson suite prof): the unwinder, the
# sampler's arithmetic, the tables, the dump writers, and the dumps read
# by jeprof, google-pprof and go tool pprof (tests/prof/readers.sh).
# Builds in build-posix/ (shared with the posix stage), prints the time
# against the 240 s budget and ends with the counts.
#   tools/ci/prof.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
budget_s=240
dir=build-posix
t0=$SECONDS
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" -Dmemory_backend=posix -Dtests=enabled >/dev/null
else
	meson setup "$dir" -Dmemory_backend=posix -Dtests=enabled >/dev/null
fi || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
ninja -C "$dir" -j2 || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
status=0
meson test -C "$dir" --suite prof --print-errorlogs --num-processes 2 || status=$?
# The readers' own lines (ok / not ok per reader, site and kind).
grep -hE '^(ok|not ok|skipped:) ' "$dir/meson-logs/testlog.txt" || true
elapsed=$((SECONDS - t0))
python3 - "$dir/meson-logs/testlog.json" "$status" "$elapsed" "$budget_s" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r["result"] == "SKIP":
        skip += 1
    else:
        bad += 1
elapsed, budget = int(sys.argv[3]), int(sys.argv[4])
print(f"prof stage: {elapsed} s of a {budget} s budget")
if elapsed > budget:
    print("over budget")
    bad += 1
if sys.argv[2] != "0" and bad == 0:
    bad = 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
sys.exit(1 if bad else 0)
PY
