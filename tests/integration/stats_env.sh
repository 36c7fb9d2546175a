#!/bin/bash
# Options from the environment and the exit-time statistics, in a real
# program (python3) with the library preloaded:
#   - stats_print:true,stats_print_opts:J prints one JSON document that
#     python3 -m json.tool (and jq, when present) accepts;
#   - stats_print_opts:P prints Prometheus text that promtool accepts;
#   - MALLOC_CONF=narenas:3 gives arenas.narenas == 3 through strata_ctl
#     (found with dlsym(RTLD_DEFAULT) in a small C program);
#   - STRATA_CONF=narenas:abc prints exactly one clear line and runs with
#     the default.
#
# usage: stats_env.sh <libstrata.so>
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"

it_need python3 cc
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -n "$py" ] && [ -x "$py" ] || it_skip "cannot determine the python3 executable"
it_check_preload "$py" -c pass

workload='
import json
d = {str(i): [i] * (i % 50) for i in range(20000)}
s = json.dumps(d)
print(len(json.loads(s)))'

# ---- JSON at exit ----
STRATA_CONF=stats_print:true,stats_print_opts:J LD_PRELOAD="$IT_LIB" \
    "$py" -c "$workload" >"$IT_SCRATCH/json.out" 2>"$IT_SCRATCH/stats.json" ||
    it_fail "python3 failed with stats_print_opts:J"
[ -s "$IT_SCRATCH/stats.json" ] || it_fail "no statistics on stderr"
python3 -m json.tool "$IT_SCRATCH/stats.json" >/dev/null ||
    it_fail "python3 -m json.tool rejected the exit-time JSON"
if command -v jq >/dev/null 2>&1; then
    jq -e '.stats.allocated >= 0 and (.stats.arenas | length) >= 1' \
        "$IT_SCRATCH/stats.json" >/dev/null ||
        it_fail "jq rejected the exit-time JSON"
fi

# ---- Prometheus at exit ----
STRATA_CONF=stats_print:true,stats_print_opts:P LD_PRELOAD="$IT_LIB" \
    "$py" -c "$workload" >"$IT_SCRATCH/prom.out" 2>"$IT_SCRATCH/stats.prom" ||
    it_fail "python3 failed with stats_print_opts:P"
grep -q '^# TYPE strata_allocated_bytes gauge$' "$IT_SCRATCH/stats.prom" ||
    it_fail "no strata_allocated_bytes family in the Prometheus output"
if command -v promtool >/dev/null 2>&1; then
    promtool check metrics <"$IT_SCRATCH/stats.prom" >"$IT_SCRATCH/promtool.out" 2>&1 ||
        it_fail "promtool check metrics: $(head -n 1 "$IT_SCRATCH/promtool.out")"
else
    it_log "promtool not installed (tools/bootstrap.sh installs it): Prometheus output not checked"
fi

# ---- MALLOC_CONF reaches strata_ctl ----
cat >"$IT_SCRATCH/narenas.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int ctl_fn(const char *, void *, size_t *, void *, size_t);

int main(void) {
	ctl_fn *ctl = (ctl_fn *)dlsym(RTLD_DEFAULT, "strata_ctl");
	if (ctl == NULL) {
		fprintf(stderr, "strata_ctl not found\n");
		return 2;
	}
	void *(*volatile const malloc_v)(size_t) = malloc; /* not elided */
	free(malloc_v(100));
	unsigned n = 0, opt_n = 0;
	size_t len = sizeof(n);
	if (ctl("arenas.narenas", &n, &len, NULL, 0) != 0 ||
	    ctl("opt.narenas", &opt_n, &len, NULL, 0) != 0)
		return 3;
	printf("%u %u\n", n, opt_n);
	return 0;
}
EOF
cc -o "$IT_SCRATCH/narenas" "$IT_SCRATCH/narenas.c" -ldl ||
    it_fail "cannot compile the strata_ctl probe"
got=$(MALLOC_CONF=narenas:3 LD_PRELOAD="$IT_LIB" "$IT_SCRATCH/narenas") ||
    it_fail "probe failed under LD_PRELOAD"
[ "$got" = "3 3" ] || it_fail "MALLOC_CONF=narenas:3 gave arenas.narenas/opt.narenas '$got'"
default=$(LD_PRELOAD="$IT_LIB" "$IT_SCRATCH/narenas") ||
    it_fail "probe failed under LD_PRELOAD"

# ---- a bad value: one clear line, then the default ----
got=$(STRATA_CONF=narenas:abc LD_PRELOAD="$IT_LIB" "$IT_SCRATCH/narenas" \
    2>"$IT_SCRATCH/bad.err") || it_fail "probe failed with narenas:abc"
lines=$(wc -l <"$IT_SCRATCH/bad.err")
[ "$lines" -eq 1 ] || it_fail "narenas:abc printed $lines lines on stderr, expected 1"
grep -q 'narenas:abc' "$IT_SCRATCH/bad.err" ||
    it_fail "the error line does not name narenas:abc: $(head -n 1 "$IT_SCRATCH/bad.err")"
[ "$got" = "$default" ] || it_fail "narenas:abc gave '$got', the default gives '$default'"

exit 0
