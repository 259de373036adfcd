#!/usr/bin/env python3
"""Prints the package's target graph from `swift package describe --type json` and checks it.

What it defends against: a module graph that drifts from what the code does. It fails (exit
status 1, naming each fault) when
  - the graph has a cycle (layers must point one way);
  - a Swift file imports a module of this package, or a package product, that its target does
    not declare (the build can still succeed through another target's dependency, which hides
    the layering from `Package.swift`);
  - a Swift target declares a dependency (a Swift, C or system-library module) that none of
    its files imports.

It prints every target with its declared dependencies, then the graph with the edges implied by
others removed (the transitive reduction), library targets first: what `Package.swift`'s header
comment and README.md's development section draw.

Usage: tools/module_graph.py [--json FILE]   (FILE: saved output of `swift package describe
--type json`; without it the command runs in the package root, with a scratch folder of its own
so that it does not wait on a build's lock).
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMPORT = re.compile(
    r"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?import\s+"
    r"(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?(\w+)",
    re.MULTILINE,
)


def describe(json_file):
    if json_file:
        return json.loads(pathlib.Path(json_file).read_text())
    output = subprocess.run(
        ["swift", "package", "--scratch-path", ".build-describe", "describe", "--type", "json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def swift_imports(target):
    """The modules the target's Swift files import, each with the first file that does."""
    found = {}
    for source in target.get("sources", []):
        if not source.endswith(".swift"):
            continue
        path = ROOT / target["path"] / source
        for name in IMPORT.findall(path.read_text()):
            found.setdefault(name, source)
    return found


def cycle(graph):
    """A cycle as a list of targets, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for child in graph[node]:
            if state.get(child) == "open":
                return trail[trail.index(child):] + [child] if child in trail else [node, child]
            if child not in state:
                found = visit(child, trail + [child])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def reachable(graph, start):
    seen, stack = set(), list(graph[start])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph[node])
    return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="saved output of `swift package describe --type json`")
    package = describe(parser.parse_args().json)

    targets = {t["name"]: t for t in package["targets"] if t["type"] != "plugin"}
    products = {p for d in package["targets"] for p in d.get("product_dependencies", [])}
    graph = {name: [d for d in t.get("target_dependencies", []) if d in targets] for name, t in targets.items()}
    faults = []

    loop = cycle(graph)
    if loop:
        faults.append("cycle: " + " -> ".join(loop))

    for name, target in sorted(targets.items()):
        if target.get("module_type") != "SwiftTarget":
            continue
        declared = set(graph[name]) | set(target.get("product_dependencies", []))
        imported = swift_imports(target)
        for module, source in sorted(imported.items()):
            if (module in targets or module in products) and module not in declared and module != name:
                faults.append(f"{name}: {target['path']}/{source} imports {module}, which {name} does not declare")
        for module in sorted(declared):
            if module not in imported:
                faults.append(f"{name}: declares {module}, which none of its files imports")

    def order(name):
        kind = targets[name]["type"]
        return ({"executable": 0, "library": 1, "test": 2}.get(kind, 3), name)

    print("Declared dependencies (target [type]: dependencies):")
    for name in sorted(targets, key=order):
        target = targets[name]
        listed = graph[name] + target.get("product_dependencies", [])
        print(f"  {name} [{target['type']}]: {', '.join(listed) or '-'}")

    print("\nThe graph without implied edges (A -> B where B is not reached through another of A's):")
    for name in sorted(targets, key=order):
        direct = graph[name]
        kept = [d for d in direct if not any(d in reachable(graph, other) for other in direct if other != d)]
        if kept:
            print(f"  {name} -> {', '.join(kept)}")

    print()
    if faults:
        print("\n".join(faults))
        return 1
    print("one-way, and every target declares exactly the package modules it imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
