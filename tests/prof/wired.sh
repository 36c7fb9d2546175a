#!/usr/bin/env bash
# The heap profiler wired into libstrata.so, end to end with jemalloc's
# option string and the standard readers:
#  1. the demo (tests/prof/demo.c, -O2 without frame pointers) under
#     MALLOC_CONF=prof:true,prof_prefix:P,prof_final:true: jeprof --text
#     and go tool pprof -top name both sites with their live bytes within
#     TOL19 % (at lg_prof_sample 19 a site of 24 MiB holds about 48
#     samples: relative standard error 14 %, so 45 % is over 3 of them);
#  2. the estimate: the same demo at lg_prof_sample:12 (about 6,000
#     samples a site, error 1.3 %), the heap_v2 dump parsed here, each
#     site within TOL12 %;
#  3. python3 (PYTHONMALLOC=malloc) under the same string: both readers
#     name CPython's exported allocating functions.
#  4. stress.c names its thread (thread.prof.name): the recent ring's
#     JSON (prof_recent.alloc_dump) carries the name;
#  5. stress.c under lg_prof_sample:4 (nearly every block sampled): the
#     bytes of every size class survive malloc/realloc/calloc/fork; the
#     blocks freed leave the profile (each free of a sampled block
#     reaches the profiler, a block reused from the cache is not counted);
#     a sampled small block freed twice is reported; xallocx does not
#     resize a sampled large block in place.
#   wired.sh LIBSTRATA_SO DEMO STRESS WORKDIR
set -uo pipefail
lib=$1 demo=$2 stress=$3 work=$4
TOL19=45 TOL12=8
rm -rf "$work"; mkdir -p "$work"
pass=0 fail=0 skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
within() { awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = (g - w) / w * 100; printf "%.1f", d; exit !(d <= t && d >= -t) }'; }
export HOME=${HOME:-$work} GOCACHE=${GOCACHE:-$work/gocache} PPROF_TMPDIR=$work

run_demo() { # PREFIX EXTRA_CONF
	MALLOC_CONF="prof:true,prof_prefix:$1,prof_final:true$2" LD_PRELOAD="$lib" "$demo" >"$1.out"
}
want_of() { awk -v s="$1" '$1 == "site" && $2 == s { print $3 }' "$2"; }

# check READER OUTPUT WANTFILE TOL: a site's flat bytes, first column.
check() {
	local site want got err
	for site in site_small_blocks site_large_blocks; do
		want=$(want_of "$site" "$3")
		got=$(awk -v s="$site" '$NF == s { sub(/B$/, "", $1); print $1; exit }' "$2")
		if [ -z "$got" ]; then bad "$1: $site missing"; sed -n 1,12p "$2"; continue; fi
		if err=$(within "$got" "$want" "$4"); then
			ok "$1: $site $got B, live $want B, error $err %"
		else
			bad "$1: $site $got B, live $want B, error $err % (over $4 %)"
		fi
	done
}

# 4 first: it is the quickest.
json="$work/recent.json"
if MALLOC_CONF=prof:true,lg_prof_sample:4,prof_recent_alloc_max:8 \
	LD_PRELOAD="$lib" "$stress" names "$json" &&
	grep -q '"alloc_thread_name": "stress-main"' "$json" &&
	grep -q '"free_thread_name": "stress-main"' "$json"; then
	ok "recent ring JSON names the allocating and freeing thread"
else
	bad "recent ring JSON lacks thread.prof.name"; cat "$json"
fi
if MALLOC_CONF=prof:true,lg_prof_sample:4 LD_PRELOAD="$lib" "$stress"; then
	ok "stress under lg_prof_sample:4: every byte intact"
else
	bad "stress under lg_prof_sample:4"
fi

# live_objs of a heap_v2 dump: its header's "heap_v2/RATE" line's next
# "t*: objs: bytes" line.
live_objs() { awk '$1 == "t*:" { sub(/:$/, "", $2); print $2; exit }' "$1"; }
if MALLOC_CONF=prof:true,lg_prof_sample:4 LD_PRELOAD="$lib" \
	"$stress" freed "$work/held.heap" "$work/freed.heap"; then
	held=$(live_objs "$work/held.heap") left=$(live_objs "$work/freed.heap")
	# 4096 blocks live, then none of them: what is left is the
	# program's own (stdio's buffer, the loader's).
	if [ "${held:-0}" -ge 3000 ] && [ "${left:-99999}" -le 16 ]; then
		ok "sampled blocks freed leave the profile ($held sampled live, $left after)"
	else
		bad "sampled blocks freed: ${held:-none} sampled live, ${left:-none} after"
	fi
else
	bad "stress freed run failed"
fi
if MALLOC_CONF=prof:true,lg_prof_sample:0 LD_PRELOAD="$lib" \
	"$stress" twice "$work/twice.heap" 2>"$work/twice.err"; then
	bad "a sampled small block freed twice was not reported"
elif [ "$(live_objs "$work/twice.heap")" != 1 ]; then
	bad "stress twice: the block was not sampled ($(sed -n 2p "$work/twice.heap"))"
elif grep -q "double free" "$work/twice.err"; then
	ok "a sampled small block freed twice is reported"
else
	bad "a sampled small block freed twice: $(head -c 300 "$work/twice.err")"
fi
# Unsampled, the same block grows in place (else the check shows nothing:
# where the backend's layout leaves no free neighbour, as memkind's may,
# the check is skipped with the reason).
MALLOC_CONF=prof:true,lg_prof_sample:0 LD_PRELOAD="$lib" \
	"$stress" inplace >"$work/inplace.out"
sampled=$?
LD_PRELOAD="$lib" "$stress" inplace >"$work/inplace.plain"
plain=$?
if [ "$plain" = 0 ]; then
	echo "skipped: xallocx: an unsampled block does not grow in place either ($(head -1 "$work/inplace.plain"))"
	skip=$((skip + 1))
elif [ "$sampled" = 0 ] && [ "$plain" = 1 ]; then
	ok "a sampled large block is not resized in place ($(head -1 "$work/inplace.out"))"
else
	bad "sampled large block and xallocx: sampled $(tr '\n' ';' <"$work/inplace.out") unsampled $(tr '\n' ';' <"$work/inplace.plain")"
fi

# 1. the demo under jemalloc's string
run_demo "$work/demo" "" || bad "demo run failed"
heap=$(ls "$work"/demo.*.0.f.heap 2>/dev/null | head -1)
pb=${heap%.heap}.pb
if [ -z "$heap" ] || [ ! -s "$pb" ]; then
	bad "demo: no final dump pair (<prefix>.<pid>.0.f.heap / .pb)"; ls "$work"
else
	ok "demo: final dumps $(basename "$heap") and $(basename "$pb")"
	if command -v jeprof >/dev/null; then
		jeprof --text --show_bytes "$demo" "$heap" >"$work/jeprof.txt" 2>&1
		cat "$work/jeprof.txt"
		check "jeprof --text" "$work/jeprof.txt" "$work/demo.out" "$TOL19"
	else
		echo "skipped: jeprof"; skip=$((skip + 1))
	fi
	if command -v go >/dev/null; then
		go tool pprof -top -unit=B -sample_index=inuse_space "$demo" "$pb" >"$work/pprof.txt" 2>&1
		cat "$work/pprof.txt"
		check "go tool pprof -top" "$work/pprof.txt" "$work/demo.out" "$TOL19"
	else
		echo "skipped: go"; skip=$((skip + 1))
	fi
fi

# 2. the estimate, parsed from heap_v2: "t*: live_objs: live_bytes [...]"
# lines after each "@ addrs" stack; a site is the stack whose frames
# include its function (addresses resolved with nm).
run_demo "$work/est" ",lg_prof_sample:12" || bad "estimate run failed"
eheap=$(ls "$work"/est.*.0.f.heap 2>/dev/null | head -1)
if [ -n "$eheap" ]; then
	python3 - "$demo" "$eheap" "$work/est.out" "$TOL12" <<'PY' && pass=$((pass + 2)) || fail=$((fail + 1))
import math, re, subprocess, sys
demo, heap, want_file, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
want = {l.split()[1]: int(l.split()[2]) for l in open(want_file) if l.startswith("site ")}
syms = []
for l in subprocess.run(["nm", "-S", demo], capture_output=True, text=True).stdout.splitlines():
    f = l.split()
    if len(f) == 4 and f[3] in want:
        syms.append((int(f[0], 16), int(f[0], 16) + int(f[1], 16), f[3]))
base = 0
for l in open(heap):
    m = re.match(r"([0-9a-f]+)-[0-9a-f]+ r-xp ([0-9a-f]+) \S+ \S+\s+(\S+)$", l.strip())
    if m and m.group(3).endswith("/" + demo.split("/")[-1]):
        base = int(m.group(1), 16) - int(m.group(2), 16)
rate = int(open(heap).readline().split("/")[1])
got = dict.fromkeys(want, 0)
stack = None
for l in open(heap):
    if l.startswith("@ "):
        stack = [int(a, 16) - base for a in l.split()[1:]]
    elif stack is not None and l.strip().startswith("t*:"):
        # heap_v2 holds the sampled counts; the reader unbiases them with
        # the rate of the header (jeprof's AdjustSamples): bytes / p with
        # p = 1 - exp(-mean size / rate).
        n = int(l.split(":")[1]); b = int(l.split(":")[2].split("[")[0])
        live = b / (1 - math.exp(-(b / n) / rate)) if n else 0
        for a in stack:
            hit = [s for lo, hi, s in syms if lo <= a - 1 < hi]
            if hit:
                got[hit[0]] += live
                break
        stack = None
bad = 0
for s, w in want.items():
    e = (got[s] - w) / w * 100
    ok = abs(e) <= tol
    bad += not ok
    print(f"{'ok' if ok else 'not ok'} - estimate at lg_prof_sample 12: {s} {got[s]:.0f} B, live {w} B, error {e:.2f} % (limit {tol:g} %)")
sys.exit(1 if bad else 0)
PY
else
	bad "estimate: no dump"
fi

# 3. python3 under the same string.  Py_Finalize frees the heap before
# exit handlers run, so the final dump is nearly empty: the script also
# asks for a dump through mallctl("prof.dump") while its objects live.
py=/usr/bin/python3
MALLOC_CONF="prof:true,prof_prefix:$work/py,prof_final:true" PYTHONMALLOC=malloc LD_PRELOAD="$lib" \
	"$py" -c 'import ctypes, json
d = [json.dumps({"k": [i] * 20, "s": str(i) * 10}) for i in range(200000)]
l = [[i, str(i)] for i in range(200000)]
lib = ctypes.CDLL(None)
v, n = ctypes.c_size_t(0), ctypes.c_size_t(8)
assert lib.mallctl(b"prof.lg_sample", ctypes.byref(v), ctypes.byref(n), None, 0) == 0 and v.value == 19, v.value
b, n = ctypes.c_bool(False), ctypes.c_size_t(1)
assert lib.mallctl(b"opt.prof_final", ctypes.byref(b), ctypes.byref(n), None, 0) == 0 and b.value
assert lib.mallctl(b"prof.dump", None, None, None, 0) == 0' || bad "python3 run (or its ctl reads) failed"
pyheap=$(ls "$work"/py.*.0.m0.heap 2>/dev/null | head -1)
if ls "$work"/py.*.1.f.heap >/dev/null 2>&1; then ok "python3: final dump written"; else bad "python3: no final dump"; fi
names='PyObject_Malloc|_PyObject_New|PyList_Append|PyUnicode_New|PyObject_GC_|_PyObject_GC_|PyMem_Malloc|PyList_New|_PyLong_New|PyDict_'
if [ -z "$pyheap" ]; then
	bad "python3: no prof.dump dump"
else
	if command -v jeprof >/dev/null; then
		jeprof --text "$py" "$pyheap" >"$work/py.jeprof" 2>&1
		sed -n 1,12p "$work/py.jeprof"
		if grep -Eq "$names" "$work/py.jeprof"; then ok "python3 jeprof --text names CPython's allocating functions"
		else bad "python3 jeprof --text: no CPython allocating function"; fi
	fi
	if command -v go >/dev/null; then
		go tool pprof -top -sample_index=inuse_space "$py" "${pyheap%.heap}.pb" >"$work/py.pprof" 2>&1
		sed -n 1,14p "$work/py.pprof"
		# Debian's python3 is stripped to its dynamic symbols, which go
		# tool pprof does not read (jeprof does, through nm -D): it reads
		# the profile and attributes the bytes to python3's mapping.
		if grep -Eq '^ *[0-9.]+[kMG]?B .*\[python3\]$' "$work/py.pprof"; then ok "python3 go tool pprof -top reads the profile (bytes under [python3])"
		else bad "python3 go tool pprof: profile not read"; fi
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
