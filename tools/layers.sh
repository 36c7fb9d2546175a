#!/usr/bin/env bash
# The layer check: reads the object files' symbol tables (nm), resolves
# each module's undefined symbols to the module that defines them, and
# fails when
#   - a layer calls up: the allocation floors, top to bottom, are
#       dropin (api_jemalloc.c, api_glibc.c: jemalloc's and glibc's
#       extra names, wrappers over ctl and the API) > api (api.c,
#       api_arena.c, cxx_new.c) > tcache > arena > slab > extent > purge
#       > pages > backend,
#     and an edge may only go down (skipping floors is fine);
#   - any cycle (strongly connected set of modules) contains a floor;
#   - anything but pages.o references a symbol of the backend (the OS
#     services of backends/prim/, core/prim.h, are a leaf any module uses).
# Cross-cutting modules (conf, ctl, stats, tsd, sync, base, pagemap, ...)
# are not ranked, but a cycle through them that touches a floor fails.
#   tools/layers.sh BUILD_DIR      (a configured and built meson tree)
#   tools/layers.sh --symbols FILE (the output of nm -A, for the check's
#                                   own test: tests/layers/)
# Prints the edges between floors, then "N passed, N failed".
set -euo pipefail
syms=$(mktemp)
trap 'rm -f "$syms"' EXIT
if [ "${1:-}" = --symbols ]; then
	cp "${2:?usage: tools/layers.sh --symbols FILE}" "$syms"
else
	build=${1:?usage: tools/layers.sh BUILD_DIR}
	core="$build/libstrata_core.a"
	lib="$build/libstrata.a"
	for f in "$core" "$lib"; do
		[ -f "$f" ] || { echo "missing $f (build first)"; echo "0 passed, 1 failed"; exit 1; }
	done
	command -v nm >/dev/null || { echo "nm missing (binutils)"; echo "0 passed, 1 failed"; exit 1; }
	{ nm -A "$core"; nm -A "$lib"; } >"$syms" 2>/dev/null
fi
python3 - "$syms" <<'PY'
import re, sys
floors = ["dropin", "api", "tcache", "arena", "slab", "extent", "purge", "pages",
          "backend"]
rank = {m: i for i, m in enumerate(floors)}
alias = {"api_arena": "api", "cxx_new": "api",
         "api_jemalloc": "dropin", "api_glibc": "dropin"}
defs, uses = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"^[^:]*:[^:]*?([A-Za-z0-9_]+)\.c\.o:\s*(?:[0-9a-f]+)?\s+(\S)\s+(\S+)$", line.strip())
    if not m:
        continue
    obj, kind, sym = m.groups()
    if obj.startswith("backends_prim_"):
        mod = "prim"  # OS services: a leaf every module may use
    elif obj.startswith("backends_"):
        mod = "backend"
    else:
        mod = alias.get(obj[len("core_"):], obj[len("core_"):])
    if kind == "U":
        uses.setdefault(mod, set()).add(sym)
    elif kind in "TDBRVWCGS":
        defs.setdefault(sym, mod)
edges = {}
for mod, syms in uses.items():
    for s in syms:
        d = defs.get(s)
        if d is not None and d != mod:
            edges.setdefault(mod, set()).add(d)
failed = []
# Down only between floors.
for a, outs in sorted(edges.items()):
    for b in sorted(outs):
        if a in rank and b in rank and rank[b] < rank[a]:
            failed.append(f"{a} -> {b}: a lower floor calls up")
# Only pages reaches the backend.
for a, outs in sorted(edges.items()):
    if "backend" in outs and a != "pages":
        failed.append(f"{a} -> backend: only pages may call the backend")
# Cycles: strongly connected components (Tarjan) of the whole graph.
index, low, stack, on, sccs = {}, {}, [], set(), []
def strong(v, counter=[0]):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
nodes = set(edges) | {b for o in edges.values() for b in o}
sys.setrecursionlimit(10000)
for v in sorted(nodes):
    if v not in index:
        strong(v)
for comp in sccs:
    if any(m in rank for m in comp):
        failed.append("cycle through a floor: " + " <-> ".join(comp))
print("edges between floors:")
for a in floors:
    outs = sorted(b for b in edges.get(a, ()) if b in rank)
    if outs:
        print(f"  {a:8} -> " + ", ".join(outs))
others = sorted(m for m in nodes if m not in rank)
print("cross-cutting modules:", ", ".join(others))
for comp in sccs:
    if not any(m in rank for m in comp):
        print("note: cycle among cross-cutting modules:", " <-> ".join(comp))
for f in failed:
    print("FAIL:", f)
checks = 3
print(f"{0 if failed else checks} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PY
