#!/usr/bin/env bash
# The fast-path guard: instructions per strata_malloc and per strata_free
# on thread-cache hits, counted by callgrind (deterministic, unlike time),
# against a budget.  Two runs (n and 2n pairs) cancel start-up and exit.
# With "cxx" the pairs are operator new + sized operator delete instead.
#   callgrind_guard.sh PROGRAM [MALLOC_BUDGET FREE_BUDGET [cxx]]
set -euo pipefail
prog=$1
malloc_budget=${2:-22}
free_budget=${3:-40}
mode=${4:-c}
command -v valgrind >/dev/null || { echo "valgrind missing"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Ir of the entry point named like $2 (aliases may be listed under any of
# their names), from a callgrind profile.
function_ir() {
	callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null |
		awk -v pat="$2" '$0 ~ pat && $0 !~ /=>/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}

n=100000
for pairs in $n $((2 * n)); do
	STRATA_CONF=background_thread:false valgrind --tool=callgrind \
		--callgrind-out-file="$work/cg.$pairs" "$prog" "$pairs" "$mode" \
		>/dev/null 2>"$work/log.$pairs" ||
		{ cat "$work/log.$pairs"; exit 1; }
done
if [ "$mode" = cxx ]; then
	malloc_pat=':operator new[(]unsigned long[)]( |$)'
	free_pat=':operator delete[(]void[*], unsigned long[)]( |$)'
	what=("operator new" "sized operator delete")
else
	malloc_pat=':(strata_malloc|__libc_malloc|malloc)( |$)'
	free_pat=':(strata_free|__libc_free|cfree|free)( |$)'
	what=(strata_malloc strata_free)
fi
m1=$(function_ir "$work/cg.$n" "$malloc_pat")
m2=$(function_ir "$work/cg.$((2 * n))" "$malloc_pat")
f1=$(function_ir "$work/cg.$n" "$free_pat")
f2=$(function_ir "$work/cg.$((2 * n))" "$free_pat")
malloc_ir=$(( (m2 - m1 + n / 2) / n ))
free_ir=$(( (f2 - f1 + n / 2) / n ))
echo "fast path: ${what[0]} ${malloc_ir} instructions (budget ${malloc_budget}), ${what[1]} ${free_ir} instructions (budget ${free_budget})"
status=0
if [ "$malloc_ir" -gt "$malloc_budget" ]; then
	echo "FAIL: ${what[0]} hit path grew past its budget"
	status=1
fi
if [ "$free_ir" -gt "$free_budget" ]; then
	echo "FAIL: ${what[1]} hit path grew past its budget"
	status=1
fi
if [ "$malloc_ir" -lt 5 ] || [ "$free_ir" -lt 5 ]; then
	echo "FAIL: implausible counts; the profile did not see the entry points"
	status=1
fi
exit $status
