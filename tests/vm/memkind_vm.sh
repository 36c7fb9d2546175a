#!/usr/bin/env bash
# memkind_vm.sh - run a dynamically linked test binary (libstrata.so with
# the memkind backend) in the 3-node QEMU VM.
#
# usage: memkind_vm.sh BINARY [NODES]      (default: 3 nodes)
#
# The guest runs static busybox only, so the binary's dynamic loader and
# its shared-library closure (ldd: libstrata, libmemkind, libnuma,
# libdaxctl, libhwloc, ...) go into the initramfs at the paths the loader
# looks for; libstrata.so is found through the binary's RUNPATH
# ($ORIGIN/.., and the binary runs as /test/NAME).  Exit codes as
# numa_vm.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=${1:?usage: memkind_vm.sh BINARY [NODES]}
nodes=${2:-3}

if ! "$here/setup.sh" >/dev/null 2>"${TMPDIR:-/tmp}/strata-vm-setup.$$"; then
	cat "${TMPDIR:-/tmp}/strata-vm-setup.$$" >&2
	rm -f "${TMPDIR:-/tmp}/strata-vm-setup.$$"
	echo "memkind_vm.sh: tests/vm/setup.sh failed; cannot run the VM test" >&2
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/strata-vm-setup.$$"

files=()
build_dir=$(cd "$(dirname "$binary")/.." && pwd)
while read -r path; do
	case $path in
	"$build_dir"/*) files+=(--file "$path:/$(basename "$path")") ;;
	*) files+=(--file "$path:$path") ;;
	esac
done < <(ldd "$binary" | grep -o '/[^ ]*' | sort -u)
# 768 MiB per node: the library closure unpacked on node 0 takes a good
# part of a smaller node, and the DEFAULT arena's pages (no binding) spill
# off it when node 0 runs short (at 512 MiB, 512 of 3734 pages once did).
exec "$here/run.sh" --nodes "$nodes" --mem-per-node 768 --timeout 280 \
	"${files[@]}" -- "$binary"
