#!/usr/bin/env bash
# CI: what is installed around the library and the Rust crates.  Builds
# and installs strata under a temporary prefix, runs the install test
# (tests/install/install_test.sh: out-of-tree builds through pkg-config
# and strata-config, the strata wrapper, the man pages, tools/run.sh),
# then the Rust crates' tests (rust/test.sh) against the installed prefix
# and against the uninstalled build.  Ends with the summed counts.
#   tools/ci/tools.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-tools.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck source=parts.sh
. "$top/tools/ci/parts.sh"

t0=$SECONDS
run_part "$top/tests/install/install_test.sh" "$work"
echo "install test: $((SECONDS - t0)) s"
if [ -x "$top/rust/test.sh" ]; then
	t0=$SECONDS
	run_part "$top/rust/test.sh" "$work/build" "$work/prefix"
	echo "rust test: $((SECONDS - t0)) s"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
