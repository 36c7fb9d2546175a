#!/usr/bin/env bash
# The Rust crates' tests (cargo test over the workspace, offline, one test
# at a time), built twice against a strata that tools/ci/tools.sh built:
#   1. the installed one, found by strata-sys's build.rs through pkg-config,
#      linked shared;
#   2. the uninstalled build directory (STRATA_LIB_DIR), linked static
#      (STRATA_STATIC=1).
# Uses Debian's rustc and cargo when present (what CI installs), else the
# ones on PATH.  Ends with the summed counts of cargo's "test result" lines.
#   rust/test.sh BUILD_DIR PREFIX
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) prefix=$(cd "$2" && pwd)
cargo=cargo
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
	cargo=/usr/bin/cargo
	export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
fi
command -v "$cargo" >/dev/null || { echo "rust: 0 passed, 0 failed, 1 skipped (no cargo)"; exit 0; }
echo "rust: $("$cargo" --version), $("${RUSTC:-rustc}" --version)"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$build/rust-target}
cd "$here"

pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# run LABEL ENV...: cargo test with ENV, adding its counts; then checks
# that the test program needs libstrata.so $want_needed times.
run() {
	local label=$1 status=0
	shift
	echo "--- rust tests, $label"
	env "$@" "$cargo" test --offline -- --test-threads=1 --nocapture >"$log" 2>&1 ||
		status=$?
	grep -E '^(test |64 MiB|dropped|arena )|panicked|^error' "$log" | grep -v '^test result'
	local p f i
	read -r p f i < <(awk '/^test result:/ {
		for (k = 1; k <= NF; k++) {
			if ($(k + 1) ~ /^passed/) p += $k
			if ($(k + 1) ~ /^failed/) f += $k
			if ($(k + 1) ~ /^ignored/) i += $k
		} } END { print p + 0, f + 0, i + 0 }' "$log")
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then
		f=1; tail -30 "$log"
	fi
	# The link really is the one asked for: shared needs libstrata.so.
	local exe needed
	exe=$(ls -t "$CARGO_TARGET_DIR"/debug/deps/effects-* | grep -v '\.d$' | head -1)
	needed=$(readelf -d "$exe" | grep -c 'NEEDED.*libstrata' || true)
	if [ "$want_needed" != "$needed" ]; then
		echo "FAIL: $exe: libstrata NEEDED $needed times, expected $want_needed"
		f=$((f + 1))
	else
		p=$((p + 1)); echo "ok: the test program links libstrata $label"
	fi
	echo "$label: $p passed, $f failed, $i ignored"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + i))
}

libdir=$("$prefix/bin/strata-config" --libdir)
want_needed=1
run "installed strata through pkg-config, shared" \
	PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir" \
	STRATA_LIB_DIR= STRATA_STATIC=
want_needed=0
run "uninstalled build directory, static" \
	STRATA_LIB_DIR="$build" STRATA_STATIC=1 PKG_CONFIG_PATH=/nonexistent
echo "rust: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
