# Shared helpers for the integration tests.  Sourced (not executed) by the
# individual test scripts:
#
#   . "$(dirname "$0")/common.sh"
#   it_init "$@"          # validates $1 (library), creates $IT_SCRATCH
#
# Every test runs a real program twice, once plainly and once with
# LD_PRELOAD=<library>, and compares the results.  Before trusting such a
# comparison, it_check_preload asks the dynamic loader (LD_DEBUG=bindings)
# where malloc and friends were bound; if they do not come from the library
# under test the test fails, so a bad path or a library that does not export
# malloc can never produce a silent pass.
#
# IT_SHRINK=N (default 1) divides the size of the workloads that take
# longest (python_objects, shell_pipeline, cxx_map) by N: the cross build
# sets it, since every program runs 5 to 20 times slower under qemu-user.
# Plain and preloaded runs use the same size, so the comparison holds.
#
# Exit codes: 0 pass, 77 skip, anything else failure.  On failure a single
# line starting with "FAIL:" says what went wrong.

IT_NAME=$(basename "$0" .sh)
IT_SHRINK=${IT_SHRINK:-1}

it_fail() {
    printf 'FAIL: %s: %s\n' "$IT_NAME" "$*" >&2
    exit 1
}

it_skip() {
    printf 'SKIP: %s: %s\n' "$IT_NAME" "$*" >&2
    exit 77
}

it_log() {
    printf '%s: %s\n' "$IT_NAME" "$*" >&2
}

# it_need PROGRAM... : skip the test when a required program is missing.
it_need() {
    for _p in "$@"; do
        command -v "$_p" >/dev/null 2>&1 || it_skip "required program '$_p' not found"
    done
}

it_cleanup() {
    if [ -n "${IT_SCRATCH:-}" ] && [ -d "$IT_SCRATCH" ] && [ -z "${IT_KEEP:-}" ]; then
        rm -rf "$IT_SCRATCH"
    fi
}

it_init() {
    [ $# -ge 1 ] && [ -n "$1" ] || it_fail "usage: $0 <path to allocator .so> [...]"
    [ -f "$1" ] || it_fail "library '$1' does not exist"
    # The loader reports the object under the name it was given, so use a
    # canonical absolute path both for LD_PRELOAD and for the check.
    IT_LIB=$(readlink -f -- "$1") || it_fail "cannot resolve library path '$1'"
    case $IT_LIB in
        *' '* | *:*) it_fail "library path '$IT_LIB' contains a space or colon (unusable in LD_PRELOAD)" ;;
    esac
    export IT_LIB

    IT_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/strata-$IT_NAME.XXXXXX") ||
        it_fail "cannot create scratch directory"
    export IT_SCRATCH
    trap it_cleanup EXIT
    trap 'exit 130' INT TERM

    # Same locale for both runs, and nothing inherited that could interfere.
    LC_ALL=C
    export LC_ALL
    unset LD_PRELOAD LD_DEBUG LD_DEBUG_OUTPUT LD_BIND_NOW MALLOC_CONF
}

# it_check_preload PROGRAM [ARGS...]
# Runs PROGRAM (use a quick invocation such as --version) with the library
# preloaded, immediate binding and LD_DEBUG=bindings, then requires that
#   - malloc and free were bound to the library at least once, and
#   - no binding of malloc/calloc/realloc/free resolved to any other object.
# The loader's lines look like
#   binding file /lib/.../libc.so.6 [0] to /path/libx.so [0]: normal symbol `malloc' [GLIBC_2.2.5]
it_check_preload() {
    _dbg="$IT_SCRATCH/ld-debug"
    rm -f "$_dbg".*
    LD_PRELOAD="$IT_LIB" LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$_dbg" \
        "$@" >/dev/null 2>"$IT_SCRATCH/ld-debug-stderr" </dev/null || true
    if ! ls "$_dbg".* >/dev/null 2>&1; then
        it_fail "no loader debug output from '$*' (is it a dynamically linked program?)"
    fi
    # A program built without PIE that takes malloc's or free's address
    # holds the canonical PLT entry of that function (undefined, with an
    # address: Debian's /usr/bin/python3): the loader binds every other
    # reference to that entry, which calls the preloaded definition.
    _prog=$(command -v -- "$1" 2>/dev/null || true)
    IT_PLT=" $(readelf --dyn-syms -W "${_prog:-/nonexistent}" 2>/dev/null |
        awk '$7 == "UND" && $2 !~ /^0+$/ { sub(/@.*/, "", $8); printf "%s ", $8 }')"
    IT_PROG=$_prog
    export IT_PLT IT_PROG
    _verdict=$(cat "$_dbg".* | awk '
        BEGIN { lib = ENVIRON["IT_LIB"]; ok_malloc = 0; ok_free = 0; bad = ""
                prog = ENVIRON["IT_PROG"]; plt = ENVIRON["IT_PLT"] }
        /binding file / && /: normal symbol `(malloc|calloc|realloc|free)'"'"'/ {
            i = index($0, " to ")
            if (i == 0) next
            rest = substr($0, i + 4)
            j = index(rest, " [")
            target = (j > 0) ? substr(rest, 1, j - 1) : rest
            sym = $0
            sub(/.*: normal symbol `/, "", sym)
            sub(/'"'"'.*/, "", sym)
            if (target == lib) {
                if (sym == "malloc") ok_malloc = 1
                if (sym == "free") ok_free = 1
            } else if (target == prog && index(plt, " " sym " ")) {
                # its canonical PLT entry, which calls the library
            } else if (bad == "") {
                bad = sym " bound to " target
            }
        }
        END {
            if (bad != "") print "BAD " bad
            else if (!ok_malloc) print "BAD malloc never bound to the library"
            else if (!ok_free) print "BAD free never bound to the library"
            else print "OK"
        }')
    rm -f "$_dbg".*
    case $_verdict in
        OK) return 0 ;;
        *) it_fail "preload not effective for '$1': ${_verdict#BAD }" ;;
    esac
}

# it_compare WHAT EXPECTED_FILE ACTUAL_FILE
it_compare() {
    if ! cmp -s -- "$2" "$3"; then
        _line=$(diff -- "$2" "$3" 2>/dev/null | sed -n '2{p;q}' | cut -c1-160)
        it_fail "$1 differs with LD_PRELOAD (first difference: ${_line:-binary content})"
    fi
}

# it_run_both TAG COMMAND [ARGS...]
# Runs the command without and with the library preloaded, stdout to
# $IT_SCRATCH/TAG.base and TAG.pre, and fails if the exit status differs.
# Stdin is /dev/null; stderr goes to TAG.base.err / TAG.pre.err.
it_run_both() {
    _tag=$1
    shift
    "$@" >"$IT_SCRATCH/$_tag.base" 2>"$IT_SCRATCH/$_tag.base.err" </dev/null
    _rb=$?
    LD_PRELOAD="$IT_LIB" "$@" >"$IT_SCRATCH/$_tag.pre" 2>"$IT_SCRATCH/$_tag.pre.err" </dev/null
    _rp=$?
    if [ "$_rb" -ne "$_rp" ]; then
        _msg=$(head -n 1 "$IT_SCRATCH/$_tag.pre.err" | cut -c1-160)
        it_fail "$_tag: exit status $_rp with LD_PRELOAD vs $_rb without${_msg:+ ($_msg)}"
    fi
    if [ "$_rb" -ne 0 ]; then
        _msg=$(head -n 1 "$IT_SCRATCH/$_tag.base.err" | cut -c1-160)
        it_fail "$_tag: command failed even without LD_PRELOAD (status $_rb${_msg:+: $_msg})"
    fi
    it_compare "$_tag output" "$IT_SCRATCH/$_tag.base" "$IT_SCRATCH/$_tag.pre"
}
