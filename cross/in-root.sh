#!/usr/bin/env bash
# Runs a command inside the arm64 root, with the given directories of the
# build machine visible at the same paths, so a test script finds its source
# files and the library under test where meson said they are.  Each run has
# its own mount namespace: nothing stays mounted afterwards and parallel
# runs do not interfere.  Arm64 programs run through binfmt_misc.
#   cross/in-root.sh ROOT DIR[:DIR...] COMMAND [ARGS...]
# Needs root (unshare, mount, chroot).
set -euo pipefail
# meson test puts the root's bin directories on PATH in a cross build:
# the tools here are the build machine's.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
root=$1 dirs=$2
shift 2
[ -x "$root/bin/bash" ] || { echo "in-root: no arm64 root at $root" >&2; exit 1; }
exec unshare --mount --propagation private /bin/bash -c '
	set -e
	root=$1 dirs=$2 cwd=$3
	shift 3
	mount --rbind /proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount -t tmpfs tmpfs "$root/tmp"
	IFS=: read -r -a list <<<"$dirs"
	for d in "${list[@]}"; do
		mkdir -p "$root$d"
		mount --bind "$d" "$root$d"
	done
	exec chroot "$root" /usr/bin/env -u LD_PRELOAD -u QEMU_LD_PREFIX \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TMPDIR=/tmp \
		/bin/bash -c "cd \"\$1\" 2>/dev/null || cd /; shift; exec \"\$@\"" in-root "$cwd" "$@"
' in-root "$root" "$dirs" "$PWD" "$@"
