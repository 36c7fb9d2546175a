#!/bin/bash
# Sort a large generated text file with GNU sort, with and without the
# allocator preloaded, in several buffer/thread configurations, and compare
# the results.
#
# usage: sort_large.sh <libstrata.so>
# env:   SORT_LINES  number of lines to generate (default 2000000)
#        TMPDIR      parent directory for scratch files (needs ~250 MB)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"
it_need sort awk cmp

sort_bin=$(command -v sort)
it_check_preload "$sort_bin" --version

lines=${SORT_LINES:-2000000}
input="$IT_SCRATCH/input.txt"

# Deterministic pseudo-random input: Park-Miller generator (exact in double
# precision, so every awk produces the same file).
awk -v n="$lines" 'BEGIN {
    split("amber basil cedar delta ember fjord garnet harbor indigo jasper " \
          "kestrel lumen maple nectar onyx pepper quartz raven saffron " \
          "thistle umber violet willow xenon yarrow zephyr", w, " ")
    chars = "qwertyuiopasdfghjklzxcvbnmQWERTYUIOPASDFGHJKLZXCVBNM"
    nw = 26; x = 12345
    for (i = 0; i < n; i++) {
        x = (x * 16807) % 2147483647
        a = x % nw + 1; b = int(x / nw) % nw + 1; num = int(x / 676) % 1000000
        x = (x * 16807) % 2147483647
        len = x % 24
        tail = substr(chars, int(x / 24) % 28 + 1, len)
        printf "%s %s %06d %d %s\n", w[a], w[b], num, x % 997, tail
    }
}' </dev/null >"$input" || it_fail "cannot generate input file"

size=$(wc -c <"$input")
it_log "input: $lines lines, $size bytes"

tmpd="$IT_SCRATCH/sorttmp"
mkdir -p "$tmpd"

# Reference output, plain run.
sort -S 512M --parallel=1 -T "$tmpd" "$input" >"$IT_SCRATCH/ref.out" 2>"$IT_SCRATCH/ref.err" ||
    it_fail "sort failed without LD_PRELOAD: $(head -n 1 "$IT_SCRATCH/ref.err")"
ref_lines=$(wc -l <"$IT_SCRATCH/ref.out")
[ "$ref_lines" -eq "$lines" ] || it_fail "reference sort produced $ref_lines lines, expected $lines"

# name | sort options
run_pre() {
    name=$1
    shift
    LD_PRELOAD="$IT_LIB" sort "$@" -T "$tmpd" "$input" >"$IT_SCRATCH/$name.out" 2>"$IT_SCRATCH/$name.err" ||
        it_fail "sort $* failed with LD_PRELOAD (status $?): $(head -n 1 "$IT_SCRATCH/$name.err" | cut -c1-160)"
    cmp -s "$IT_SCRATCH/ref.out" "$IT_SCRATCH/$name.out" ||
        it_fail "sort $* output differs with LD_PRELOAD ($(cmp "$IT_SCRATCH/ref.out" "$IT_SCRATCH/$name.out" 2>&1 | head -n 1))"
    rm -f "$IT_SCRATCH/$name.out"
}

# One big in-memory buffer, single thread.
run_pre big1 -S 512M --parallel=1
# Big buffer, two sorting threads (allocations and frees across threads).
run_pre big2 -S 512M --parallel=2
# Small buffer: many temporary runs that are merged back (-S forces spills).
run_pre small -S 8M --parallel=2

# Key-based sort with a different comparator; compare against a plain run.
sort -S 256M -t ' ' -k3,3n -k1,1 -k5,5r "$input" >"$IT_SCRATCH/key.base" 2>/dev/null ||
    it_fail "keyed sort failed without LD_PRELOAD"
LD_PRELOAD="$IT_LIB" sort -S 256M -t ' ' -k3,3n -k1,1 -k5,5r "$input" >"$IT_SCRATCH/key.pre" 2>"$IT_SCRATCH/key.err" ||
    it_fail "keyed sort failed with LD_PRELOAD: $(head -n 1 "$IT_SCRATCH/key.err" | cut -c1-160)"
cmp -s "$IT_SCRATCH/key.base" "$IT_SCRATCH/key.pre" ||
    it_fail "keyed sort (-k3,3n -k1,1 -k5,5r) output differs with LD_PRELOAD"

exit 0
