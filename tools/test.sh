#!/usr/bin/env bash
# Installs the dependencies, builds strata for every backend this machine
# can build, and runs the whole test suite for each.  Exits non-zero on any
# failure.  Build directories: build-<backend>/ at the top of the tree.
#   tools/test.sh [backend ...]     default: every backend
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tools/bootstrap.sh

backends=("$@")
[ "${#backends[@]}" = 0 ] && backends=(posix numa)

total_pass=0
total_fail=0
for backend in "${backends[@]}"; do
	dir="build-$backend"
	echo "=== strata: building and testing the $backend backend in $dir"
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" -Dmemory_backend="$backend" \
			-Dtests=enabled >/dev/null
	else
		meson setup "$dir" -Dmemory_backend="$backend" -Dtests=enabled >/dev/null
	fi
	ninja -C "$dir"
	status=0
	meson test -C "$dir" --print-errorlogs --num-processes 2 || status=$?
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        bad += 1
print(ok, bad)
PY
)
	read -r pass fail <<<"$counts"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	[ "$status" = 0 ] || [ "$fail" != 0 ] || total_fail=$((total_fail + 1))
done
echo "tests: ${total_pass} passed, ${total_fail} failed"
[ "$total_fail" = 0 ]
