#!/usr/bin/env python3
"""Import circles between the modules of a crate.

Reads every `.rs` file under a crate's `src/`, collects the modules each one names
(`crate::…`, `super::…`, `self::…` and child modules, in `use` items and in paths inside the
code), and prints the strongly connected components of that graph with more than one member:
once between files, once between units (a top-level module, or one face under `faces/`).
A parent module declaring its children (`mod x;`) is not an edge; a parent *using* a child is.

    python3 .ci/import-circles.py crates/sigil-server/src [--fail]

With --fail it exits 1 when the units form a circle or a face names another face.
"""
import os
import re
import sys

root = sys.argv[1].rstrip("/")
fail = "--fail" in sys.argv

# module path (tuple) -> file
modules = {}
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".rs"):
            continue
        rel = os.path.relpath(os.path.join(dirpath, name), root)[:-3].split(os.sep)
        if rel[-1] in ("mod",) or rel == ["lib"] or rel == ["main"]:
            rel = rel[:-1]
        modules[tuple(rel)] = os.path.join(dirpath, name)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand(path):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]"""
    path = re.sub(r"\s+", "", path)
    m = re.search(r"\{", path)
    if not m:
        return [path]
    prefix = path[: m.start()]
    depth, items, cur = 0, [], ""
    for ch in path[m.start() + 1 :]:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in items:
        if item:
            out.extend(expand(prefix + item))
    return out


def resolve(current, segments):
    """The longest known module a path names, from module `current`."""
    segs = list(segments)
    if not segs:
        return None
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = current
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    elif current + (segs[0],) in modules:
        base = current
    elif (segs[0],) in modules:
        # A top-level module brought in by `use crate::x;` and named as `x::…`.
        base = ()
    else:
        return None
    best = base if base in modules else None
    for i in range(1, len(segs) + 1):
        if base + tuple(segs[:i]) in modules:
            best = base + tuple(segs[:i])
        else:
            break
    return best


edges = {m: set() for m in modules}
PATH = re.compile(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+|\w+(?:::\w+)+)")
for mod, file in modules.items():
    text = strip_comments(open(file).read())
    # A file's unit tests (an inline `mod tests` at its end) are left out: their `super` is
    # the file itself.
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)[0]
    found = []
    for use in re.findall(r"\buse\s+([^;]+);", text):
        found.extend(expand(use))
    text_wo_use = re.sub(r"\buse\s+[^;]+;", "", text)
    found.extend(PATH.findall(text_wo_use))
    for path in found:
        target = resolve(mod, [s for s in path.split("::") if s and s != "*"])
        if target is not None and target != mod:
            edges[mod].add(target)


def unit(mod):
    return mod[:2] if mod[:1] == ("faces",) and len(mod) > 1 else mod[:1]


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def name(mod):
    return "crate::" + "::".join(mod) if mod else "crate"


# Between files, only circles that leave a unit count: a face's mod.rs and its children
# naming each other is that face's inside.
file_graph = edges
unit_graph = {}
for m, ts in edges.items():
    unit_graph.setdefault(unit(m), set())
    for t in ts:
        if unit(t) != unit(m):
            unit_graph[unit(m)].add(unit(t))
            unit_graph.setdefault(unit(t), set())

file_circles = [c for c in sccs(file_graph) if len({unit(m) for m in c}) > 1]
unit_circles = sccs(unit_graph)
face_to_face = sorted(
    (name(a), name(b))
    for a, ts in unit_graph.items()
    for b in ts
    if a[:1] == ("faces",) and b[:1] == ("faces",) and len(a) == 2 and len(b) == 2
)

print(f"files: {len(modules)}")
print(f"file circles spanning units: {len(file_circles)}; largest: {max((len(c) for c in file_circles), default=0)} files")
for c in file_circles:
    print("  " + ", ".join(sorted(name(m) for m in c)))
print(f"unit circles: {len(unit_circles)}; largest: {max((len(c) for c in unit_circles), default=0)} units")
for c in unit_circles:
    print("  " + ", ".join(sorted(name(m) for m in c)))
print(f"face -> face imports: {len(face_to_face)}")
for a, b in face_to_face:
    print(f"  {a} -> {b}")
if fail and (unit_circles or face_to_face):
    sys.exit(1)
