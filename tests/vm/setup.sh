#!/usr/bin/env bash
# setup.sh - prepare the host for tests/vm/run.sh (idempotent).
#
#  * installs qemu-system-x86, busybox-static, cpio and libnuma-dev with apt
#    (only the ones that are missing; uses sudo when not root);
#  * downloads the current Debian amd64 kernel package with `apt-get download`
#    into the cache directory and extracts its /boot (vmlinuz + config).
#
# Cache directory: $STRATA_VM_CACHE, else $XDG_CACHE_HOME/strata-vm,
# else ~/.cache/strata-vm.
#
# Environment:
#   STRATA_VM_CACHE       cache directory (see above)
#   STRATA_VM_KERNEL_PKG  kernel package to use instead of the one the
#                         linux-image-amd64 metapackage depends on
#   STRATA_VM_NO_APT=1    do not install packages, only check for them
#
# On success the kernel is available as $CACHE/vmlinuz (a symlink).
set -euo pipefail

log() { printf 'vm-setup: %s\n' "$*" >&2; }
die() { printf 'vm-setup: error: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
fi

CACHE=${STRATA_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-vm}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

SUDO=
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null 2>&1 && SUDO=sudo
fi

# ---------------------------------------------------------------- packages
# package -> file that proves it is installed
declare -A need=(
	[qemu-system-x86]=/usr/bin/qemu-system-x86_64
	[busybox-static]=/bin/busybox
	[cpio]=/usr/bin/cpio
	[libnuma-dev]=/usr/include/numa.h
)
missing=()
for pkg in "${!need[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done
if ((${#missing[@]})); then
	if [[ ${STRATA_VM_NO_APT:-0} == 1 ]]; then
		die "missing packages: ${missing[*]} (STRATA_VM_NO_APT=1 set)"
	fi
	log "installing: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		-o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
else
	log "packages present: ${!need[*]}"
fi
for pkg in "${!need[@]}"; do
	[[ -e ${need[$pkg]} ]] || die "$pkg installed but ${need[$pkg]} is missing"
done
# busybox must be the static build: it runs as the guest's whole userland.
if command -v readelf >/dev/null 2>&1 && readelf -l /bin/busybox | grep -q 'program interpreter'; then
	die "/bin/busybox is dynamically linked; install busybox-static (it replaces busybox)"
fi
if [[ ! -e /usr/lib/x86_64-linux-gnu/libnuma.a ]]; then
	log "warning: libnuma-dev ships no libnuma.a here; static -lnuma builds will fail"
fi

# ------------------------------------------------------------------ kernel
resolve_kernel_pkg() {
	if [[ -n ${STRATA_VM_KERNEL_PKG:-} ]]; then
		printf '%s\n' "$STRATA_VM_KERNEL_PKG"
		return
	fi
	# linux-image-amd64 (metapackage) -> linux-image-<abi>-amd64 (signed).
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	[[ -n $dep ]] || die "cannot resolve linux-image-amd64 (run apt-get update?)"
	# Prefer the -unsigned build (same kernel, no Secure Boot signature).
	if apt-cache show "$dep-unsigned" >/dev/null 2>&1; then
		printf '%s\n' "$dep-unsigned"
	else
		printf '%s\n' "$dep"
	fi
}

KPKG=$(resolve_kernel_pkg)
KDIR=$CACHE/kernel/$KPKG
if compgen -G "$KDIR/boot/vmlinuz-*" >/dev/null; then
	log "kernel $KPKG already in cache"
else
	log "downloading $KPKG"
	mkdir -p "$CACHE/debs"
	apt_opts=()
	# As root, apt drops privileges to _apt, which may not write to the cache.
	[[ $(id -u) -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
	(cd "$CACHE/debs" && apt-get download -q "${apt_opts[@]}" "$KPKG") ||
		die "apt-get download $KPKG failed"
	debs=("$CACHE/debs/${KPKG}"_*.deb)
	[[ -f ${debs[0]} ]] || die "apt-get download produced no ${KPKG}_*.deb"
	deb=${debs[${#debs[@]} - 1]} # highest version if several
	log "extracting /boot from $(basename "$deb")"
	rm -rf "$KDIR.tmp"
	mkdir -p "$KDIR.tmp"
	# Only /boot is needed (vmlinuz, config); the modules are ~400 MB.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$KDIR.tmp" --wildcards './boot/*'
	compgen -G "$KDIR.tmp/boot/vmlinuz-*" >/dev/null || die "no vmlinuz in $deb"
	rm -rf "$KDIR"
	mv "$KDIR.tmp" "$KDIR"
	rm -f "$deb" # the .deb itself is no longer needed
fi

vmlinuzes=("$KDIR"/boot/vmlinuz-*)
vmlinuz=${vmlinuzes[0]}
configs=("$KDIR"/boot/config-*)
config=${configs[0]}
[[ -f $config ]] || config=''
if [[ -n $config ]]; then
	for opt in CONFIG_NUMA CONFIG_BLK_DEV_INITRD CONFIG_DEVTMPFS CONFIG_SERIAL_8250_CONSOLE CONFIG_MIGRATION; do
		grep -q "^$opt=y" "$config" || log "warning: $opt is not built in ($config)"
	done
fi
ln -sfn "${vmlinuz#"$CACHE"/}" "$CACHE/vmlinuz"
log "kernel: $CACHE/vmlinuz -> ${vmlinuz#"$CACHE"/}"
log "ready"
