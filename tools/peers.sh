# shellcheck shell=bash
# peers.sh — sourced by tools/bench.sh, benchmarks/latency.sh and
# benchmarks/purge_cost.sh (find_lib only): where the peer allocators
# are, and installing what a benchmark run needs.
# The caller defines note and die (message to stderr; die exits).

find_lib() { # soname -> path, or nothing
	# (no early exit in awk: ldconfig must not get SIGPIPE under pipefail)
	ldconfig -p 2>/dev/null | awk -v n="$1" '$1 == n && !f { print $NF; f = 1 }'
}

find_pkg_lib() { # package soname -> path, or nothing
	dpkg -L "$1" 2>/dev/null | grep -m1 "/$2\$" || true
}

# A C compiler, python3 (the reports), gnuplot (the charts) and Debian's
# jemalloc, mimalloc and tcmalloc; dies without a compiler or python3, a
# missing peer or gnuplot is the caller's to skip.  $1: 1 to install what
# is missing (as root, with apt-get), else only to say what is.
peers_install() {
	local install=$1 missing=()
	command -v cc >/dev/null || missing+=(gcc libc6-dev)
	command -v python3 >/dev/null || missing+=(python3)
	command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
	[ -n "$(find_lib libjemalloc.so.2)" ] || missing+=(libjemalloc2)
	[ -n "$(find_lib libmimalloc.so.2)" ] || missing+=(libmimalloc2.0)
	[ -n "$(find_lib libtcmalloc_minimal.so.4)" ] || missing+=(libtcmalloc-minimal4)
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			note "installing: ${missing[*]}"
			export DEBIAN_FRONTEND=noninteractive
			apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
				{ apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; } ||
				note "could not install some packages; continuing without them"
		else
			note "missing (not installing): ${missing[*]}"
		fi
	fi
	command -v cc >/dev/null || die "no C compiler (cc)"
	command -v python3 >/dev/null || die "python3 is needed for the report"
}
