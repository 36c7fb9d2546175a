#!/usr/bin/env bash
# The install test: configures strata with a prefix under WORKDIR, builds,
# `meson install`s, then uses only what was installed, as an out-of-tree
# user would: builds programs through pkg-config and strata-config (shared
# and static), runs a program through the installed strata wrapper
# (options, a failing program, a signal, a forking program), renders the
# man pages, and runs tools/run.sh on failing and forking programs.
# Prints "ok: NAME" or "FAIL: NAME" with the evidence, then the counts.
#   tests/install/install_test.sh WORKDIR     (WORKDIR: an empty temp dir)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/install
work=$1
build=$work/build prefix=$work/prefix out=$work/out
mkdir -p "$out"

pass=0 fail=0 skip=0
# check NAME FUNCTION: runs FUNCTION, counts it, shows its output on failure.
check() {
	local log=$out/$2.log
	if "$2" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "ok: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1"; tail -25 "$log" | sed 's/^/    /'
	fi
}
fail_with() { echo "$*"; return 1; }

cc=${CC:-cc}
libdir= bindir=

t_install() {
	meson setup "$build" "$top" --prefix="$prefix" -Dtests=disabled \
		-Dbenchmarks=disabled >/dev/null || return 1
	ninja -C "$build" >/dev/null || return 1
	meson install -C "$build" --quiet || return 1
	local f
	for f in bin/strata bin/strata-config include/strata.h \
		share/man/man1/strata.1 share/man/man3/strata.3 \
		share/man/man7/strata.7; do
		[ -e "$prefix/$f" ] || fail_with "missing $prefix/$f" || return 1
	done
	[ -x "$prefix/bin/strata" ] && [ -x "$prefix/bin/strata-config" ] ||
		fail_with "wrapper or strata-config not executable"
}

# Everything below reads the installed tree only.
t_layout() {
	libdir=$("$prefix/bin/strata-config" --libdir)
	bindir=$("$prefix/bin/strata-config" --bindir)
	echo "libdir=$libdir bindir=$bindir"
	local f
	for f in "$libdir/libstrata.so" "$libdir/libstrata.a" \
		"$libdir/pkgconfig/strata.pc" \
		"$libdir/strata/libstrata-summary.so"; do
		[ -e "$f" ] || fail_with "missing $f" || return 1
	done
	[ "$bindir" = "$prefix/bin" ] || fail_with "bindir $bindir"
	local v
	v=$("$prefix/bin/strata-config" --version)
	[ "$v" = "$(grep -m1 -o "version: '[^']*'" "$top/meson.build" | cut -d"'" -f2)" ] ||
		fail_with "strata-config --version says $v"
}

export PKG_CONFIG_PATH=
t_pkg_config() {
	export PKG_CONFIG_PATH=$libdir/pkgconfig
	[ "$(pkg-config --variable=libdir strata)" = "$libdir" ] ||
		fail_with "pkg-config libdir $(pkg-config --variable=libdir strata)" || return 1
	# The man page's example, compiled as it is printed there.
	sed -n '/^\.SH EXAMPLES/,/^\.EE/p' "$prefix/share/man/man3/strata.3" |
		sed '1,/^\.EX/d; /^\.EE/d; s/\\e/\\/g; s/\\-/-/g' >"$out/example.c"
	grep -q 'int main' "$out/example.c" || fail_with "no example in strata.3" || return 1
	# shellcheck disable=SC2046
	$cc -o "$out/example" "$out/example.c" $(pkg-config --cflags --libs strata) \
		-Wl,-rpath,"$libdir" || return 1
	ldd "$out/example" | grep -F "$libdir/libstrata.so" ||
		fail_with "example not linked to the installed libstrata" || return 1
	local line
	line=$("$out/example") || fail_with "example exited $?" || return 1
	echo "example: $line"
	[ "${line%% *}" -ge 1048576 ] || fail_with "1 MiB allocated, stats say $line"
}

t_strata_config() {
	local sc=$prefix/bin/strata-config
	# shellcheck disable=SC2046
	$cc -o "$out/linked" "$here/linked.c" $("$sc" --cflags) $("$sc" --libs) \
		-Wl,-rpath,"$("$sc" --libdir)" || return 1
	"$out/linked" || return 1
	# shellcheck disable=SC2046
	$cc -o "$out/linked_static" "$here/linked.c" $("$sc" --cflags) \
		$("$sc" --static-libs) || return 1
	if readelf -d "$out/linked_static" | grep NEEDED | grep -q libstrata; then
		fail_with "the static build needs libstrata.so"; return 1
	fi
	"$out/linked_static"
}

t_wrapper_runs() {
	$cc -o "$out/preloaded" "$here/preloaded.c" || return 1
	local o
	o=$("$bindir/strata" -o narenas:3 "$out/preloaded" 2>"$out/err") ||
		fail_with "exit $?: $o $(cat "$out/err")" || return 1
	echo "$o"
	grep -q 'narenas 3,' <<<"$o" || fail_with "-o narenas:3 not applied" || return 1
	local moved=${o##*thread.allocated by }
	[ "${moved:-0}" -ge 1048576 ] 2>/dev/null ||
		fail_with "malloc of 1 MiB not served by strata" || return 1
	[ ! -s "$out/err" ] || fail_with "stderr without --stats: $(cat "$out/err")"
}

# A failing program: its output first, then the summary with its status.
t_wrapper_failing() {
	local rc=0
	"$bindir/strata" --stats "$out/preloaded" 3 >"$out/stdout" 2>"$out/stderr" || rc=$?
	cat "$out/stdout" "$out/stderr"
	[ "$rc" = 3 ] || fail_with "wrapper exited $rc, not 3" || return 1
	grep -qx 'exit status: 3' "$out/stderr" || fail_with "no exit status" || return 1
	grep -Eq '^wall time: +[0-9.]+ s \(user [0-9.]+ s, sys [0-9.]+ s' "$out/stderr" ||
		fail_with "garbled times" || return 1
	grep -Eq '^peak RSS: +[0-9]+ KiB' "$out/stderr" || fail_with "no peak RSS" || return 1
	grep -Eq '^  allocated: [0-9]+' "$out/stderr" || fail_with "no statistics" || return 1
	[ "$(grep -c '^--- strata summary' "$out/stderr")" = 1 ] || fail_with "not one summary"
}

t_wrapper_signal() {
	local rc=0
	"$bindir/strata" -s sh -c 'kill -SEGV $$' 2>"$out/stderr" || rc=$?
	cat "$out/stderr"
	[ "$rc" = 139 ] || fail_with "wrapper exited $rc, not 139" || return 1
	grep -q 'killed by signal 11 (SIGSEGV)' "$out/stderr" || fail_with "signal not named"
}

# A forking program: one summary by default, one per process with -a.
t_wrapper_children() {
	"$bindir/strata" -s "$out/preloaded" 0 5 2>"$out/one" >/dev/null || return 1
	"$bindir/strata" -s -a "$out/preloaded" 0 5 2>"$out/all" >/dev/null || return 1
	local n1 n_all
	n1=$(grep -c '^--- process' "$out/one")
	n_all=$(grep -c '^--- process' "$out/all")
	echo "records: default $n1, --all-processes $n_all"
	[ "$n1" = 0 ] && [ "$(grep -c '^--- strata summary' "$out/one")" = 1 ] ||
		fail_with "default mode printed child records" || return 1
	[ "$n_all" = 5 ] || fail_with "--all-processes: $n_all records, not 5"
}

t_man_pages() {
	local page
	for page in "$prefix/share/man/man1/strata.1" "$prefix/share/man/man3/strata.3" \
		"$prefix/share/man/man7/strata.7"; do
		mandoc -Tlint "$page" || fail_with "mandoc -Tlint $page" || return 1
		[ -z "$(groff -ww -man -z "$page" 2>&1)" ] ||
			fail_with "groff warns on $page" || return 1
		local err
		err=$(MANWIDTH=80 man -l "$page" 2>&1 >"$out/rendered") || return 1
		[ -z "$err" ] || fail_with "man -l $page: $err" || return 1
		[ "$(wc -l <"$out/rendered")" -gt 40 ] || fail_with "$page renders short"
	done
	MANPATH=$prefix/share/man man -w 3 strata | grep -q "$prefix" ||
		fail_with "man does not find strata(3) under the prefix" || return 1
	# strata(7) is generated from the option table: every key of
	# docs/configuration.md's table is in it, and its opt.* and stats.*
	# ctl names.
	MANWIDTH=200 man -l "$prefix/share/man/man7/strata.7" 2>/dev/null >"$out/strata7"
	local key
	for key in $(sed -nE 's/^\| `([a-z_]+)` \|.*/\1/p' "$top/docs/configuration.md"); do
		grep -q "^ *$key:" "$out/strata7" || fail_with "strata(7) lacks option $key" || return 1
	done
	grep -q "^ *stats.arenas.<i>.bins.<j>.nmalloc" "$out/strata7" &&
		grep -q "^ *thread.allocated" "$out/strata7" ||
		fail_with "strata(7) lacks ctl names"
}

# tools/run.sh on the same build: a failing program, a forking one.
t_run_sh() {
	local rc=0
	STRATA_BUILD=$build "$top/tools/run.sh" sh -c 'echo out; exit 2' \
		>"$out/stdout" 2>"$out/stderr" || rc=$?
	cat "$out/stdout" "$out/stderr"
	[ "$rc" = 2 ] || fail_with "run.sh exited $rc" || return 1
	grep -qx 'exit status: 2' "$out/stderr" || return 1
	grep -Eq '^wall time: +[0-9.]+ s \(user [0-9.]+ s, sys [0-9.]+ s' "$out/stderr" ||
		fail_with "garbled times" || return 1
	STRATA_BUILD=$build "$top/tools/run.sh" sh -c 'for i in 1 2 3; do ls / | cat >/dev/null; done' \
		2>"$out/one" || return 1
	STRATA_BUILD=$build "$top/tools/run.sh" -a sh -c 'for i in 1 2 3; do ls / | cat >/dev/null; done' \
		2>"$out/all" || return 1
	echo "records: default $(grep -c '^--- process' "$out/one"), -a $(grep -c '^--- process' "$out/all")"
	! grep -q '^--- process' "$out/one" || fail_with "default mode printed child records" || return 1
	[ "$(grep -c '^--- process' "$out/all")" -ge 6 ] || fail_with "-a: fewer than 6 records"
}

check "meson install to a temporary prefix" t_install
if [ "$fail" = 0 ]; then
	check "installed layout, strata-config --libdir/--bindir/--version" t_layout
	check "pkg-config: the strata(3) example builds and runs" t_pkg_config
	check "strata-config: shared and static builds run" t_strata_config
	check "wrapper: preloads strata, applies -o" t_wrapper_runs
	check "wrapper: failing program, status and summary" t_wrapper_failing
	check "wrapper: program killed by a signal" t_wrapper_signal
	check "wrapper: forking program, one summary or one per process" t_wrapper_children
	check "man pages: mandoc -Tlint, groff -ww, man -l" t_man_pages
	check "tools/run.sh: failing and forking programs" t_run_sh
else
	skip=9; echo "skipped: everything after the install (it failed)"
fi
echo "install: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
