#!/usr/bin/env bash
# stats_export end to end: a workload on strata exports into DIR while
# Debian's prometheus-node-exporter serves DIR through its textfile
# collector (the only collector on, loopback, a random high port).  The
# scrape of /metrics must hold strata's series with the values strata_ctl
# read inside the workload, per-arena tier/node labels, at most
# stats_export_threads + 1 thread series (one of them thread="other"),
# and promtool must accept the file.  The workload counts events per
# thread (perf_events:true): the page-fault counter, and each hardware
# event as a count or as unavailable with its errno reason.  Then the
# cost: process CPU time of an idle workload exporting every 10 ms
# against one not exporting, and exporting with the counters on.
#   tests/telemetry/export_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-export.XXXXXX")
exporter_pid= workload_pid=
cleanup() {
	[ -n "$workload_pid" ] && kill "$workload_pid" 2>/dev/null
	[ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null
	[ -n "$exporter_pid" ] && wait "$exporter_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0 skip=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
no() { echo "FAIL: $1"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }
finish() { echo "export: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit; }

exporter=$(command -v prometheus-node-exporter || command -v node_exporter)
if [ -z "$exporter" ] || ! command -v promtool >/dev/null || ! command -v curl >/dev/null; then
	echo "skip: prometheus-node-exporter, promtool or curl missing (tools/bootstrap.sh)"
	skip=1; finish
fi
cc -O2 -I"$top/include" "$top/tests/telemetry/export_workload.c" \
	-L"$build" -lstrata -lpthread -Wl,-rpath,"$build" -o "$work/workload" ||
	{ no "the workload builds"; finish; }
mkdir -p "$work/textfile"

# node_exporter on a random high port; a taken port is retried.
start_exporter() {
	local try
	for try in 1 2 3 4 5; do
		port=$(( (RANDOM << 15 | RANDOM) % 30000 + 30000 ))
		"$exporter" --web.listen-address="127.0.0.1:$port" \
			--collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$work/textfile" \
			>"$work/exporter.log" 2>&1 &
		exporter_pid=$!
		local i
		for i in $(seq 50); do
			curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/metrics" && return 0
			kill -0 "$exporter_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$exporter_pid" 2>/dev/null; wait "$exporter_pid" 2>/dev/null
		exporter_pid=
	done
	return 1
}
check "node_exporter serves on 127.0.0.1 (textfile collector only)" start_exporter ||
	{ cat "$work/exporter.log"; finish; }

# wait_for FILE WORD: bounded wait for a line WORD in FILE.
wait_for() {
	local i
	for i in $(seq 100); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

threads=12 top=4
STRATA_CONF="stats_export:$work/textfile/strata.prom,stats_export_interval_ms:100,stats_export_threads:$top,perf_events:true" \
	"$work/workload" "$threads" "$work/stop" 400 >"$work/workload.out" &
workload_pid=$!
check "the workload exports and reads its ctl figures" wait_for "$work/workload.out" ready
scrape=$work/metrics
got=
for i in 1 2 3 4 5; do
	curl -s --max-time 3 "http://127.0.0.1:$port/metrics" >"$scrape" &&
		grep -q '^strata_allocated_bytes ' "$scrape" && { got=1; break; }
	sleep 0.5
done
check "the scrape holds strata's series" [ -n "$got" ]
cp "$work/textfile/strata.prom" "$work/strata.prom" 2>/dev/null
touch "$work/stop"
wait "$workload_pid"; rc=$?; workload_pid=
check "the workload exits 0" [ "$rc" = 0 ]

# same_value CTL_NAME SERIES: the scraped value is what strata_ctl read.
same_value() {
	local want have
	want=$(awk -v k="$1" '$1 == k { print $2 }' "$work/workload.out")
	have=$(awk -v k="$2" '$1 == k { printf "%.0f", $2 }' "$scrape")
	echo "  $1: ctl $want, scraped $have"
	[ -n "$want" ] && [ "$want" = "$have" ]
}
check "strata_allocated_bytes = stats.allocated" same_value allocated strata_allocated_bytes
check "strata_active_bytes = stats.active" same_value active strata_active_bytes
check "strata_mapped_bytes = stats.mapped" same_value mapped strata_mapped_bytes
check "arena series carry tier and node labels" \
	grep -qE '^strata_arena_allocated_bytes\{arena="0",node="[a-z0-9]+",tier="[A-Za-z]+"\} [0-9.e+]+$' "$scrape"
nthread=$(grep -oE '^strata_thread_allocated_bytes_total\{thread="[^"]+"' "$scrape" | sort -u | wc -l)
echo "  thread series: $nthread for $threads threads"
check "thread series are bounded: top $top plus other" [ "$nthread" = $((top + 1)) ]
check "the rest is summed in thread=\"other\"" \
	grep -qE '^strata_thread_allocated_bytes_total\{thread="other"\} [1-9]' "$scrape"
check "thread series carry their page-fault count" \
	grep -qE '^strata_thread_page_faults_total\{thread="[0-9]+"\} [0-9]' "$scrape"
for ev in cache_misses l1d_read_misses llc_read_misses dtlb_read_misses; do
	check "thread series carry $ev, or its reason for being unavailable" \
		grep -qE "^strata_thread_${ev}(_total\\{thread=\"[0-9]+\"\\} [0-9]|_unavailable\\{[^}]*reason=\"E[A-Z0-9]+\"[^}]*\\} 1)" "$scrape"
done
check "node_exporter read the file without error" \
	grep -qE '^node_textfile_scrape_error 0$' "$scrape"
check "promtool check metrics passes on the exported file" \
	sh -c "promtool check metrics < '$work/strata.prom'"
echo "--- scraped excerpt"
grep -E '^strata_(allocated|resident)_bytes |^strata_arena_allocated_bytes\{arena="0"|^strata_thread_allocated_bytes_total' "$scrape" | head -8
grep -E '^strata_thread_(page_faults|cache_misses)' "$scrape" | head -4

# The cost: CPU time of an idle workload, exporting every 10 ms or not.
cpu_of() {
	rm -f "$work/stop"
	(sleep 0.1; while ! grep -qx ready "$work/cost.out" 2>/dev/null; do sleep 0.05; done
	 touch "$work/stop") &
	STRATA_CONF="$1" "$work/workload" 4 "$work/stop" 1000 >"$work/cost.out"
	wait
	awk '$1 == "cpu_ns" { print $2 }' "$work/cost.out"
}
off=$(cpu_of "background_thread:true")
on=$(cpu_of "stats_export:$work/cost.prom,stats_export_interval_ms:10")
perf=$(cpu_of "stats_export:$work/cost.prom,stats_export_interval_ms:10,perf_events:true")
if [ -n "$off" ] && [ -n "$on" ] && [ -n "$perf" ]; then
	# about 2 s of settling: 200 exports
	echo "  cost: idle process CPU $((off / 1000)) us without export, $((on / 1000)) us with one every 10 ms" \
		"(about $(( (on - off) / 200000 )) us per export)," \
		"$((perf / 1000)) us with the event counters on (about $(( (perf - off) / 200000 )) us per export)"
	ok "the export cost is measured"
else
	no "the export cost is measured"
fi
finish
