#!/bin/bash
# Build a git repository (a few hundred files over several commits) and run
# log/diff/gc/fsck/repack on it, once plainly and once with the allocator
# preloaded into every git process, and compare everything git printed.
#
# usage: git_ops.sh <libstrata.so>
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
it_init "$@"
it_need git awk sort sha256sum

it_check_preload "$(command -v git)" --version

# Fully pinned environment so that both runs produce identical objects.
mkdir -p "$IT_SCRATCH/home"
export HOME="$IT_SCRATCH/home"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Strata Test" GIT_AUTHOR_EMAIL="test@strata.invalid"
export GIT_COMMITTER_NAME="Strata Test" GIT_COMMITTER_EMAIL="test@strata.invalid"
export TZ=UTC GIT_PAGER=cat PAGER=cat GIT_TERMINAL_PROMPT=0
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

# gen_files DIR COMMIT: deterministic edits for one commit (adds, rewrites,
# appends and deletions of files under DIR).
gen_files() {
    awk -v dir="$1" -v c="$2" 'BEGIN {
        x = 1000 + c * 7919
        nfiles = 120 + c * 40
        for (i = 0; i < nfiles; i++) {
            x = (x * 16807) % 2147483647
            if (c > 0 && x % 3 != 0) continue          # only touch some files
            sub_dir = (i % 4 == 0) ? "docs" : (i % 4 == 1) ? "src/core" : (i % 4 == 2) ? "src/util" : "data"
            f = dir "/" sub_dir "/file" i ".txt"
            lines = 5 + x % 40
            mode = (c > 0 && x % 5 == 0) ? ">>" : ">"
            for (l = 0; l < lines; l++) {
                x = (x * 16807) % 2147483647
                line = sprintf("c%d f%d l%d value=%d hex=%x", c, i, l, x % 100000, x)
                if (mode == ">>") print line >> f; else print line > f
            }
            close(f)
        }
    }' </dev/null
    # Remove a few files in later commits.
    if [ "$2" -ge 2 ]; then
        rm -f "$1/data/file$(( $2 * 8 + 3 )).txt" "$1/docs/file$(( $2 * 8 + 4 )).txt"
    fi
}

# git_suite DIR: all git operations; everything printed goes to stdout.
git_suite() {
    d=$1
    mkdir -p "$d/docs" "$d/src/core" "$d/src/util" "$d/data" || return 1
    cd "$d" || return 1
    git init -q -b main . || return 1
    git config pack.threads 1
    git config gc.auto 0
    git config core.autocrlf false
    for c in 0 1 2 3 4 5 6 7; do
        gen_files "$d" "$c" || return 1
        if [ "$c" -eq 5 ]; then
            git mv -k src/util/file2.txt src/util/renamed2.txt
            git mv -k src/core/file1.txt docs/moved1.txt
        fi
        git add -A || return 1
        ts=$(( 1700000000 + c * 3600 ))
        GIT_AUTHOR_DATE="@$ts +0000" GIT_COMMITTER_DATE="@$ts +0000" \
            git commit -q -m "commit $c" -m "Deterministic change set number $c." || return 1
        if [ "$c" -eq 3 ]; then
            GIT_COMMITTER_DATE="@$ts +0000" git tag -a -m "tag at $c" v0.3 || return 1
        fi
    done
    # An uncommitted edit so that `git diff HEAD~3` also covers the worktree.
    echo "uncommitted line" >>docs/file0.txt

    echo "== files"; git ls-files | wc -l
    echo "== rev-parse"; git rev-parse HEAD HEAD~3 v0.3 'HEAD^{tree}'
    echo "== log --stat"; git log --stat --format=fuller
    echo "== diff HEAD~3"; git diff HEAD~3
    echo "== diff -M --stat v0.3 HEAD"; git diff -M --stat --summary v0.3 HEAD
    echo "== blame"; git blame -s src/core/file5.txt
    echo "== grep"; git grep -c 'value=1' HEAD -- src | head -n 50
    echo "== gc"; git gc --quiet; echo "gc status $?"
    echo "== fsck"; git fsck --full --strict --no-progress 2>&1; echo "fsck status $?"
    echo "== objects"; git cat-file --batch-all-objects --batch-check | sort
    echo "== count"; git count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
    echo "== log -p after gc"; git log -p -M --format='%H %s' | sha256sum
    echo "== repack threaded"; git -c pack.threads=2 repack -q -a -d -f --window=50; echo "repack status $?"
    echo "== fsck after repack"; git fsck --full --no-progress 2>&1; echo "fsck status $?"
    echo "== archive"; git archive --format=tar HEAD | sha256sum
    echo "== rev-list"; git rev-list --objects --all | sort | sha256sum
    return 0
}

( git_suite "$IT_SCRATCH/base" ) >"$IT_SCRATCH/git.base" 2>"$IT_SCRATCH/git.base.err"
rb=$?
( export LD_PRELOAD="$IT_LIB"; git_suite "$IT_SCRATCH/pre" ) >"$IT_SCRATCH/git.pre" 2>"$IT_SCRATCH/git.pre.err"
rp=$?

[ "$rb" -eq 0 ] || it_fail "git sequence failed without LD_PRELOAD: $(head -n 1 "$IT_SCRATCH/git.base.err" | cut -c1-160)"
[ "$rp" -eq 0 ] || it_fail "git sequence failed with LD_PRELOAD: $(head -n 1 "$IT_SCRATCH/git.pre.err" | cut -c1-160)"
grep -q '^fsck status 0$' "$IT_SCRATCH/git.pre" || it_fail "git fsck reported problems with LD_PRELOAD"
if ! cmp -s "$IT_SCRATCH/git.base.err" "$IT_SCRATCH/git.pre.err"; then
    it_fail "git stderr differs with LD_PRELOAD: $(diff "$IT_SCRATCH/git.base.err" "$IT_SCRATCH/git.pre.err" | sed -n '2{p;q}' | cut -c1-160)"
fi
# Name the section in which the first difference occurs.
if ! cmp -s "$IT_SCRATCH/git.base" "$IT_SCRATCH/git.pre"; then
    first=$(cmp "$IT_SCRATCH/git.base" "$IT_SCRATCH/git.pre" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
    section=$(head -n "${first:-1}" "$IT_SCRATCH/git.base" | grep '^== ' | tail -n 1)
    it_compare "git output (section '${section#== }')" "$IT_SCRATCH/git.base" "$IT_SCRATCH/git.pre"
fi

exit 0
