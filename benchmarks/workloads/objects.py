"""Object-heavy Python workload for the allocator benchmarks.

Builds and discards many dicts, lists, strings, tuples and class instances,
deterministically (fixed seed), and prints one checksum line.  Run it as
    python3 benchmarks/workloads/objects.py [--quick] [--scale F]
The benchmark runner runs it with PYTHONMALLOC=malloc so that every object
allocation goes to the malloc under test instead of Python's own small-object
pool.
"""

import random
import sys
import zlib


class Node:
    __slots__ = ("key", "value", "children")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.children = []


class Record:
    def __init__(self, ident, name, tags):
        self.ident = ident
        self.name = name
        self.tags = tags
        self.attrs = {"len": len(name), "first": name[:1]}


def build_tree(rng, depth, fanout):
    root = Node("root", 0)
    level = [root]
    for d in range(depth):
        nxt = []
        for parent in level:
            for i in range(fanout):
                n = Node(f"{parent.key}/{i}", rng.randrange(1 << 20))
                parent.children.append(n)
                nxt.append(n)
        level = nxt
    return root


def tree_sum(node):
    total = node.value
    stack = list(node.children)
    while stack:
        n = stack.pop()
        total += n.value + len(n.key)
        stack.extend(n.children)
    return total


def round_of_work(rng, size):
    # Records with strings, lists and dicts.
    records = [Record(i, "rec-%d-%x" % (i, rng.randrange(1 << 30)),
                      [rng.choice("abcdefgh") * rng.randrange(1, 6)
                       for _ in range(rng.randrange(1, 5))])
               for i in range(size)]
    index = {r.name: r for r in records}
    by_tag = {}
    for r in records:
        for t in r.tags:
            by_tag.setdefault(t, []).append(r.ident)
    # Drop a random half, re-add new ones (churn of mixed-size objects).
    for r in rng.sample(records, size // 2):
        del index[r.name]
    for i in range(size // 2):
        name = "new-%d" % i
        index[name] = Record(size + i, name, [name[-2:]])
    # String building and splitting.
    text = ",".join(sorted(index)[: size // 4])
    parts = text.split(",")
    joined = "".join(p.upper() for p in parts[:200])
    # Tuples and sets.
    pairs = {(r.ident % 97, len(r.name)) for r in index.values()}
    tree = build_tree(rng, 4, 6)
    h = zlib.crc32(joined.encode())
    h ^= sum(len(v) for v in by_tag.values())
    h ^= len(pairs) * 31 + tree_sum(tree)
    return h & 0xFFFFFFFF


def main():
    scale = 1.0
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--quick":
            scale = 0.125
        elif a == "--scale" and args:
            scale = float(args.pop(0))
        else:
            sys.exit("usage: objects.py [--quick] [--scale F]")
    rng = random.Random(42)
    rounds = max(1, int(16 * scale))
    checksum = 0
    for _ in range(rounds):
        checksum = (checksum * 1000003 ^ round_of_work(rng, 20000)) & (2**64 - 1)
    print("objects: checksum=0x%016x rounds=%d" % (checksum, rounds))


if __name__ == "__main__":
    main()
