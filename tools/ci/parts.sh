# Sourced by the CI stages made of several parts (tools.sh, telemetry.sh):
# run_part COMMAND... runs one part, shows its output, and adds the counts
# of its last "N passed, N failed[, N skipped]" line to pass/fail/skip (a
# part that fails without a failed count counts one).  Needs $work.
pass=0 fail=0 skip=0
run_part() {
	local log=$work/part.log status=0 counts
	"$@" 2>&1 | tee "$log" || status=$?
	counts=$(grep -E '^([a-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 |
		sed -E 's/^[a-z_-]+: //; s/[^0-9]+/ /g')
	local p f s
	read -r p f s <<<"${counts:-0 0 0}"
	[ "$status" != 0 ] && [ "${f:-0}" = 0 ] && f=1
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
}
