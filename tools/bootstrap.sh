#!/usr/bin/env bash
# Installs what building and testing strata needs, from Debian's archive.
# Idempotent: packages already present are not fetched again.
#   tools/bootstrap.sh            build + test dependencies
#   tools/bootstrap.sh --run      only what tools/run.sh needs
set -euo pipefail

run_only=0
[ "${1:-}" = "--run" ] && run_only=1

packages=(meson ninja-build pkg-config gcc libc6-dev time bc libunwind-dev)
if [ "$run_only" = 0 ]; then
	packages+=(
		g++ clang libcriterion-dev python3 git coreutils gawk gzip tar
		binutils valgrind libnuma-dev libmemkind-dev
		prometheus prometheus-node-exporter curl jq
		libjemalloc-dev redis-server redis-tools
		rustc cargo mandoc groff-base man-db
		libjemalloc-dev golang-go google-perftools
		gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user-static
		binfmt-support debootstrap
		libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 gnuplot-nox
	)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ "${#missing[@]}" = 0 ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
