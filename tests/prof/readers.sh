#!/usr/bin/env bash
# The profiler's dumps read by the standard tools: runs the e2e program
# (two call sites, known byte totals), then jeprof (heap_v2), google-pprof
# (gperftools' heap format) and go tool pprof (profile.proto), and checks
# that each reader names both sites with their in-use and allocated bytes
# within TOLERANCE percent of the totals.  With lg_sample 12 a site's
# estimate has a relative standard error of sqrt(4096 / bytes): 1.8 % for
# the smallest total (12 MiB), so 8 % is more than four of them.
#   readers.sh E2E_PROGRAM [WORKDIR]
set -uo pipefail
prog=$1
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/strata-prof.XXXXXX")}
mkdir -p "$work"
TOLERANCE=8
pass=0 fail=0 skip=0

"$prog" "$work/prof" 12 >"$work/e2e.out" 2>"$work/leak.txt" || {
	echo "not ok - e2e program failed"; cat "$work/e2e.out" "$work/leak.txt"
	echo "0 passed, 1 failed, 0 skipped"; exit 1; }
cat "$work/e2e.out"
dump_of() { awk -v k="$1" '$1 == "dump" && $2 == k { print $3 }' "$work/e2e.out"; }
want_of() { awk -v s="$1" -v k="$2" '$1 == "site" && $2 == s {
	for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$work/e2e.out"; }

# check READER KIND OUTPUT_FILE: each site's flat bytes (first column,
# optionally suffixed B) in OUTPUT_FILE against the expected KIND bytes.
check() {
	local reader=$1 kind=$2 out=$3 site want got
	for site in ${check_sites:-site_small_blocks site_large_blocks}; do
		want=$(want_of "$site" "${kind}_bytes")
		got=$(awk -v s="$site" '$NF == s { sub(/B$/, "", $1); print $1; exit }' "$out")
		if [ -z "$got" ]; then
			echo "not ok - $reader $kind: $site missing"; fail=$((fail + 1))
			sed -n 1,12p "$out"
			continue
		fi
		err=$(awk -v g="$got" -v w="$want" 'BEGIN { d = (g - w) / w * 100; printf "%.2f", d }')
		if awk -v e="$err" -v t="$TOLERANCE" 'BEGIN { exit !(e <= t && e >= -t) }'; then
			echo "ok - $reader $kind: $site $got B, allocated $want B, error $err %"
			pass=$((pass + 1))
		else
			echo "not ok - $reader $kind: $site $got B, allocated $want B, error $err % (over $TOLERANCE %)"
			fail=$((fail + 1))
		fi
	done
}

heap=$(dump_of heap) gheap=$(dump_of gheap) pb=$(dump_of pb) json=$(dump_of json)
if command -v jeprof >/dev/null; then
	jeprof --text --show_bytes "$prog" "$heap" >"$work/jeprof.inuse" 2>&1
	jeprof --text --show_bytes --alloc_space "$prog" "$heap" >"$work/jeprof.alloc" 2>&1
	cat "$work/jeprof.inuse"
	check jeprof inuse "$work/jeprof.inuse"
	check jeprof alloc "$work/jeprof.alloc"
	# --base: what was freed between the two dumps, as negative bytes.
	jeprof --text --show_bytes --base="$(dump_of heap_before_free)" "$prog" "$heap" \
		>"$work/jeprof.base" 2>&1
	cat "$work/jeprof.base"
	check_sites=site_small_blocks check "jeprof --base" freed "$work/jeprof.base"
else
	echo "skipped: jeprof not installed (libjemalloc-dev)"; skip=$((skip + 1))
fi
if command -v google-pprof >/dev/null; then
	google-pprof --text --show_bytes "$prog" "$gheap" >"$work/gpprof.inuse" 2>&1
	google-pprof --text --show_bytes --alloc_space "$prog" "$gheap" >"$work/gpprof.alloc" 2>&1
	check google-pprof inuse "$work/gpprof.inuse"
	check google-pprof alloc "$work/gpprof.alloc"
else
	echo "skipped: google-pprof not installed (google-perftools)"; skip=$((skip + 1))
fi
if command -v go >/dev/null; then
	export HOME=${HOME:-$work} GOCACHE=${GOCACHE:-$work/gocache} PPROF_TMPDIR=$work
	go tool pprof -top -unit=B -sample_index=inuse_space "$prog" "$pb" >"$work/pprof.inuse" 2>&1
	go tool pprof -top -unit=B -sample_index=alloc_space "$prog" "$pb" >"$work/pprof.alloc" 2>&1
	cat "$work/pprof.inuse"
	check "go tool pprof" inuse "$work/pprof.inuse"
	check "go tool pprof" alloc "$work/pprof.alloc"
else
	echo "skipped: go not installed (golang-go)"; skip=$((skip + 1))
fi
# The recent ring: valid JSON holding its 8 newest samples.
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["recent_alloc"]
assert d["recent_alloc_max"] == 8 and len(r) == 8, (d["recent_alloc_max"], len(r))
assert all(e["size"] == 16384 and e["alloc_trace"] and not e["released"] for e in r)
' "$json"; then
	echo "ok - recent ring JSON: 8 entries"; pass=$((pass + 1))
else
	echo "not ok - recent ring JSON"; fail=$((fail + 1))
fi
# The leak report names both stacks.
if grep -q '^<strata>: Leak approximation summary: ~[0-9]* bytes, ~[0-9]* objects, >= 2 contexts' "$work/leak.txt" &&
	[ "$(grep -c '^<strata>:   ~' "$work/leak.txt")" = 2 ]; then
	echo "ok - leak report: 2 contexts"; pass=$((pass + 1))
else
	echo "not ok - leak report"; cat "$work/leak.txt"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
