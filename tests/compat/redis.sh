#!/usr/bin/env bash
# Debian's redis-server (linked with libjemalloc.so.2) on strata and on
# jemalloc, the same bounded load on each, side by side.  For the strata
# run it checks that INFO memory's allocator fields come from strata (the
# MEMORY MALLOC-STATS text is strata's, and its "allocated" agrees with
# allocator_allocated), that the data set survives a burst (DBSIZE and
# DEBUG DIGEST before and after), and lists the mallctl names redis read
# with the result each got (ENOENT: a jemalloc name strata lacks).
#   tests/compat/redis.sh LIBSTRATA_SO
# Output ends with "N passed, N failed, N skipped".  Loopback only.
set -uo pipefail
lib=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-redis.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for tool in redis-server redis-cli redis-benchmark cc; do
	command -v "$tool" >/dev/null || {
		echo "skip: $tool missing (tools/bootstrap.sh installs it)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	}
done
# Not "ldd | grep -q": grep -q stops at the first match, ldd then dies of
# SIGPIPE, and pipefail makes that a failure now and then.
linked=$(ldd "$(command -v redis-server)")
grep -q libjemalloc <<<"$linked" ||
	bad "redis-server is not linked with libjemalloc"
cc -O2 -shared -fPIC -o "$work/trace.so" "$here/mallctl_trace.c" -ldl ||
	bad "cannot build the mallctl trace shim"

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
info_field() { cli INFO memory | tr -d '\r' | sed -n "s/^$1://p"; }

# start NAME PRELOAD: a fresh server on a random free high port.
start() {
	port=$((20000 + RANDOM % 40000))
	LD_PRELOAD=$2 MALLCTL_TRACE=$work/ctl.$1 redis-server --bind 127.0.0.1 \
		--port "$port" --save '' --appendonly no --enable-debug-command yes \
		--daemonize no --logfile "$work/log.$1" &
	pid=$!
	for _ in $(seq 100); do
		[ "$(cli PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	bad "$1: redis-server did not answer on port $port"
	cat "$work/log.$1"
	return 1
}

stop() { cli SHUTDOWN NOSAVE >/dev/null 2>&1; wait "$pid" 2>/dev/null; pid=""; }

# run NAME PRELOAD: the load, then the figures into $work/fig.NAME.
run() {
	local name=$1 t0=$SECONDS
	start "$name" "$2" || return 1
	cli DEBUG POPULATE 20000 key 200 >/dev/null
	local size0 digest0 size1 digest1
	size0=$(cli DBSIZE)
	digest0=$(cli DEBUG DIGEST)
	redis-benchmark -h 127.0.0.1 -p "$port" -n 30000 -c 8 -r 50000 -d 300 \
		--dbnum 1 -q -t set,get,lpush,lpop,incr,hset 2>/dev/null |
		tr '\r' '\n' | grep -E 'requests per second' |
		sed 's/^/     /' >"$work/bench.$name"
	local burst_used
	burst_used=$(info_field used_memory)
	cli -n 1 FLUSHDB >/dev/null
	cli MEMORY PURGE >"$work/purge.$name" 2>&1
	size1=$(cli DBSIZE)
	digest1=$(cli DEBUG DIGEST)
	if [ "$size0" = "$size1" ] && [ "$digest0" = "$digest1" ] && [ "$size0" = 20000 ]; then
		ok "$name: data set survives the burst (DBSIZE $size1, DEBUG DIGEST ${digest1:0:16}...)"
	else
		bad "$name: data set changed: DBSIZE $size0 -> $size1, digest $digest0 -> $digest1"
	fi
	sleep 0.3 # serverCron refreshes the allocator figures every 100 ms
	cli MEMORY MALLOC-STATS | tr -d '\r' >"$work/mstats.$name"
	{
		for f in mem_allocator used_memory allocator_allocated allocator_active \
			allocator_resident allocator_frag_ratio used_memory_rss; do
			echo "$f $(info_field $f)"
		done
		echo "burst_used_memory $burst_used"
		echo "purge $(tr -d '\r\n' <"$work/purge.$name")"
		echo "seconds $((SECONDS - t0))"
	} >"$work/fig.$name"
	stop
}

run jemalloc "$work/trace.so"
run strata "$work/trace.so:$lib"

fig() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$work/fig.$1"; }
echo "--- the same load: Debian's redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
printf '%-24s %22s %22s\n' "" "jemalloc (no preload)" "strata (LD_PRELOAD)"
for f in mem_allocator used_memory allocator_allocated allocator_active \
	allocator_resident allocator_frag_ratio used_memory_rss \
	burst_used_memory purge seconds; do
	printf '%-24s %22s %22s\n' "$f" "$(fig jemalloc $f)" "$(fig strata $f)"
done
for n in jemalloc strata; do
	echo "redis-benchmark on $n:"
	cat "$work/bench.$n"
done

# INFO's allocator fields on strata are strata's: the MALLOC-STATS text
# (redis's je_malloc_stats_print) is strata's, its allocated figure and
# INFO's allocator_allocated agree.
if grep -q '^___ strata statistics ___' "$work/mstats.strata"; then
	ok "strata: MEMORY MALLOC-STATS prints strata's statistics"
else
	bad "strata: MEMORY MALLOC-STATS is not strata's: $(head -2 "$work/mstats.strata")"
fi
grep -q 'Begin jemalloc statistics' "$work/mstats.jemalloc" &&
	ok "jemalloc: MEMORY MALLOC-STATS prints jemalloc's statistics" ||
	bad "jemalloc: MEMORY MALLOC-STATS is not jemalloc's"
stats_alloc=$(awk '/^stats:/ { s = 1 } s && $1 == "allocated:" { print $2; exit }' "$work/mstats.strata")
info_alloc=$(fig strata allocator_allocated)
if [ -n "$stats_alloc" ] && [ -n "$info_alloc" ] && [ "$info_alloc" -gt 1000000 ] &&
	awk -v a="$stats_alloc" -v b="$info_alloc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.05 * a + 262144) }'; then
	ok "strata: allocator_allocated $info_alloc agrees with strata's stats.allocated $stats_alloc"
else
	bad "strata: allocator_allocated '$info_alloc' vs strata's stats.allocated '$stats_alloc'"
fi
used=$(fig strata used_memory)
awk -v a="$info_alloc" -v u="$used" 'BEGIN { exit !(a >= 0.8 * u && a <= 1.5 * u) }' &&
	ok "strata: allocator_allocated is near redis's own used_memory ($used)" ||
	bad "strata: allocator_allocated $info_alloc far from used_memory $used"

echo "--- mallctl names redis read on strata (errno, name); 2 = ENOENT:"
sort -u "$work/ctl.strata" 2>/dev/null | sed 's/^/     /'
missing=$(awk '$1 == 2 { print $2 }' "$work/ctl.strata" 2>/dev/null | sort -u | tr '\n' ' ')
echo "jemalloc names strata lacks (ENOENT): ${missing:-none}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
