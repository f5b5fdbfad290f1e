"""Every module imports on its own, and no module-level import cycle exists within synthkit."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import synthkit

PKG_DIR = Path(synthkit.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package (``__init__`` files name their package)."""
    out = {}
    for path in sorted(PKG_DIR.rglob("*.py")):
        parts = list(path.relative_to(PKG_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module, deferred: bool = False):
    """Import statements run when the module is imported: not in functions, not under TYPE_CHECKING.

    With ``deferred=True`` the imports inside functions and methods are included too.
    """
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                stack.extend(node.body)
            stack.extend(node.orelse)
        elif isinstance(node, (ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                stack.extend(handler.body)
        elif isinstance(node, ast.ClassDef):
            stack.extend(node.body)
        elif deferred and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.body)
        elif deferred and isinstance(node, (ast.For, ast.While)):
            stack.extend(node.body + node.orelse)


def import_graph(deferred: bool = False) -> dict[str, set[str]]:
    """Edges ``module -> synthkit module it imports at module level`` (and in functions if ``deferred``)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")), deferred):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # `from pkg import sub` needs only the submodule; `from mod import name` needs mod
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
                targets = subs + ([target] if len(subs) < len(node.names) else [])
            for t in targets:
                if t in mods and t != name:
                    graph[name].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None (iterative DFS)."""
    state = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    for start in sorted(graph):
        if state[start]:
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph[nxt])))
    return None


def test_find_cycle_on_known_graphs():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_import_graph_sees_relative_imports():
    graph = import_graph()
    assert "synthkit.errors" in graph["synthkit.seeding"]
    assert "synthkit.clusters.mixture" in graph["synthkit.clusters.archetype"]


def test_no_module_level_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle)


def test_no_import_cycle_counting_imports_inside_functions():
    # a deferred import only hides a cycle: the two modules still cannot be understood apart
    cycle = find_cycle(import_graph(deferred=True))
    assert cycle is None, "import cycle through a deferred import: " + " -> ".join(cycle)


_ISOLATED = r"""
import importlib, json, sys, traceback
failures = {}
for name in json.loads(sys.argv[1]):
    for m in [m for m in sys.modules if m == "synthkit" or m.startswith("synthkit.")]:
        del sys.modules[m]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


@pytest.mark.slow  # (10-19 s: run with `pytest -m slow`)
def test_every_module_imports_in_isolation():
    names = [m for m in _modules() if not m.endswith("__main__")]  # those run the CLI
    out = subprocess.run([sys.executable, "-c", _ISOLATED, json.dumps(names)], capture_output=True,
                         text=True, timeout=120, check=True)
    failures = json.loads(out.stdout.strip().splitlines()[-1])
    assert not failures, "\n".join(f"{k}:\n{v}" for k, v in failures.items())
