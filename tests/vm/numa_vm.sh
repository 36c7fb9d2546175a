#!/usr/bin/env bash
# numa_vm.sh - run a static test binary in a QEMU VM with several NUMA nodes.
#
# usage: numa_vm.sh BINARY [NODES]      (default: 3 nodes)
#
# Prepares the host first with setup.sh (idempotent: installs qemu, busybox
# and cpio if missing and fetches a kernel into the cache once), then boots
# the VM with run.sh.  Exits with the binary's exit code, 125 when the VM
# failed, 1 when the host could not be prepared.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=${1:?usage: numa_vm.sh BINARY [NODES]}
nodes=${2:-3}

if ! "$here/setup.sh" >/dev/null 2>"${TMPDIR:-/tmp}/strata-vm-setup.$$"; then
	cat "${TMPDIR:-/tmp}/strata-vm-setup.$$" >&2
	rm -f "${TMPDIR:-/tmp}/strata-vm-setup.$$"
	echo "numa_vm.sh: tests/vm/setup.sh failed; cannot run the VM test" >&2
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/strata-vm-setup.$$"
exec "$here/run.sh" --nodes "$nodes" --timeout 280 -- "$binary"
