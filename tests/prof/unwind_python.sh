#!/usr/bin/env bash
# The unwinders in a real program built without frame pointers: preloads
# the shim (unwind_shim.c) into Debian's python3, which backtraces from
# inside its 50,000th malloc with libunwind, libgcc and a frame-pointer
# walk.  Both .eh_frame unwinders must reach CPython's evaluation loop and
# make no malloc; the frame-pointer walk is reported, not required.
#   unwind_python.sh SHIM
set -uo pipefail
shim=$1
py=/usr/bin/python3
[ -x "$py" ] || { echo "skipped: no $py"; echo "0 passed, 0 failed, 1 skipped"; exit 77; }
out=$(LD_PRELOAD=$shim PYTHONMALLOC=malloc UNWIND_SHIM_AT=50000 "$py" -c \
	'import json; x = [json.dumps({"a": [i] * 10}) for i in range(3000)]' 2>&1)
echo "$out"
pass=0 fail=0
for m in gcc unw; do
	line=$(grep "^$m: " <<<"$out")
	n=$(sed -E 's/^[a-z]+: ([0-9]+) frames.*/\1/' <<<"$line")
	if [ "${n:-0}" -ge 8 ] && grep -q "_PyEval_EvalFrameDefault" <<<"$line"; then
		echo "ok - $m: $n frames through _PyEval_EvalFrameDefault"; pass=$((pass + 1))
	else
		echo "not ok - $m: $line"; fail=$((fail + 1))
	fi
done
if grep -q "^mallocs while unwinding: 0$" <<<"$out"; then
	echo "ok - no malloc while unwinding"; pass=$((pass + 1))
else
	echo "not ok - malloc while unwinding"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
