#!/usr/bin/env bash
# The same MALLOC_CONF strings under Debian's jemalloc (libjemalloc.so.2
# preloaded) and under strata (libstrata.so preloaded), one probe program
# (tests/compat/malloc_conf_probe.c) reading what each string did: opt.*
# through mallctl, RSS kept after freeing a burst of big blocks, and
# AnonHugePages.  Prints both columns per case and checks that the
# observable effect agrees (or, for thp:always on the posix backend, that
# strata says it is not honoured).  Ends with "N passed, N failed, N
# skipped".
#   tests/compat/malloc_conf_compare.sh LIBSTRATA
set -uo pipefail
lib=${1:?usage: malloc_conf_compare.sh path/to/libstrata.so}
top=$(cd "$(dirname "$0")/../.." && pwd)
je=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-mconf.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
if [ -z "$je" ]; then
	echo "libjemalloc.so.2 missing (tools/bootstrap.sh installs it)"
	echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
cc -O2 -Wall -o "$work/probe" "$top/tests/compat/malloc_conf_probe.c" -ldl ||
	{ echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# run NAME CONF BLOCK_MB: both allocators' output into $work/{je,st}.NAME
run() {
	PROBE_BLOCK_MB=$3 MALLOC_CONF=$2 LD_PRELOAD=$je "$work/probe" \
		>"$work/je.$1" 2>&1; echo "status $?" >>"$work/je.$1"
	PROBE_BLOCK_MB=$3 MALLOC_CONF=$2 LD_PRELOAD=$lib "$work/probe" \
		>"$work/st.$1" 2>&1; echo "status $?" >>"$work/st.$1"
	printf '\n== MALLOC_CONF=%s (blocks of %s MiB)\n' "$2" "$3"
	printf '%-44s | %s\n' jemalloc strata
	paste -d'|' <(cut -c1-44 "$work/je.$1" | awk '{printf "%-44s\n", $0}') \
		"$work/st.$1" | sed 's/|/ | /'
}
val() { awk -v k="$2" '$1 == k { print $2 }' "$work/$1"; }
check() { # description, then a command that succeeds when it holds
	local what=$1; shift
	if "$@"; then echo "ok: $what"; pass=$((pass + 1))
	else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
same() { # NAME KEY...: the two allocators read the same value
	local n=$1; shift
	for k in "$@"; do
		[ "$(val "je.$n" "$k")" = "$(val "st.$n" "$k")" ] ||
			{ echo "  $k: jemalloc $(val "je.$n" "$k"), strata $(val "st.$n" "$k")"; return 1; }
	done
}
kept_share() { # NAME: RSS kept after the burst, in per cent of it
	echo $(( $(val "$1" rss_kept_after_free_kb) * 100 / $(val "$1" burst_kb) ))
}

run keys "narenas:3,tcache_max:65536,dirty_decay_ms:5000,muzzy_decay_ms:0,retain:false,background_thread:false,thp:never,metadata_thp:auto,max_background_threads:4,percpu_arena:disabled" 1
check "shared keys read the same" same keys opt.narenas opt.tcache_max \
	opt.dirty_decay_ms opt.muzzy_decay_ms opt.retain opt.background_thread \
	opt.thp opt.metadata_thp opt.max_background_threads opt.percpu_arena
check "shared keys: both quiet" bash -c "! grep -q '^<jemalloc>\|^strata:' '$work/je.keys' '$work/st.keys'"

run lg "lg_tcache_max:16" 1
check "lg_tcache_max:16 is tcache_max 65536 in both" same lg opt.tcache_max

run over0 "oversize_threshold:0" 4
a=$(kept_share je.over0) b=$(kept_share st.over0)
echo "RSS kept after freeing 32 MiB of 4 MiB blocks: jemalloc $a %, strata $b %"
check "oversize_threshold:0: freed 4 MiB blocks stay resident in both" \
	test "$a" -ge 25 -a "$b" -ge 25
check "oversize_threshold:0 reads 0 in both" same over0 opt.oversize_threshold

# jemalloc's default is 8 MiB, strata's 64 MiB: set, it means the same.
run big "oversize_threshold:8388608" 16
a=$(kept_share je.big) b=$(kept_share st.big)
echo "RSS kept after freeing 128 MiB of 16 MiB blocks: jemalloc $a %, strata $b %"
check "oversize_threshold:8m: freed 16 MiB blocks are purged at once by both" \
	test "$a" -le 10 -a "$b" -le 10

run thp "thp:always" 1
thp_mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [[ "$thp_mode" == *"[never]"* || -z "$thp_mode" ]]; then
	echo "skip: thp:always (THP is '$thp_mode' here)"; skip=$((skip + 1))
else
	echo "AnonHugePages: jemalloc $(val je.thp anon_huge_kb) kB, strata $(val st.thp anon_huge_kb) kB"
	check "thp:always: jemalloc backs memory with huge pages" \
		test "$(val je.thp anon_huge_kb)" -gt 0
	if [ "$(val st.thp anon_huge_kb)" -gt 0 ]; then
		check "thp:always: strata backs memory with huge pages" true
	else
		check "thp:always: strata says it is not honoured here" \
			grep -q "thp:always is not honoured" "$work/st.thp"
	fi
fi

run abort1 "narenas:abc,abort_conf:true" 1
check "abort_conf after the bad pair aborts both" \
	bash -c "! grep -qx 'status 0' '$work/je.abort1' && ! grep -qx 'status 0' '$work/st.abort1'"
run abort2 "abort_conf:true,mutex_max_spin:600,percpu_arena:percpu,hpa:false" 1
check "abort_conf with valid jemalloc keys strata lacks: both run on" \
	bash -c "grep -qx 'status 0' '$work/je.abort2' && grep -qx 'status 0' '$work/st.abort2'"
check "strata names what it does not honour" \
	test "$(grep -c 'is not honoured' "$work/st.abort2")" = 2

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
