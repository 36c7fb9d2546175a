#!/usr/bin/env bash
# memcheck on strata's blocks: tests/valgrind/vg_programs.c run under
#   valgrind --soname-synonyms=somalloc=nouserintercepts
# against a -Dvalgrind=true libstrata (the build is given; the test skips
# on a build without the option).  The correct programs, through malloc
# and through strata_mallocx/strata_sdallocx, must give zero errors and
# no leak; each buggy one must give the report that names its bug.
#   tests/valgrind/memcheck_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-memcheck.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
finish() { echo "memcheck: $pass passed, $fail failed, $skip skipped"; [ "$fail" = 0 ]; exit; }

if ! command -v valgrind >/dev/null; then
	echo "skip: valgrind missing (tools/bootstrap.sh)"; skip=1; finish
fi
if ! grep -q "STRATA_VALGRIND=1" "$build/compile_commands.json" 2>/dev/null; then
	echo "skip: $build is not a -Dvalgrind=true build"; skip=1; finish
fi
cc -O1 -g -I"$top/include" "$top/tests/valgrind/vg_programs.c" \
	-L"$build" -lstrata -Wl,-rpath,"$build" -o "$work/prog" || {
	echo "FAIL: the programs build"; fail=1; finish; }

# memcheck CASE: runs one program, its report in $work/CASE.log.
# (strata aborts on the double free after memcheck's report: that is fine.)
# With $conf set, the program runs under STRATA_CONF=$conf (CASE.conf.log).
conf=
memcheck() {
	(STRATA_CONF="$conf" timeout 300 valgrind \
		--soname-synonyms=somalloc=nouserintercepts \
		--leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$work/$1${conf:+.$conf}.log" "$work/prog" "$1" \
		>/dev/null 2>&1) 2>/dev/null
	true
}
# expect CASE ERE...: the report holds every pattern.
expect() {
	local c=$1 ok=1 pat; shift
	memcheck "$c"
	for pat in "$@"; do
		grep -qE "$pat" "$work/$c${conf:+.$conf}.log" || { ok=0; echo "  $c: no /$pat/"; }
	done
	if [ "$ok" = 1 ]; then
		echo "ok: $c${conf:+ ($conf)}"; pass=$((pass + 1))
	else
		echo "FAIL: $c${conf:+ ($conf)}"
		sed 's/^/    /' "$work/$c${conf:+.$conf}.log" | head -40; fail=$((fail + 1))
	fi
}
clean='ERROR SUMMARY: 0 errors from 0 contexts'
expect correct "$clean" 'definitely lost: 0 bytes|no leaks are possible'
expect correct_x "$clean" 'definitely lost: 0 bytes|no leaks are possible'
# strata's own fills of blocks the program does not hold are not its errors.
for conf in junk:true zero:true; do
	expect correct "$clean" 'definitely lost: 0 bytes|no leaks are possible'
done
conf=
expect leak 'definitely lost: [1-9][0-9,]* bytes in [1-9]' 'by 0x[0-9A-F]+: leak '
expect overflow_slack 'Invalid write of size 1' \
	'0 bytes after a block of size 20 alloc.d' 'overflow_slack '
expect overflow_malloc 'Invalid write of size 1' 'after a .*block of size 16' 'overflow_malloc '
expect use_after_free 'Invalid read of size 1' \
	'10 bytes inside a block of size 100 free.d' 'use_after_free '
expect double_free 'Invalid free\(\)' 'inside a block of size 64 free.d' 'double_free '
echo "--- the report of overflow_slack"
grep -A8 "Invalid write" "$work/overflow_slack.log" | sed 's/^==[0-9]*== //' | head -16
finish
