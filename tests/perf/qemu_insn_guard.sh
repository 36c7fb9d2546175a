#!/usr/bin/env bash
# The fast-path guard on AArch64: instructions per strata_malloc and per
# strata_free on thread-cache hits, counted under qemu-user, against a
# budget.  Debian's qemu-user has no TCG plugins and there is no arm64
# valgrind, so: -singlestep makes every translation block one instruction,
# -d exec,nochain logs every block executed with its guest PC, and the PCs
# inside each function's symbol range (nm -S of the library, placed at the
# base the loader reports with LD_DEBUG=files) are its own instructions, as
# callgrind's self cost counts them.  Two runs (n and 2n pairs) cancel
# start-up and exit.  Deterministic: the same binary gives the same counts.
#   qemu_insn_guard.sh ROOT PROGRAM LIBRARY [MALLOC_BUDGET FREE_BUDGET]
# ROOT: the arm64 root (QEMU_LD_PREFIX); PROGRAM: tests/perf/fastpath_ir.c
# linked with LIBRARY (libstrata.so).
set -euo pipefail
# meson test puts the root's bin directories on PATH in a cross build:
# the tools here are the build machine's.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
root=$1 prog=$2 lib=$3
malloc_budget=${4:-40}
free_budget=${5:-48}
nm=aarch64-linux-gnu-nm
command -v qemu-aarch64-static >/dev/null || { echo "qemu-aarch64-static missing"; exit 1; }
command -v "$nm" >/dev/null || nm=nm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "start size" (hex, library offsets) of a defined dynamic symbol.
symbol_range() {
	# Versioned names (strata_malloc@@STRATA_0.1) match by their base name.
	"$nm" -D --defined-only -S "$lib" |
		awk -v s="$1" '{ n = $4; sub(/@.*/, "", n) } n == s { print $1, $2; exit }'
}

# Run PROGRAM with PAIRS pairs; histogram of guest PCs to $work/pc.PAIRS,
# the library's load base to $work/base.PAIRS.
run_counted() {
	STRATA_CONF=background_thread:false QEMU_LD_PREFIX="$root" \
		QEMU_SET_ENV=LD_DEBUG=files \
		qemu-aarch64-static -cpu max -singlestep -d exec,nochain -D /dev/stdout \
		"$prog" "$1" 2>"$work/ld.$1" |
		awk '$1 == "Trace" { split($4, a, "/"); n[a[2]]++ }
		     END { for (pc in n) print pc, n[pc] }' >"$work/pc.$1"
	# The loader names the library by its soname (libstrata.so.0).
	name=$(basename "$lib")
	name=${name%%.so*}.so
	awk -v lib="$name" '
		index($0, "file=" lib) && /generating link map/ { want = 1; next }
		want && /base:/ { for (i = 1; i < NF; i++) if ($i == "base:") print $(i + 1); exit }
	' "$work/ld.$1" >"$work/base.$1"
	[ -s "$work/base.$1" ] || { echo "no load base for $name in the loader's output"; cat "$work/ld.$1"; exit 1; }
}

# Instructions executed inside SYMBOL in the run with PAIRS pairs.
count_in() {
	read -r start size <<<"$(symbol_range "$1")"
	[ -n "${size:-}" ] || { echo "no symbol $1 in $lib" >&2; exit 1; }
	base=$(cat "$work/base.$2")
	gawk -v lo=$((base + 0x$start)) -v hi=$((base + 0x$start + 0x$size)) '
		{ pc = strtonum("0x" $1); if (pc >= lo && pc < hi) s += $2 }
		END { print s + 0 }' "$work/pc.$2"
}

n=20000
run_counted $n
run_counted $((2 * n))
m1=$(count_in strata_malloc $n) m2=$(count_in strata_malloc $((2 * n)))
f1=$(count_in strata_free $n) f2=$(count_in strata_free $((2 * n)))
malloc_insn=$(( (m2 - m1 + n / 2) / n ))
free_insn=$(( (f2 - f1 + n / 2) / n ))
echo "fast path (AArch64, qemu count): malloc ${malloc_insn} instructions (budget ${malloc_budget}), free ${free_insn} instructions (budget ${free_budget}), pair $((malloc_insn + free_insn))"
status=0
if [ "$malloc_insn" -gt "$malloc_budget" ]; then
	echo "FAIL: strata_malloc hit path grew past its budget"
	status=1
fi
if [ "$free_insn" -gt "$free_budget" ]; then
	echo "FAIL: strata_free hit path grew past its budget"
	status=1
fi
if [ "$malloc_insn" -lt 5 ] || [ "$free_insn" -lt 5 ]; then
	echo "FAIL: implausible counts; the trace did not see the entry points"
	status=1
fi
exit $status
