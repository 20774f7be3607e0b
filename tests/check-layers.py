#!/usr/bin/env python3
# The structure check: no include of a later layer, no file-level call cycle under src/.
"""check-layers.py SOURCE-ROOT [BUILD-DIR]

Layers: the list under "# ---- the libraries" in SOURCE-ROOT/meson.build, one comment line
per layer ("#   name    what it is"), in order. src/<name>/ and include/<name>/ belong to
layer name, src/main.c to "main". Every #include "..." under src/ and include/ must name a
header of the file's own layer or of one listed before it; a header of a layer that is not
in the list is an error too. Headers the top-level meson.build generates (configure_file)
belong to no layer.

Cycles (only with BUILD-DIR): every object of a file under src/ (from the build's
compile_commands.json) is read with nm; a file that uses a global symbol defined in another
file depends on it. Files that depend on each other, directly or around a cycle, are an
error: each cycle is printed with the symbols along its edges.

Exits 0 when both hold, 1 with one line per problem otherwise, 2 on a usage or build error."""

import json
import os
import re
import subprocess
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
LAYER_LINE_RE = re.compile(r"^#   ([a-z][a-z0-9_-]*)\s+\S")
GENERATED_RE = re.compile(r"configure_file\s*\(\s*output\s*:\s*'([^']+)'")
SOURCE_EXTS = (".c", ".h")


class UsageError(Exception):
    pass


def read_layers(meson_build):
    """The layer names in order, from the comment block under '# ---- the libraries'."""
    layers = []
    in_block = False
    with open(meson_build) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# ---- the libraries"):
                in_block = True
                continue
            if not in_block:
                continue
            m = LAYER_LINE_RE.match(line)
            if m:
                layers.append(m.group(1))
            elif layers and line.startswith("#    "):
                continue  # a description carried on to the next line
            elif layers:
                break
    if not layers:
        raise UsageError("%s: no layer list under '# ---- the libraries'" % meson_build)
    return layers


def generated_headers(meson_build):
    with open(meson_build) as f:
        return set(GENERATED_RE.findall(f.read()))


def layer_of(rel):
    """The layer a path relative to the source root belongs to, or None outside src/, include/."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) == 2 and parts[1] == "main.c":
        return "main"
    if parts[0] in ("src", "include") and len(parts) >= 3:
        return parts[1]
    return None


def source_files(root):
    for top in ("src", "include"):
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(SOURCE_EXTS):
                    yield os.path.relpath(os.path.join(d, name), root)


def resolve(root, rel, header):
    """The header's path relative to root as the compiler finds it (the including file's
    directory, then include/, then the root: meson.build's incs), or None."""
    for base in (os.path.dirname(rel), "include", ""):
        cand = os.path.normpath(os.path.join(base, header))
        if not cand.startswith("..") and os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def check_includes(root, layers, generated):
    rank = {name: i for i, name in enumerate(layers)}
    problems = []
    for rel in source_files(root):
        own = layer_of(rel)
        if own not in rank:
            problems.append("%s: layer %s is not in meson.build's list (%s)"
                            % (rel, own, ", ".join(layers)))
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                header = m.group(1)
                if header in generated:
                    continue
                found = resolve(root, rel, header)
                # a header that is not there yet still says its layer: "<layer>/x.h"
                theirs = layer_of(found) if found else layer_of("include/" + header)
                if theirs not in rank:
                    problems.append('%s:%d: #include "%s": %s, not a layer of meson.build\'s '
                                    "list (%s)" % (rel, lineno, header,
                                                   "layer %s" % theirs if theirs else
                                                   "no layer", ", ".join(layers)))
                elif rank[theirs] > rank[own]:
                    problems.append('%s:%d: #include "%s": layer %s includes layer %s, which '
                                    "comes after it" % (rel, lineno, header, own, theirs))
    return problems


def objects(root, build):
    """{object path: source path relative to root} for the sources under src/."""
    db = os.path.join(build, "compile_commands.json")
    try:
        with open(db) as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError("%s: %s (is %s a meson build directory?)" % (db, e, build))
    real_root = os.path.realpath(root)
    out = {}
    for e in entries:
        src = os.path.realpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(src, real_root)
        if not rel.startswith("src/") or "output" not in e:
            continue
        obj = os.path.join(e["directory"], e["output"])
        if not os.path.isfile(obj):
            raise UsageError("%s: not built (build %s first)" % (obj, build))
        out[obj] = rel
    if not out:
        raise UsageError("%s: no object of a file under src/" % db)
    return out


def symbol_tables(objs):
    """{source: (defined globals, undefined symbols)} from one nm run over every object."""
    p = subprocess.run(["nm", "-A", *sorted(objs)], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise UsageError("nm failed: %s" % p.stderr.strip())
    tables = {rel: (set(), set()) for rel in objs.values()}
    for line in p.stdout.splitlines():
        obj, _, rest = line.partition(":")
        fields = rest.split()
        if obj not in objs or len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        defined, undefined = tables[objs[obj]]
        if kind == "U":
            undefined.add(name)
        elif kind.isupper():
            defined.add(name)
    return tables


def dependency_graph(tables):
    """{file: {file it uses: [symbols]}}"""
    owner = {}
    for rel, (defined, _) in tables.items():
        for name in defined:
            owner.setdefault(name, rel)
    graph = {rel: {} for rel in tables}
    for rel, (_, undefined) in tables.items():
        for name in undefined:
            other = owner.get(name)
            if other is not None and other != rel:
                graph[rel].setdefault(other, []).append(name)
    return graph


def cycles(graph):
    """The strongly connected components of more than one file (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # iterative, so that a long chain of files cannot hit Python's recursion limit
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def check_cycles(root, build):
    graph = dependency_graph(symbol_tables(objects(root, build)))
    problems = []
    for comp in cycles(graph):
        members = set(comp)
        edges = ["%s -> %s (%s)" % (a, b, ", ".join(sorted(graph[a][b])[:3])
                                    + (", ..." if len(graph[a][b]) > 3 else ""))
                 for a in comp for b in sorted(graph[a]) if b in members]
        problems.append("call cycle between %d files: %s\n    %s"
                        % (len(comp), " ".join(comp), "\n    ".join(edges)))
    return problems


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    root = argv[1]
    build = argv[2] if len(argv) == 3 else None
    meson_build = os.path.join(root, "meson.build")
    try:
        layers = read_layers(meson_build)
        problems = check_includes(root, layers, generated_headers(meson_build))
        if build is not None:
            problems += check_cycles(root, build)
    except (OSError, UsageError) as e:
        print("check-layers: %s" % e, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print("check-layers: layers %s; %d problem(s)%s" % (
        ", ".join(layers), len(problems), "" if build else "; call cycles not checked (no "
                                                             "build directory)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
