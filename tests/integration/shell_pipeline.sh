#!/bin/bash
# Everyday command-line tools (awk, tar, gzip, sort) with the allocator
# preloaded; their outputs are compared with plain runs.
#
# usage: shell_pipeline.sh <libstrata.so>
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"
it_need awk tar gzip gunzip sort sha256sum cmp diff

it_check_preload "$(command -v awk)" 'BEGIN { exit 0 }'
it_check_preload "$(command -v tar)" --version
it_check_preload "$(command -v gzip)" --version

S=$IT_SCRATCH
export TZ=UTC

# ---- input data (generated once, without the preload) ----------------------
awk -v n=$((400000 / IT_SHRINK)) 'BEGIN {
    x = 4242
    split("north south east west centre", region, " ")
    for (i = 0; i < n; i++) {
        x = (x * 16807) % 2147483647
        r = region[x % 5 + 1]
        k = "item" (int(x / 5) % 5000)
        printf "%s,%s,%d,%d.%02d\n", r, k, int(x / 25000) % 100, x % 1000, x % 100
    }
}' </dev/null >"$S/records.csv" || it_fail "cannot generate records.csv"

mkdir -p "$S/tree"
awk -v dir="$S/tree" 'BEGIN {
    x = 777
    for (d = 0; d < 12; d++) {
        for (f = 0; f < 40; f++) {
            x = (x * 16807) % 2147483647
            name = sprintf("%s/dir%02d/file%03d.txt", dir, d, f)
            if (f == 0) system("mkdir -p \"" dir "/dir" sprintf("%02d", d) "\"")
            n = x % 300
            for (l = 0; l < n; l++) {
                x = (x * 16807) % 2147483647
                printf "line %d of %s: %x %d\n", l, name, x, x % 977 > name
            }
            close(name)
        }
    }
}' </dev/null || it_fail "cannot generate the file tree"
# A few empty files and a larger binary-ish file.
: >"$S/tree/dir00/empty1"
: >"$S/tree/dir05/empty2"
head -c 3000000 "$S/records.csv" | tr ',.0-9' '\001\377a-j' >"$S/tree/blob.bin"
find "$S/tree" -exec touch -h -d '@1600000000' {} +

# ---- awk aggregation --------------------------------------------------------
# Associative arrays with thousands of keys, string concatenation, sorting
# of the aggregate.
aggregate='
awk -F, '"'"'
    { sum[$1 "/" $2] += $4; cnt[$1 "/" $2]++; tot[$1] += $3
      if (!($2 in first)) first[$2] = $0
      hist[$3] = hist[$3] substr($2, 5, 1) }
    END {
        for (k in sum) printf "%s %d %.2f\n", k, cnt[k], sum[k]
        for (r in tot) printf "region %s %d\n", r, tot[r]
        for (k in first) printf "first %s %s\n", k, first[k]
        for (h in hist) printf "hist %s %d %s\n", h, length(hist[h]), substr(hist[h], 1, 40)
    }'"'"' "$1" | sort
'
it_run_both awk_aggregate bash -c "$aggregate" aggregate "$S/records.csv"
[ -s "$S/awk_aggregate.base" ] || it_fail "awk aggregation produced no output"

# ---- tar czf / tar tzf / extraction ----------------------------------------
tar_opts="--sort=name --owner=0 --group=0 --numeric-owner --mtime=@1600000000 --format=gnu"
tar $tar_opts -czf "$S/tree.base.tgz" -C "$S" tree ||
    it_fail "tar czf failed without LD_PRELOAD"
LD_PRELOAD="$IT_LIB" tar $tar_opts -czf "$S/tree.pre.tgz" -C "$S" tree 2>"$S/tar.err" ||
    it_fail "tar czf failed with LD_PRELOAD: $(head -n 1 "$S/tar.err" | cut -c1-160)"
cmp -s "$S/tree.base.tgz" "$S/tree.pre.tgz" ||
    it_fail "tar czf archive bytes differ with LD_PRELOAD"

it_run_both tar_list tar tzvf "$S/tree.base.tgz"
[ "$(grep -c 'file[0-9]*\.txt$' "$S/tar_list.base")" -eq 480 ] ||
    it_fail "tar tzf listing does not contain the 480 generated files"

mkdir -p "$S/extract"
LD_PRELOAD="$IT_LIB" tar xzf "$S/tree.pre.tgz" -C "$S/extract" 2>"$S/untar.err" ||
    it_fail "tar xzf failed with LD_PRELOAD: $(head -n 1 "$S/untar.err" | cut -c1-160)"
diff -r "$S/tree" "$S/extract/tree" >/dev/null 2>&1 ||
    it_fail "tree extracted with LD_PRELOAD differs from the original"

# ---- gzip -9 / gunzip round trip ---------------------------------------------
cat "$S/records.csv" "$S/tree/blob.bin" >"$S/big.dat"
gzip -9 -n -c "$S/big.dat" >"$S/big.base.gz" || it_fail "gzip -9 failed without LD_PRELOAD"
LD_PRELOAD="$IT_LIB" gzip -9 -n -c "$S/big.dat" >"$S/big.pre.gz" 2>"$S/gzip.err" ||
    it_fail "gzip -9 failed with LD_PRELOAD: $(head -n 1 "$S/gzip.err" | cut -c1-160)"
cmp -s "$S/big.base.gz" "$S/big.pre.gz" || it_fail "gzip -9 output differs with LD_PRELOAD"
LD_PRELOAD="$IT_LIB" gunzip -c "$S/big.pre.gz" >"$S/big.out" 2>"$S/gunzip.err" ||
    it_fail "gunzip failed with LD_PRELOAD: $(head -n 1 "$S/gunzip.err" | cut -c1-160)"
cmp -s "$S/big.dat" "$S/big.out" || it_fail "gzip/gunzip round trip with LD_PRELOAD changed the data"

# ---- a longer pipeline, every stage preloaded -------------------------------
pipeline='gunzip -c "$1" | awk -F, "NF == 4 { print \$2, \$1 }" | sort -k1,1 -k2,2 | uniq -c | sort -rn -k1,1 -k2 | head -n 200 | gzip -1 -n | gunzip -c'
it_run_both pipeline bash -c "$pipeline" pipeline "$S/big.base.gz"

exit 0
