#!/bin/bash
# Run an object-heavy Python workload (objects.py) with and without the
# allocator preloaded and compare the printed digests.
#
# usage: python_objects.sh <libstrata.so>
# env:   PYTHON   interpreter to use (default: python3 from PATH)
#        TMPDIR   parent directory for scratch files
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"

py=${PYTHON:-python3}
it_need "$py"
# Resolve wrappers (e.g. version-manager shims) to the real interpreter so
# that the preload check looks at the binary that actually runs the script.
real_py=$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -n "$real_py" ] && [ -x "$real_py" ] || it_skip "cannot determine the python3 executable"

it_check_preload "$real_py" -c pass

# Fixed hash seed: set iteration order of strings must not vary between runs.
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
unset PYTHONMALLOC PYTHONSTARTUP PYTHONPATH

# Default configuration: small objects come from pymalloc arenas, larger ones
# (list/dict storage, big strings) from malloc.
it_run_both default "$real_py" "$here/objects.py"
grep -q '^digest [0-9a-f]\{64\}$' "$IT_SCRATCH/default.base" ||
    it_fail "objects.py did not print a digest"

# PYTHONMALLOC=malloc routes every object allocation through malloc/free.
PYTHONMALLOC=malloc LD_PRELOAD="$IT_LIB" "$real_py" "$here/objects.py" \
    >"$IT_SCRATCH/malloc.pre" 2>"$IT_SCRATCH/malloc.pre.err" </dev/null ||
    it_fail "objects.py exited with status $? under LD_PRELOAD with PYTHONMALLOC=malloc: $(head -n 1 "$IT_SCRATCH/malloc.pre.err" | cut -c1-160)"
it_compare "PYTHONMALLOC=malloc output" "$IT_SCRATCH/default.base" "$IT_SCRATCH/malloc.pre"

exit 0
