#!/usr/bin/env bash
# run.sh - run a (statically linked) test binary inside a small NUMA VM.
#
# usage: run.sh [options] -- BINARY [ARGS...]
#
# options:
#   --nodes N          NUMA nodes, one CPU each (default 2)
#   --mem-per-node M   MiB of RAM per node (default 256)
#   --timeout S        seconds before the VM is killed (default 300)
#   --file SRC[:DEST]  copy file or directory SRC into the guest at DEST
#                      (default: SRC as given); a relative DEST is taken
#                      relative to /test, the binary's working directory,
#                      so `--file /lib/x86_64-linux-gnu/libnuma.so.1` and
#                      `--file data/in.txt` both land where expected;
#                      symlinks are followed; repeatable
#   --kernel PATH      kernel image (default: <cache>/vmlinuz from setup.sh)
#   --append ARGS      extra kernel command line arguments
#   --accel A          qemu accelerator (default tcg)
#   --log FILE         also write the full serial console log to FILE
#   --verbose          stream the full serial console (kernel log included)
#   --keep             keep the temporary work directory (initramfs, log)
#   -h, --help         this text
#
# The binary runs as /test/<name> with /test as working directory, as root,
# with /proc, /sys and /dev mounted. Its stdout/stderr go to the serial
# console and are printed here. The guest prints `STRATA_VM_EXIT=<code>`
# after the binary ends; this script exits with that code, or with 125 if
# the VM failed to boot, crashed or timed out.
#
# Environment: STRATA_VM_CACHE (see setup.sh), QEMU (qemu binary).
set -uo pipefail

readonly BOOT_FAIL=125
log() { printf 'vm: %s\n' "$*" >&2; }
die() { printf 'vm: error: %s\n' "$*" >&2; exit "$BOOT_FAIL"; }
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

nodes=2 mem=256 timeout=300 kernel='' append='' accel=tcg logfile='' verbose=0 keep=0
files=()
while (($#)); do
	case $1 in
	--nodes) nodes=${2:?}; shift 2 ;;
	--nodes=*) nodes=${1#*=}; shift ;;
	--mem-per-node) mem=${2:?}; shift 2 ;;
	--mem-per-node=*) mem=${1#*=}; shift ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--timeout=*) timeout=${1#*=}; shift ;;
	--file) files+=("${2:?}"); shift 2 ;;
	--file=*) files+=("${1#*=}"); shift ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--kernel=*) kernel=${1#*=}; shift ;;
	--append) append=${2?}; shift 2 ;;
	--append=*) append=${1#*=}; shift ;;
	--accel) accel=${2:?}; shift 2 ;;
	--accel=*) accel=${1#*=}; shift ;;
	--log) logfile=${2:?}; shift 2 ;;
	--log=*) logfile=${1#*=}; shift ;;
	--verbose) verbose=1; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*) break ;; # first non-option: the binary
	esac
done
(($#)) || { usage >&2; die "no binary given"; }
binary=$1
shift

[[ $nodes =~ ^[1-9][0-9]*$ ]] || die "--nodes must be a positive integer"
[[ $mem =~ ^[1-9][0-9]*$ ]] || die "--mem-per-node must be a positive integer (MiB)"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer (seconds)"
((nodes <= 64)) || die "--nodes: at most 64"
[[ -f $binary && -x $binary ]] || die "not an executable file: $binary"

CACHE=${STRATA_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-vm}
[[ -n $kernel ]] || kernel=$CACHE/vmlinuz
[[ -r $kernel ]] || die "no kernel at $kernel; run tests/vm/setup.sh first"
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || die "$QEMU not found; run tests/vm/setup.sh first"
command -v cpio >/dev/null || die "cpio not found; run tests/vm/setup.sh first"
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do [[ -x $b ]] && { BUSYBOX=$b; break; }; done
[[ -n $BUSYBOX ]] || die "busybox not found; run tests/vm/setup.sh first"

if command -v readelf >/dev/null 2>&1 &&
	readelf -l "$binary" 2>/dev/null | grep -q 'program interpreter'; then
	log "warning: $binary is dynamically linked; it needs its loader and"
	log "         libraries in the guest (--file), or build it with -static"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-vm.XXXXXX") || die "mktemp failed"
qemu_pid=
# shellcheck disable=SC2317 # invoked via trap
cleanup() {
	[[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
	if ((keep)); then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- initramfs
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,test,usr/bin,usr/sbin} || die "mkdir failed"
cp "$BUSYBOX" "$root/bin/busybox" || die "cannot copy busybox"
name=$(basename "$binary")
cp -L "$binary" "$root/test/$name" || die "cannot copy $binary"
chmod 0755 "$root/test/$name"

for spec in "${files[@]}"; do
	src=${spec%%:*}
	if [[ $spec == *:* ]]; then dest=${spec#*:}; else dest=$src; fi
	[[ -e $src ]] || die "--file: no such file: $src"
	# A relative destination is relative to /test, the binary's working
	# directory, so relative paths used on the host keep working in the guest.
	[[ $dest == /* ]] || dest=/test/$dest
	mkdir -p "$root$(dirname "$dest")" || die "mkdir for $dest failed"
	if [[ -d $src ]]; then
		mkdir -p "$root$dest" || die "mkdir for $dest failed"
		cp -rL "$src/." "$root$dest/" || die "cannot copy $src"
	else
		cp -L "$src" "$root$dest" || die "cannot copy $src"
	fi
done

# Quote each argument for the guest's POSIX shell.
squote() { local q=${1//\'/\'\\\'\'}; printf "'%s'" "$q"; }
cmd=$(squote "/test/$name")
for a in "$@"; do
	cmd+=" $(squote "$a")"
done

cat >"$root/init" <<EOF
#!/bin/busybox sh
# generated by tests/vm/run.sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
export PATH=/test:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo STRATA_VM_BEGIN
echo "kernel: \$(uname -r), cpus online: \$(cat /sys/devices/system/cpu/online)"
for n in /sys/devices/system/node/node*; do
	[ -d "\$n" ] || continue
	echo "topology: \${n##*/} cpus=\$(cat \$n/cpulist) \$(grep -E 'MemTotal|MemFree' \$n/meminfo | sed 's/^Node [0-9]* //; s/  */ /g' | tr '\n' ' ')"
done
[ -d /sys/devices/system/node/node0 ] || echo "topology: no NUMA nodes in sysfs"
[ -r /proc/sys/kernel/numa_balancing ] &&
	echo "numa_balancing: \$(cat /proc/sys/kernel/numa_balancing)"
[ -r /sys/devices/system/node/node0/distance ] &&
	for n in /sys/devices/system/node/node*; do echo "distance: \${n##*/}: \$(cat \$n/distance)"; done
printf '%s\n' $(squote "run: $cmd")
echo STRATA_VM_RUN
cd /test
$cmd
rc=\$?
echo
echo "STRATA_VM_EXIT=\$rc"
sync
poweroff -f
reboot -f
EOF
chmod 0755 "$root/init"

initrd=$work/initrd.cpio
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$initrd") ||
	die "cpio failed"

# --------------------------------------------------------------------- qemu
quiet="quiet loglevel=3"
((verbose)) && quiet=
qemu_args=(
	-nographic -no-reboot
	-accel "$accel"
	-cpu max
	-m "$((nodes * mem))M"
	-smp "$nodes"
	-kernel "$kernel"
	-initrd "$initrd"
	-append "console=ttyS0 $quiet panic=-1 oops=panic mitigations=off numa_balancing=disable $append"
	-nic none
)
for ((i = 0; i < nodes; i++)); do
	qemu_args+=(
		-object "memory-backend-ram,id=m$i,size=${mem}M"
		-numa "node,nodeid=$i,cpus=$i,memdev=m$i"
	)
done

console=$work/console.log
# Strip CRs and terminal escapes (SeaBIOS clears the screen) from the console.
clean() { sed -u 's/\r//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\x1b[()][0-9A-Za-z]//g'; }
log "booting: $nodes node(s) x ${mem} MiB, timeout ${timeout}s, kernel $(basename "$(readlink -f "$kernel")")"
start=$(date +%s.%N)
if ((verbose)); then
	"$QEMU" "${qemu_args[@]}" </dev/null > >(tee "$console" | clean) 2>&1 &
else
	"$QEMU" "${qemu_args[@]}" </dev/null >"$console" 2>&1 &
fi
qemu_pid=$!

timed_out=0
deadline=$((SECONDS + timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
	if ((SECONDS >= deadline)); then
		timed_out=1
		kill "$qemu_pid" 2>/dev/null
		sleep 1
		kill -9 "$qemu_pid" 2>/dev/null
		break
	fi
	sleep 0.2
done
wait "$qemu_pid" 2>/dev/null
qemu_rc=$?
qemu_pid=
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
((verbose)) && sleep 0.1 # let tee drain

clean <"$console" >"$console.txt"
console=$console.txt
[[ -n $logfile ]] && cp "$console" "$logfile"

# ------------------------------------------------------------------- result
exit_line=$(grep -a '^STRATA_VM_EXIT=[0-9][0-9]*$' "$console" | tail -n1)
if ((!verbose)); then
	# Guest output: from the start marker to the exit marker.
	awk '
		/STRATA_VM_BEGIN$/ { on = 1; next }
		/^STRATA_VM_RUN$/ { next }
		on { print }
		/^STRATA_VM_EXIT=[0-9]+$/ { on = 0 }' "$console"
fi

if [[ -n $exit_line ]]; then
	rc=${exit_line#STRATA_VM_EXIT=}
	log "done: exit code $rc, ${elapsed}s (boot + run), $nodes node(s)"
	exit "$rc"
fi

if ((timed_out)); then
	log "FAILED: timeout after ${timeout}s (${elapsed}s elapsed) without $(
		)STRATA_VM_EXIT marker; exit $BOOT_FAIL"
elif grep -aq 'STRATA_VM_BEGIN$' "$console"; then
	log "FAILED: guest booted but died before the binary finished (qemu rc $qemu_rc, ${elapsed}s); exit $BOOT_FAIL"
else
	log "FAILED: VM did not boot (qemu rc $qemu_rc, ${elapsed}s); exit $BOOT_FAIL"
fi
if ((!verbose)); then
	log "last 40 lines of the serial console:"
	tail -n 40 "$console" | sed 's/^/  | /' >&2
fi
exit "$BOOT_FAIL"
