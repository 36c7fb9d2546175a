#!/usr/bin/env bash
# Makes the arm64 Debian root the AArch64 build and test stage use: the
# sysroot the cross compiler links against (Criterion, libc, libstdc++) and
# the system the suites run in under qemu-user (the integration tests run
# arm64 python3, git, tar ... inside it with chroot).  Rebuilt when missing
# or when its package list changed; otherwise left as it is.
#   cross/arm64-root.sh            make or check the root, print its path
# Environment: STRATA_ARM64_ROOT (default /var/cache/strata/arm64-root),
# STRATA_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# STRATA_ARM64_ROOT_MAX_DAYS (default 30).
# Needs root (debootstrap, chroot) and binfmt_misc for arm64
# (cross/binfmt.sh), as the arm64 half of debootstrap runs under qemu.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${STRATA_ARM64_ROOT:-/var/cache/strata/arm64-root}
mirror=${STRATA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

# What the suites need inside the root.  Changing this list rebuilds it.
packages=(
	libc6-dev libcriterion-dev libstdc++-12-dev
	gcc python3 git gawk gzip tar diffutils jq prometheus
)
stamp="$suite ${packages[*]}"

max_days=${STRATA_ARM64_ROOT_MAX_DAYS:-30}
if [ -f "$root/.strata-stamp" ] && [ "$(cat "$root/.strata-stamp")" = "$stamp" ] &&
	[ -z "$(find "$root/.strata-stamp" -mtime +"$max_days")" ]; then
	echo "$root"
	exit 0
fi

# Removes a root, first unmounting what a failed debootstrap left mounted
# in it (proc, sys); never crosses into another file system.
drop() {
	[ -e "$1" ] || return 0
	findmnt -rn -o TARGET | grep -F "$1/" | sort -r | xargs -r -n1 umount -l
	rm -rf --one-file-system "$1"
}

"$here/binfmt.sh"
t0=$SECONDS
echo "arm64-root: building $root (debootstrap $suite arm64 from $mirror)" >&2
drop "$root.new"
mkdir -p "$(dirname "$root")"
# One comma-separated list; minbase keeps the root small (about 600 MB).
include=$(IFS=,; echo "${packages[*]}")
debootstrap --arch=arm64 --variant=minbase --include="$include" \
	"$suite" "$root.new" "$mirror" >"$root.new.log" 2>&1 || {
	tail -20 "$root.new.log" >&2
	echo "arm64-root: debootstrap failed (log: $root.new.log)" >&2
	exit 1
}
rm -rf "$root.new/var/cache/apt/archives/"*.deb
echo "$stamp" >"$root.new/.strata-stamp"
drop "$root"
mv "$root.new" "$root"
rm -f "$root.new.log"
echo "arm64-root: built in $((SECONDS - t0)) s" >&2
echo "$root"
