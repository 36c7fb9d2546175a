#!/usr/bin/env bash
# Lets the kernel run arm64 ELF files through qemu-aarch64-static, so an
# arm64 program can fork and exec another one (Criterion execs its test
# workers; git and the shell scripts exec their tools).  Mounts binfmt_misc
# when it is not mounted and enables Debian's qemu-aarch64 entry, which has
# the F flag: the interpreter is opened now, so it works inside a chroot.
# Idempotent; needs root.
set -euo pipefail
dir=/proc/sys/fs/binfmt_misc
[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir"
if ! grep -qs '^enabled' "$dir/qemu-aarch64"; then
	update-binfmts --enable qemu-aarch64 >/dev/null
fi
grep -q '^flags: .*F' "$dir/qemu-aarch64" || {
	echo "binfmt: qemu-aarch64 is registered without the F flag" >&2
	exit 1
}
