#!/usr/bin/env bash
# One backend's build and whole meson suite: configures build-<backend>/ at
# the top of the tree, builds, runs `meson test`, and ends with the counts
# (skips counted apart, each with the reason the test printed).
#   tools/ci/meson_suite.sh BACKEND [meson setup options ...]
# Environment: STRATA_BUILD_DIR (instead of build-BACKEND), STRATA_TEST_ARGS
# (more `meson test` options, split on spaces).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
backend=$1
shift
dir=${STRATA_BUILD_DIR:-build-$backend}
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" -Dmemory_backend="$backend" \
		-Dtests=enabled "$@" >/dev/null
else
	meson setup "$dir" -Dmemory_backend="$backend" -Dtests=enabled "$@" >/dev/null
fi
ninja -C "$dir"
status=0
# shellcheck disable=SC2086
meson test -C "$dir" --print-errorlogs --num-processes 2 ${STRATA_TEST_ARGS:-} || status=$?
python3 - "$dir/meson-logs/testlog.json" "$status" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue  # a line cut short by a run that was interrupted
    if r["result"] in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r["result"] == "SKIP":
        skip += 1
        why = (r.get("stdout") or "").strip().splitlines()
        print(f"skipped: {r['name']}: {why[-1] if why else 'no reason printed'}")
    else:
        bad += 1
if sys.argv[2] != "0" and bad == 0:
    bad = 1  # meson failed without a failing test: the run itself broke
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
