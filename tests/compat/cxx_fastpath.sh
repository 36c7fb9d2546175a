#!/usr/bin/env bash
# Instructions per C++ new+delete pair of a small object (cxx_pairs.cpp)
# with libstrata.so preloaded, counted by callgrind over n and 2n pairs so
# start-up and exit cancel.  The loop and the object's zeroing are in the
# figure.  Before the live-byte check of double and invalid frees, the pair
# cost 92 through libstdc++'s operator new (a call into malloc) and 85
# through strata's own operators; the check adds its share (free 33 -> 45,
# malloc 23 -> 25), so the budget is 102.
#   tests/compat/cxx_fastpath.sh LIBSTRATA_SO [BUDGET]
set -euo pipefail
lib=$(readlink -f "$1")
budget=${2:-102}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-cxx.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v valgrind >/dev/null && command -v c++ >/dev/null || {
	echo "skip: valgrind or c++ missing"
	exit 77
}
c++ -O2 -std=c++17 -o "$work/pairs" "$here/cxx_pairs.cpp"
n=100000
ir() {
	STRATA_CONF=background_thread:false LD_PRELOAD=$lib valgrind \
		--tool=callgrind --callgrind-out-file="$work/cg" "$work/pairs" "$1" \
		2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
}
i1=$(ir $n)
i2=$(ir $((2 * n)))
per=$(( (i2 - i1 + n / 2) / n ))
echo "C++ new+delete pair (32-byte object, loop included): $per instructions (budget $budget)"
[ "$per" -le "$budget" ] && [ "$per" -ge 20 ]
