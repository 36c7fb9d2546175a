#!/usr/bin/env bash
# Guarded sampling wired into libstrata.so (tests/prof/guard.c), every
# allocation guarded (lg_guard_sample:0): an overflow by one byte, an
# underflow and a use after free each fault with the one-line report and
# the stacks (the use after free with both), a double free is reported as
# free's other detection is, and a correct program runs to the end.
#   guard.sh LIBSTRATA_SO GUARD_PROGRAM WORKDIR
set -uo pipefail
lib=$1 prog=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
ulimit -c 0 # the faults below are expected: no core files
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }

run() { # MODE -> exit status; stderr in WORK/MODE.err
	STRATA_CONF=lg_guard_sample:0 LD_PRELOAD="$lib" "$prog" "$1" \
		>"$work/$1.out" 2>"$work/$1.err"
}

# expect MODE STATUS PATTERN...: the exit status, then each pattern (an
# extended regular expression) on some line of stderr, in this order.
expect() {
	local mode=$1 want=$2 got line=0 n pat
	shift 2
	run "$mode"; got=$?
	if [ "$got" != "$want" ]; then
		bad "$mode: exit status $got, want $want"; cat "$work/$mode.err"; return
	fi
	for pat in "$@"; do
		n=$(tail -n +$((line + 1)) "$work/$mode.err" | grep -nE -m1 -- "$pat" | cut -d: -f1)
		if [ -z "$n" ]; then
			bad "$mode: no line /$pat/"; cat "$work/$mode.err"; return
		fi
		line=$((line + n))
	done
	ok "$mode: status $got, report as expected"
}

hex='0x[0-9a-f]+'
expect overflow 139 \
	"^strata: overflow at $hex: 0 bytes past the end of the guarded block $hex \\(64 bytes\\)\$" \
	'^strata: allocated by thread [0-9]+:$' \
	'^strata:   #[0-9]+ .*site_guard_alloc\+'
expect underflow 139 \
	"^strata: underflow at $hex: 1 bytes before the guarded block $hex \\(4096 bytes\\)\$" \
	'^strata: allocated by thread' 'site_guard_alloc\+'
expect uaf 139 \
	"^strata: use-after-free at $hex: 8 bytes into the freed guarded block $hex \\(64 bytes\\)\$" \
	'^strata: allocated by thread' 'site_guard_alloc\+' \
	'^strata: freed by thread' 'site_guard_free\+'
expect double_free 134 "^strata: double free of $hex: block was already freed\$"
if run api && grep -q '^ok - api$' "$work/api.out"; then
	ok "api: a correct program under lg_guard_sample:0 runs to the end"
else
	bad "api"; cat "$work/api.out" "$work/api.err"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
