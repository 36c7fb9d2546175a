#!/bin/bash
# Run the threaded C++ container workload (cxx_map.cpp) with and without the
# allocator preloaded and compare the printed checksums.
#
# usage: cxx_map.sh <libstrata.so> [prebuilt cxx_map binary]
# Without a prebuilt binary the program is compiled with g++ (or $CXX) into
# the scratch directory.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"

prog=${2:-}
if [ -n "$prog" ]; then
    [ -x "$prog" ] || it_fail "prebuilt program '$prog' is not executable"
    prog=$(readlink -f -- "$prog")
else
    cxx=${CXX:-g++}
    it_need "$cxx"
    prog="$IT_SCRATCH/cxx_map"
    "$cxx" -std=c++17 -O2 -pthread -o "$prog" "$here/cxx_map.cpp" 2>"$IT_SCRATCH/build.err" ||
        it_fail "cannot compile cxx_map.cpp: $(head -n 1 "$IT_SCRATCH/build.err" | cut -c1-160)"
fi

it_check_preload "$prog" 1

rounds=$((150 / IT_SHRINK))
it_run_both cxx_map "$prog" "$rounds"
grep -q '^total [0-9a-f]\{16\}$' "$IT_SCRATCH/cxx_map.base" ||
    it_fail "cxx_map did not print a total checksum"

# A second preloaded run: the result must not depend on thread interleaving.
LD_PRELOAD="$IT_LIB" "$prog" "$rounds" >"$IT_SCRATCH/cxx_map.pre2" 2>"$IT_SCRATCH/cxx_map.pre2.err" </dev/null ||
    it_fail "cxx_map exited with status $? on the second preloaded run: $(head -n 1 "$IT_SCRATCH/cxx_map.pre2.err" | cut -c1-160)"
it_compare "cxx_map (second run)" "$IT_SCRATCH/cxx_map.base" "$IT_SCRATCH/cxx_map.pre2"

exit 0
