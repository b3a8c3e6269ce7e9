#!/usr/bin/env python3
"""Checks Lepton's module layering.

Reads the module graph that CMake writes (build/lepton_modules.json: each module's name, folder
and declared lepton dependencies) and the sources under src/lepton/, and fails when:
  1. the module graph has a cycle;
  2. a file includes a header of a module its target does not depend on (directly or through
     its dependencies' dependencies, which CMake propagates);
  3. a file includes another module's `internal/` header;
  4. a third-party header is included outside the adapter folder that owns it
     (Beast/Asio in api/, sqlite3 in store/sqlite/, libpq in store/postgres/, ...).
Test sources (`*_test.cc`, `testing/`) may also include `testing/` helpers of modules they may
include. Usage: check_layering.py MODULES_JSON SRC_ROOT  (exit 0 clean, 1 with a list of problems)
"""
import json
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)

# Third-party headers and the only folders (relative to src/lepton/) allowed to include them.
EDGES = {
    "boost/": ["api/"],
    "sqlite3.h": ["store/sqlite/", "lake/sources/"],
    "libpq-fe.h": ["store/postgres/", "lake/sources/"],
    "sodium.h": ["base/crypto.cc", "lake/crypto/"],
    "openssl/": ["base/crypto.cc"],
    "yaml-cpp/": ["base/config.cc", "lake/clean/"],
    "unicode/": ["lake/clean/unicode.cc", "features/text.cc"],
    "zstd.h": ["lake/parquet/"],
    "snappy.h": ["lake/parquet/"],
    "snappy-c.h": ["lake/parquet/"],
    "zlib.h": ["lake/parquet/"],
    "lz4.h": ["lake/parquet/"],
    "xgboost/": ["ml/xgboost/"],
    "torch/": ["ml/torch/"], "ATen/": ["ml/torch/"], "c10/": ["ml/torch/"],
}


def find_cycle(graph):
    """Returns a list of modules forming a cycle, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "active"
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == "active":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def closure(graph, module):
    seen = set()
    todo = [module]
    while todo:
        m = todo.pop()
        for dep in graph.get(m, []):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def check(modules, src_root):
    problems = []
    graph = {m["name"]: m["deps"] for m in modules}
    for m in modules:
        for dep in m["deps"]:
            if dep not in graph:
                problems.append(f"module {m['name']} depends on unknown module {dep}")
    cycle = find_cycle(graph)
    if cycle:
        problems.append("module dependency cycle: " + " -> ".join(cycle))
    # Map each module folder (relative to src/lepton/) to its module name.
    folders = {}
    for m in modules:
        rel = m["dir"]
        prefix = "src/lepton/"
        if rel.startswith(prefix):
            folders[rel[len(prefix):].rstrip("/") + "/"] = m["name"]
    lepton_root = os.path.join(src_root, "lepton")
    for dirpath, _, files in os.walk(lepton_root):
        for f in sorted(files):
            if not f.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, lepton_root).replace(os.sep, "/")
            owner_folder = max((d for d in folders if rel.startswith(d)), key=len, default=None)
            if owner_folder is None:
                problems.append(f"{rel}: not inside any module folder")
                continue
            owner = folders[owner_folder]
            allowed = {owner} | closure(graph, owner)
            is_test = f.endswith("_test.cc") or "/testing/" in "/" + rel
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for inc in INCLUDE.findall(text):
                if inc.startswith("lepton/"):
                    inc_rel = inc[len("lepton/"):]
                    target_folder = max((d for d in folders if inc_rel.startswith(d)), key=len,
                                        default=None)
                    if target_folder is None:
                        problems.append(f"{rel}: includes {inc}, which is in no module")
                        continue
                    target = folders[target_folder]
                    if "/internal/" in "/" + inc_rel and target != owner:
                        problems.append(f"{rel}: includes {inc}, internal to module {target}")
                    if "/testing/" in "/" + inc_rel:
                        if not is_test:
                            problems.append(f"{rel}: non-test code includes test helper {inc}")
                        testing_owner = inc_rel.split("/testing/")[0].split("/")[0]
                        if testing_owner not in allowed and testing_owner not in graph:
                            problems.append(f"{rel}: includes {inc} of unknown module")
                        continue
                    if target not in allowed:
                        problems.append(
                            f"{rel}: includes {inc} but module {owner} does not depend on {target}")
                else:
                    for header, places in EDGES.items():
                        if inc == header or (header.endswith("/") and inc.startswith(header)):
                            if not any(rel.startswith(p) for p in places):
                                problems.append(f"{rel}: includes third-party {inc}, allowed only "
                                                f"in {', '.join(places)}")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        modules = json.load(fh)
    problems = check(modules, argv[2])
    for p in problems:
        print(f"layering: {p}")
    if problems:
        return 1
    print(f"layering: {len(modules)} modules, no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
