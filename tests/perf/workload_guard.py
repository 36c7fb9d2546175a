#!/usr/bin/env python3
"""Per-workload guardrails: the allocator's own instruction count and the
process's peak RSS for a short, deterministic run of every benchmark
workload, against a baseline file kept under version control.

  workload_guard.py check   --lib SO --bench DIR --baseline FILE
  workload_guard.py update  --lib SO --bench DIR --baseline FILE
  workload_guard.py compare --bench DIR OLD.so NEW.so [OLD2.so ...]
  workload_guard.py repeat  --lib SO --bench DIR [--times N]

Instructions are counted by callgrind and are the self cost of the objects
whose file name starts with "libstrata": what the workload itself executes,
and what libc executes on strata's behalf (memcpy in realloc, system calls),
is left out.  Peak RSS is ru_maxrss of a native run (no valgrind), the
median of five.  Every run uses RUN_CONF: no background thread and no
time-based purging, so nothing depends on the clock; the "-purge" variants
purge at once (decay 0), which is deterministic too.

Threaded workloads are run in a configuration whose schedule is fixed: one
thread per role where the program allows it (see WORKLOADS).  prodcons has
two threads by construction and the number of objects in flight between
them depends on the scheduler, so it is left out.
"""

import argparse
import concurrent.futures
import os
import re
import statistics
import subprocess
import sys
import tempfile

IR_THRESHOLD = 0.03   # fail when instructions grow by more than this
RSS_THRESHOLD = 0.05  # fail when peak RSS grows by more than this
RSS_SLACK_KB = 256    # ... and by more than this many KiB (noise in small runs)
RUN_CONF = "background_thread:false,dirty_decay_ms:-1,muzzy_decay_ms:-1"
PURGE_CONF = "background_thread:false,dirty_decay_ms:0,muzzy_decay_ms:0"
# larson's thread starts its successor before it exits, so which arena the
# successor gets depends on the scheduler, and with it how much memory is
# reused: peak RSS moved by 28 % over five runs.  One arena keeps the run
# the same every time (the paths measured, thread exit and the frees of
# blocks a dead thread allocated, are the same).
RUN_CONF_ONE_ARENA = RUN_CONF + ",narenas:1"
# Its RSS still moves by up to 480 KiB between runs: a successor that
# starts before its predecessor has gone has a stack and a thread cache
# of its own, one that starts after reuses the predecessor's.
RSS_SLACK_KB_OF = {"larson-1t": 512}

# name -> (program and arguments, STRATA_CONF).  Programs are the Meson
# benchmark executables (bench-NAME); "python" is the interpreter.  Sizes
# are chosen so that each callgrind run takes a few seconds.
WORKLOADS = [
    ("churn", ["bench-churn", "--scale", "0.01"], RUN_CONF),
    ("larson-1t", ["bench-larson", "--threads", "1", "--scale", "0.03"], RUN_CONF_ONE_ARENA),
    ("cache-thrash-1t", ["bench-cache-thrash", "--threads", "1", "--scale", "0.05"], RUN_CONF),
    ("cache-scratch-1t", ["bench-cache-scratch", "--threads", "1", "--scale", "0.05"], RUN_CONF),
    ("xmalloc-1t", ["bench-xmalloc", "--threads", "1", "--scale", "0.05"], RUN_CONF),
    ("frag", ["bench-frag", "--burst", "10000", "--scale", "0.1"], RUN_CONF),
    ("frag-purge", ["bench-frag", "--burst", "10000", "--scale", "0.1"], PURGE_CONF),
    ("realloc", ["bench-realloc", "--buffers", "200", "--scale", "0.02"], RUN_CONF),
    ("large", ["bench-large", "--scale", "0.02"], RUN_CONF),
    ("large-purge", ["bench-large", "--scale", "0.02"], PURGE_CONF),
    ("fastpath", ["bench-fastpath", "--scale", "0.003"], RUN_CONF),
    ("fastpath-batch", ["bench-fastpath", "--batch", "100", "--scale", "0.003"], RUN_CONF),
    ("python", ["python", "objects.py", "--scale", "0.0625"], RUN_CONF),
]
LEFT_OUT = {
    "prodcons": "two threads by construction; objects in flight depend on the scheduler",
}


# The distribution's interpreter (what tools/bootstrap.sh installs), not
# whichever python3 comes first in PATH: its allocations are the workload.
# Without the site module (-S): the .pth files of the packages a machine
# happens to have run at start-up otherwise, and move the count by more
# than the limit from one machine to another.  Not -I, which would drop
# PYTHONMALLOC and PYTHONHASHSEED.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PYTHON_FLAGS = ["-S"]


def command(bench, argv):
    """The argument vector of a workload, with paths resolved."""
    if argv[0] == "python":
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "..", "benchmarks", "workloads", argv[1])
        return [PYTHON] + PYTHON_FLAGS + [os.path.normpath(script)] + argv[2:]
    return [os.path.join(bench, argv[0])] + argv[1:]


def environment(lib, conf):
    env = dict(os.environ)
    env.update(LD_PRELOAD=lib, STRATA_CONF=conf, PYTHONHASHSEED="0",
               PYTHONMALLOC="malloc")
    env.pop("MALLOC_CONF", None)
    return env


def self_ir_by_object(path):
    """Self cost (Ir) per object file from a callgrind profile.  The cost
    line after a calls= line is the inclusive cost of that call: skipped."""
    names, tot = {}, {}
    cur, skip, npos = None, False, 1
    name_re = re.compile(r"c?ob=(?:\((\d+)\))?\s*(.*)")
    with open(path) as f:
        for line in f:
            c = line[0]
            if c.isdigit() or c in "+-*":
                if skip:
                    skip = False
                    continue
                parts = line.split()
                if len(parts) > npos:
                    tot[cur] = tot.get(cur, 0) + int(parts[npos])
            elif line.startswith(("ob=", "cob=")):
                ident, name = name_re.match(line.rstrip("\n")).groups()
                if ident is not None and name:
                    names[ident] = name
                if line[0] == "o":
                    cur = names.get(ident, name) if ident is not None else name
            elif line.startswith("calls="):
                skip = True
            elif line.startswith("positions:"):
                npos = len(line.split()) - 1
    return tot


def strata_ir(profile):
    return sum(v for k, v in self_ir_by_object(profile).items()
               if k and os.path.basename(k).startswith("libstrata"))


def run_callgrind(lib, bench, wl):
    name, argv, conf = wl
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
               "--trace-children=no"] + command(bench, argv)
        r = subprocess.run(cmd, env=environment(lib, conf), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed under callgrind:\n%s" % (name, r.stderr[-2000:]))
        ir = strata_ir(out)
        if ir == 0:
            raise RuntimeError("%s: no instruction in libstrata (not preloaded?)" % name)
        return ir


def run_rss(lib, bench, wl, times=5):
    """Median peak RSS (KiB) of native runs, measured by bench-runwrap: a
    child forked by a small process, so that the fork's own pages (ru_maxrss
    counts them across exec) stay negligible.  A single run sometimes moves
    by 64 or 128 KiB (the kernel maps file pages around a fault 64 KiB at
    a time, depending on what the page cache holds; two threads' stacks
    may overlap); the median of five still can, hence RSS_SLACK_KB."""
    name, argv, conf = wl
    got = []
    for _ in range(times):
        with tempfile.NamedTemporaryFile("r") as stats:
            cmd = [os.path.join(bench, "bench-runwrap"), "-o", stats.name,
                   "-p", lib, "--"] + command(bench, argv)
            env = environment(lib, conf)
            del env["LD_PRELOAD"]
            r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            line = stats.read()
        m = re.search(r"maxrss_kb=(\d+)", line)
        if r.returncode != 0 or not m:
            raise RuntimeError("%s failed (status %d): %s" % (name, r.returncode, r.stderr[-2000:]))
        got.append(int(m.group(1)))
    return int(statistics.median(got))


def measure(lib, bench, workloads, jobs, rss=True):
    """{name: (ir, rss_kb or None)}, runs spread over jobs processes."""
    lib = os.path.abspath(lib)
    if not os.path.isfile(lib):
        sys.exit("workload_guard: no such library: %s" % lib)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        irs = {wl[0]: pool.submit(run_callgrind, lib, bench, wl) for wl in workloads}
        rsss = {wl[0]: pool.submit(run_rss, lib, bench, wl) for wl in workloads} if rss else {}
        return {n: (irs[n].result(), rsss[n].result() if rss else None) for n in irs}


def read_baseline(path):
    base = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                base[line[0]] = (int(line[1]), int(line[2]))
    return base


def write_baseline(path, results, compiler):
    with open(path, "w") as f:
        f.write("# Per-workload guardrails (%s build): allocator instructions (callgrind\n"
                "# self cost of libstrata) and peak RSS in KiB of a short run of each\n"
                "# workload; tests/perf/workload_guard.py names the runs.  CI fails when\n"
                "# instructions grow by more than %d %% or peak RSS by more than %d %%\n"
                "# (and %d KiB).\n"
                "# Regenerate with: tools/ci/guard.sh --update\n"
                "# workload  instructions  peak_rss_kb\n"
                % (compiler, IR_THRESHOLD * 100, RSS_THRESHOLD * 100, RSS_SLACK_KB))
        for name, _, _ in WORKLOADS:
            ir, rss = results[name]
            f.write("%-18s %12d %9d\n" % (name, ir, rss))


def pct(new, old):
    return "%+6.2f%%" % (100.0 * (new - old) / old) if old else "    n/a"


def check(args):
    base = read_baseline(args.baseline)
    wls = [w for w in WORKLOADS if not args.only or w[0] in args.only]
    res = measure(args.lib, args.bench, wls, args.jobs)
    passed = failed = 0
    print("%s: allocator instructions (callgrind) and peak RSS, baseline %s; "
          "limits +%.0f %% and +%.0f %% (and %d KiB)" % (
              args.label, args.baseline, IR_THRESHOLD * 100, RSS_THRESHOLD * 100, RSS_SLACK_KB))
    print("%-18s %13s %13s %8s   %9s %9s %8s  %s" % (
        "workload", "instr before", "instr after", "change",
        "RSS KiB b", "RSS KiB a", "change", "verdict"))
    for name, _, _ in wls:
        ir, rss = res[name]
        if name not in base:
            print("%-18s %13s %13d %8s   %9s %9d %8s  FAIL: not in the baseline" % (
                name, "-", ir, "", "-", rss, ""))
            failed += 1
            continue
        bir, brss = base[name]
        why = []
        if ir > bir * (1 + IR_THRESHOLD):
            why.append("instructions +%.0f%% allowed" % (IR_THRESHOLD * 100))
        slack = RSS_SLACK_KB_OF.get(name, RSS_SLACK_KB)
        if rss > brss * (1 + RSS_THRESHOLD) and rss > brss + slack:
            why.append("RSS +%.0f%% (and %d KiB) allowed" % (RSS_THRESHOLD * 100, slack))
        verdict = "FAIL: " + ", ".join(why) if why else "ok"
        if not why and (ir < bir * (1 - IR_THRESHOLD) or
                        (rss < brss * (1 - RSS_THRESHOLD) and rss < brss - slack)):
            verdict = "ok, smaller: --update keeps the gain"
        print("%-18s %13d %13d %8s   %9d %9d %8s  %s" % (
            name, bir, ir, pct(ir, bir), brss, rss, pct(rss, brss), verdict))
        if why:
            failed += 1
        else:
            passed += 1
    for name, why in LEFT_OUT.items():
        print("%-18s not guarded: %s" % (name, why))
    if failed:
        print("A change that means to move a budget regenerates the baseline in the "
              "same commit (tools/ci/guard.sh --update) and says why.")
    print("%s: %d passed, %d failed, 0 skipped" % (args.label, passed, failed))
    return 1 if failed else 0


def update(args):
    """Measure every workload (or those of --only, keeping the others'
    lines) and write the baseline."""
    wls = [w for w in WORKLOADS if not args.only or w[0] in args.only]
    res = read_baseline(args.baseline) if args.only else {}
    res.update(measure(args.lib, args.bench, wls, args.jobs))
    missing = [w[0] for w in WORKLOADS if w[0] not in res]
    if missing:
        sys.exit("workload_guard: no baseline for %s: update them all" % " ".join(missing))
    write_baseline(args.baseline, res, args.label)
    with open(args.baseline) as f:
        sys.stdout.write(f.read())
    print("written: %s" % args.baseline)
    return 0


def compare(args):
    libs = []
    for spec in args.libs:
        label, _, path = spec.rpartition("=")
        libs.append((label or "lib%d" % (len(libs) + 1), path))
    wls = [w for w in WORKLOADS if not args.only or w[0] in args.only]
    res = [measure(path, args.bench, wls, args.jobs, rss=False) for _, path in libs]
    for i, (label, path) in enumerate(libs):
        print("%-6s = %s" % (label, os.path.abspath(path)))
    print("allocator instructions (callgrind, self cost of libstrata); ratio to %s"
          % libs[0][0])
    print("%-18s" % "workload" + "".join("%15s" % l for l, _ in libs) +
          "".join("%13s" % (libs[i][0] + "/" + libs[0][0]) for i in range(1, len(libs))))
    ratios = [[] for _ in libs]
    for name, _, _ in wls:
        b = res[0][name][0]
        row = "%-18s" % name + "".join("%15d" % r[name][0] for r in res)
        for i in range(1, len(libs)):
            ratio = res[i][name][0] / b
            ratios[i].append(ratio)
            row += "%13.3f" % ratio
        print(row)
    if len(wls) > 1:
        print("%-18s" % "geomean" + " " * 15 * len(libs) + "".join(
            "%13.3f" % statistics.geometric_mean(ratios[i]) for i in range(1, len(libs))))
    return 0


def repeat(args):
    wls = [w for w in WORKLOADS if not args.only or w[0] in args.only]
    runs = [measure(args.lib, args.bench, wls, args.jobs) for _ in range(args.times)]
    print("run-to-run variation over %d runs: (max - min) / min" % args.times)
    print("%-18s %13s %13s %9s   %9s %9s %9s" % (
        "workload", "instr min", "instr max", "spread", "RSS min", "RSS max", "spread"))
    for name, _, _ in wls:
        irs = [r[name][0] for r in runs]
        rss = [r[name][1] for r in runs]
        print("%-18s %13d %13d %8.4f%%   %9d %9d %8.2f%%" % (
            name, min(irs), max(irs), 100.0 * (max(irs) - min(irs)) / min(irs),
            min(rss), max(rss), 100.0 * (max(rss) - min(rss)) / min(rss)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode in ("check", "update", "compare", "repeat"):
        p = sub.add_parser(mode)
        p.add_argument("--bench", required=True, help="directory of the bench-* programs")
        p.add_argument("--jobs", type=int, default=2)
        p.add_argument("--only", type=lambda s: s.split(","), default=None,
                       help="comma-separated workload names")
        if mode == "compare":
            p.add_argument("libs", nargs="+", metavar="[LABEL=]LIB.so")
        else:
            p.add_argument("--lib", required=True)
        if mode in ("check", "update"):
            p.add_argument("--baseline", required=True)
            p.add_argument("--label", default="guard", help="name printed with the counts")
        if mode == "repeat":
            p.add_argument("--times", type=int, default=3)
    args = ap.parse_args()
    if args.only:
        known = {w[0] for w in WORKLOADS}
        bad = [n for n in args.only if n not in known]
        if bad:
            sys.exit("workload_guard: unknown workload(s): %s (have: %s)"
                     % (" ".join(bad), " ".join(sorted(known))))
    try:
        return {"check": check, "update": update, "compare": compare,
                "repeat": repeat}[args.mode](args)
    except RuntimeError as e:
        print("workload_guard: %s" % e)
        print("0 passed, 1 failed, 0 skipped")
        return 1


if __name__ == "__main__":
    sys.exit(main())
