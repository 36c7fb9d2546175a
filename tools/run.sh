#!/usr/bin/env bash
# Builds strata (release) and runs a program on it through the strata
# wrapper (tools/wrapper/strata.in, the one `meson install` installs), which
# prints a summary on stderr when the program ends, whatever its exit
# status: exit status or signal, wall and CPU time, peak RSS and strata's
# totals.  Exits with the program's status.  Without a program, runs the
# bundled demo workload.
#   tools/run.sh [-a] [-o key:value]... [program [args ...]]
#     -a, --all-processes   one summary per process the program forks or
#                           execs (default: only the top process's)
#     -o key:value          a strata option, as in STRATA_CONF
#   STRATA_CONF=... tools/run.sh ...     options, as usual
#   STRATA_BUILD=DIR tools/run.sh ...    use build directory DIR instead
#                                        of build-release/
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

wrapper_args=(--stats)
while [ "$#" -gt 0 ]; do
	case $1 in
	-a | --all-processes) wrapper_args+=(--all-processes); shift ;;
	-o) wrapper_args+=(-o "$2"); shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done

dir=${STRATA_BUILD:-$top/build-release}
if [ -z "${STRATA_BUILD:-}" ]; then
	"$top/tools/bootstrap.sh" --run
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$top" --buildtype=release -Dtests=disabled \
			-Dbenchmarks=disabled >/dev/null
	fi
fi
ninja -C "$dir" >/dev/null

if [ "$#" = 0 ]; then
	set -- "$dir/strata-demo"
fi
exec "$dir/tools/wrapper/strata-uninstalled" "${wrapper_args[@]}" -- "$@"
