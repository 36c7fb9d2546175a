"""Object-heavy deterministic workload for the allocator integration tests.

Builds and tears down a few hundred thousand Python objects (dicts, lists,
sets, strings, class instances with and without __slots__), round-trips data
through json, sorts, and churns the cyclic garbage collector.  Everything that
reaches the output is independent of object addresses, so the printed digest
must be identical no matter which malloc the interpreter runs on.

Usage: python3 objects.py [scale]    (scale defaults to 1)
"""

import gc
import hashlib
import json
import os
import sys


class Rng:
    """Small deterministic LCG (independent of Python's random module)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return self.state >> 33

    def below(self, n):
        return self.next() % n


WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliet", "kilo", "lima", "mike", "november",
         "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
         "victor", "whiskey", "xray", "yankee", "zulu"]


class Plain:
    def __init__(self, key, value, tags):
        self.key = key
        self.value = value
        self.tags = tags
        self.children = []
        self.parent = None

    def canon(self):
        return (self.key, self.value, tuple(self.tags), len(self.children))


class Slotted:
    __slots__ = ("key", "value", "payload", "link")

    def __init__(self, key, value, payload):
        self.key = key
        self.value = value
        self.payload = payload
        self.link = None

    def canon(self):
        return (self.key, self.value, self.payload)


class Digest:
    def __init__(self):
        self.h = hashlib.sha256()
        self.sections = []

    def add(self, name, obj):
        data = repr(obj).encode()
        self.h.update(name.encode() + b"\0" + data + b"\0")
        self.sections.append((name, hashlib.sha256(data).hexdigest()[:16]))


def make_word(rng, parts):
    return "-".join(WORDS[rng.below(len(WORDS))] for _ in range(parts))


def phase_dicts(rng, d, n):
    table = {}
    order = []
    oldest = 0
    for i in range(n):
        k = make_word(rng, 1 + rng.below(3)) + str(rng.below(1000))
        if k not in table:
            table[k] = {"count": 0, "sum": 0, "vals": []}
            order.append(k)
        entry = table[k]
        v = rng.below(100000)
        entry["count"] += 1
        entry["sum"] += v
        entry["vals"].append(v)
        if i % 7 == 0 and len(table) > 100:
            # delete the oldest surviving key to exercise dict resize
            while order[oldest] not in table:
                oldest += 1
            del table[order[oldest]]
            oldest += 1
    summary = sorted((k, e["count"], e["sum"], sorted(e["vals"])[:3]) for k, e in table.items())
    d.add("dicts", (len(table), summary[:50], summary[-50:], sum(e[2] for e in summary)))


def phase_lists_sets(rng, d, n):
    lists = [[rng.below(1 << 20) for _ in range(1 + rng.below(40))] for _ in range(n // 20)]
    flat = [x for lst in lists for x in lst]
    flat.sort()
    s = set(flat)
    s2 = {x ^ 0x5555 for x in flat if x & 1}
    inter = s & s2
    union = s | s2
    frozen = frozenset(make_word(rng, 2) for _ in range(n // 10))
    strs = set()
    for i in range(n // 5):
        strs.add(make_word(rng, 2) + ":" + str(i % 997))
        if i % 3 == 0:
            strs.discard(make_word(rng, 2) + ":" + str((i * 7) % 997))
    d.add("lists_sets", (len(flat), flat[:20], flat[-20:], len(s), len(s2),
                         len(inter), len(union), sum(union) % 1000003,
                         sorted(frozen)[:10], len(strs), sorted(strs)[:10]))
    del lists, flat, s, s2, inter, union, frozen, strs


def phase_strings(rng, d, n):
    acc = ""
    pieces = []
    for i in range(n // 10):
        w = make_word(rng, 1 + rng.below(4))
        acc += w
        if len(acc) > 4096:
            pieces.append(acc)
            acc = acc[len(acc) // 3:]
    joined = "|".join(pieces)
    upper = joined.upper()
    parts = upper.split("-")
    replaced = joined.replace("a", "AA").replace("e", "")
    fmt = ["%08d:%s:%x" % (i, parts[i % len(parts)][:12], i * 31) for i in range(n // 20)]
    big = "".join(fmt)
    d.add("strings", (len(pieces), len(joined), hashlib.sha256(upper.encode()).hexdigest(),
                      len(parts), len(replaced), hashlib.sha256(big.encode()).hexdigest(),
                      acc[-64:]))


def phase_instances(rng, d, n):
    plains = []
    for i in range(n // 4):
        p = Plain(i, rng.below(1 << 30), [make_word(rng, 1) for _ in range(rng.below(4))])
        if plains and i % 3 == 0:
            parent = plains[rng.below(len(plains))]
            parent.children.append(p)
            p.parent = parent  # reference cycle
        plains.append(p)
    slotted = [Slotted(i, rng.below(1 << 30), (i, str(i))) for i in range(n // 4)]
    for i, s in enumerate(slotted):
        s.link = slotted[(i * 17 + 3) % len(slotted)]
    plains.sort(key=lambda p: (p.value, p.key))
    slotted.sort(key=lambda s: (s.value % 1000, -s.key))
    total_children = sum(len(p.children) for p in plains)
    linked = sum(s.link.key for s in slotted) % 1000003
    d.add("instances", ([p.canon() for p in plains[:25]], [s.canon() for s in slotted[:25]],
                        total_children, linked))
    # drop everything (lots of cycles) and let the collector reclaim it
    del plains, slotted
    collected = gc.collect()
    d.add("instances_gc", collected > 0)


def phase_json(rng, d, n):
    docs = []
    for i in range(n // 50):
        doc = {
            "id": i,
            "name": make_word(rng, 2),
            "score": rng.below(10000) / 100.0,
            "tags": [make_word(rng, 1) for _ in range(rng.below(6))],
            "nested": {"a": [rng.below(100) for _ in range(rng.below(10))],
                       "b": {"x": None, "y": True, "z": "\u00e9\u4e2d" * rng.below(3)}},
        }
        docs.append(doc)
    text = json.dumps(docs, sort_keys=True)
    back = json.loads(text)
    assert back == docs, "json round trip mismatch"
    pretty = json.dumps(back, sort_keys=True, indent=2, ensure_ascii=False)
    again = json.loads(pretty)
    assert again == docs, "json pretty round trip mismatch"
    d.add("json", (len(text), hashlib.sha256(text.encode()).hexdigest(),
                   hashlib.sha256(pretty.encode()).hexdigest()))


def phase_sorting(rng, d, n):
    recs = [(make_word(rng, 2), rng.below(1000), rng.below(1 << 40)) for _ in range(n // 4)]
    by_name = sorted(recs)
    by_num = sorted(recs, key=lambda r: (r[1], r[2]), reverse=True)
    stable = sorted(by_name, key=lambda r: r[1])
    ranks = {}
    for idx, r in enumerate(stable):
        ranks.setdefault(r[1], []).append(idx)
    d.add("sorting", (by_name[:10], by_num[:10], stable[:10], stable[-10:],
                      sorted((k, len(v)) for k, v in ranks.items())[:20]))


def phase_gc_churn(rng, d, rounds):
    gc.set_threshold(200, 5, 5)
    survivors = []
    for r in range(rounds):
        ring = [Plain(r * 1000 + i, i, []) for i in range(200)]
        for i, node in enumerate(ring):
            node.children.append(ring[(i + 1) % len(ring)])  # cycle
        blob = {"r": r, "ring": ring, "self": None}
        blob["self"] = blob
        if r % 25 == 0:
            survivors.append(ring[0].canon())
        del ring, blob
        if r % 50 == 0:
            gc.collect()
    gc.collect()
    gc.set_threshold(700, 10, 10)
    d.add("gc_churn", (len(survivors), survivors[:5], gc.collect()))


def main():
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    # IT_SHRINK (tests/integration/common.sh): a smaller run under emulation.
    n = 400000 * scale // max(1, int(os.environ.get("IT_SHRINK", "1")))
    rng = Rng(20240611)
    d = Digest()
    phase_dicts(rng, d, n // 4)
    phase_lists_sets(rng, d, n)
    phase_strings(rng, d, n)
    phase_instances(rng, d, n)
    phase_json(rng, d, n)
    phase_sorting(rng, d, n)
    phase_gc_churn(rng, d, 300 * scale)
    for name, h in d.sections:
        print("%-14s %s" % (name, h))
    print("digest", d.h.hexdigest())


if __name__ == "__main__":
    main()
