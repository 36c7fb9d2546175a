#!/usr/bin/env bash
# CI: the whole suite on AArch64 under qemu-user.  Makes (or reuses) the
# arm64 Debian root (cross/arm64-root.sh), cross-compiles the posix, numa
# and mte builds against it with warnings as errors
# (cross/aarch64-linux-gnu.ini), and runs the meson tests under
# qemu-aarch64-static -cpu max: all of them in the posix build (the
# integration tests inside the root), the ones that depend on the backend
# in the numa and mte builds, and in the mte build its own suite (tag
# faults, docs/backends/mte.md), its fast-path count and the integration
# tests (python3, git, tar, a C++ program, with every block tagged).  Prints each
# step's time and ends with the summed counts.  Needs root.  Build
# directories: build-aarch64-<backend>/.
#   tools/ci/aarch64.sh [backend ...]     default: posix numa mte
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
backends=("$@")
[ "${#backends[@]}" = 0 ] && backends=(posix numa mte)

t0=$SECONDS
cross/binfmt.sh
root=$(cross/arm64-root.sh)
echo "=== aarch64: arm64 root $root ready in $((SECONDS - t0)) s"

root_ini=cross/arm64-root.ini
if [ "$root" != /var/cache/strata/arm64-root ]; then
	root_ini=$(mktemp --suffix=.ini)
	trap 'rm -f "$root_ini"' EXIT
	printf "[constants]\narm64_root = '%s'\n" "$root" >"$root_ini"
fi

pass=0 fail=0 skip=0
for b in "${backends[@]}"; do
	t1=$SECONDS
	out=$(mktemp)
	status=0
	# Emulation is 5 to 20 times slower than the machine: timeouts x 4.
	args="--timeout-multiplier 4"
	# The unit and api suites run the core on the fake backend: the same
	# programs in every build, so the posix build runs them for all.
	[ "$b" = posix ] || args+=" --suite backend --suite dropin --suite memory"
	# Real programs on tagged memory: a stray access faults there.
	[ "$b" = mte ] && args+=" --suite mte --suite perf --suite integration"
	STRATA_BUILD_DIR="build-aarch64-$b" STRATA_TEST_ARGS="$args" \
		tools/ci/meson_suite.sh "$b" --werror \
		--cross-file "$root_ini" --cross-file cross/aarch64-linux-gnu.ini \
		2>&1 | tee "$out" || status=$?
	counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1 | sed -E 's/[^0-9]+/ /g') || true
	rm -f "$out"
	read -r p f s <<<"${counts:-0 1 0}"
	[ "$status" != 0 ] && [ "$f" = 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "=== aarch64 $b: $((SECONDS - t1)) s, $p passed, $f failed, $s skipped"
done
echo "=== aarch64: total $((SECONDS - t0)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
