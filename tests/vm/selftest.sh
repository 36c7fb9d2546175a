#!/usr/bin/env bash
# selftest.sh - build selftest.c statically and run it in 2- and 3-node VMs.
#
# usage: selftest.sh [NODES...]      (default: 2 3)
#
# Needs tests/vm/setup.sh to have been run. Environment: CC (default cc),
# plus everything run.sh reads. Exits non-zero if any run fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CC=${CC:-cc}
(($#)) || set -- 2 3

out=$(mktemp -d "${TMPDIR:-/tmp}/strata-vm-selftest.XXXXXX")
trap 'rm -rf "$out"' EXIT

# The getaddrinfo link warning comes from libnuma's unused affinity code.
"$CC" -O2 -Wall -Wextra -static -o "$out/selftest" "$here/selftest.c" -lnuma \
	2> >(grep -v -e getaddrinfo -e 'in function .affinity_ip' >&2)

status=0
for n in "$@"; do
	start=$SECONDS
	if "$here/run.sh" --nodes "$n" -- "$out/selftest"; then
		echo "selftest.sh: $n nodes: PASS ($((SECONDS - start))s)"
	else
		rc=$?
		echo "selftest.sh: $n nodes: FAIL (exit $rc, $((SECONDS - start))s)"
		status=1
	fi
done
exit "$status"
