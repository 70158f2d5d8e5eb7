"""The package's shape (issue #18 rules 1, 2 and 4): no import cycle, no module over 500
lines, and each route of the local service mounted once.

The import graph is built from every import statement (``package_imports.py``: deferred ones
inside functions included, ``TYPE_CHECKING`` ones left out since they never run), each
resolved to the package module it loads; a cycle is reported with the import lines that
close it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
from package_imports import PACKAGE_DIR, imports, module_name, package_files

MAX_LINES = 500
# module -> why it may be longer (every entry is a debt; the target is none)
JUSTIFIED_LONG_MODULES: dict[str, str] = {}


def import_graph(package_dir: Path = PACKAGE_DIR) -> dict[str, dict[str, str]]:
    """``module -> {imported package module -> "file:line"}`` from the runtime imports."""
    files = package_files(package_dir)
    modules = {module_name(f, package_dir) for f in files}
    graph: dict[str, dict[str, str]] = {}
    for f in files:
        name = module_name(f, package_dir)
        edges = graph.setdefault(name, {})
        for imp in imports(f, package_dir):
            if imp.type_checking:
                continue
            for target in imp.targets():
                if target in modules and target != name:
                    edges.setdefault(target, f"{f.relative_to(package_dir.parent)}:{imp.line}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """One cycle (a closed path of modules) per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_closed_path(graph, component) for component in components]


def _closed_path(graph: dict[str, dict[str, str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself (breadth first)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, {})):
            if nxt == start:
                return [*paths[node], start]
            if nxt in component and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def _describe(graph: dict[str, dict[str, str]], cycle: list[str]) -> str:
    steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in itertools.pairwise(cycle)]
    return "\n  ".join(steps)


def test_no_import_cycle():
    """Test the package's modules import each other without a cycle."""
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n  " + "\n\n  ".join(_describe(graph, c) for c in found)


def test_the_cycle_finder_reports_a_deferred_cycle(tmp_path):
    """Test a cycle held apart by a function-level import is still found and described."""
    package_dir = tmp_path / "pennylane_qoro"
    (package_dir / "local").mkdir(parents=True)
    (package_dir / "__init__.py").write_text("")
    (package_dir / "local" / "__init__.py").write_text("")
    (package_dir / "local" / "app.py").write_text(
        "def create():\n    from .routes import router\n")
    (package_dir / "local" / "routes.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .app import create\n"
        "if TYPE_CHECKING:\n    from . import app\n")
    graph = import_graph(package_dir)
    assert cycles(graph) == [["pennylane_qoro.local.app", "pennylane_qoro.local.routes",
                              "pennylane_qoro.local.app"]]
    assert "(pennylane_qoro/local/app.py:2)" in _describe(graph, cycles(graph)[0])


def test_no_module_over_500_lines():
    """Test every module is at most 500 lines, or named with its reason in the exceptions."""
    sizes = {module_name(f): len(f.read_text(encoding="utf-8").splitlines())
             for f in package_files()}
    long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert set(long) == set(JUSTIFIED_LONG_MODULES), (
        f"modules over {MAX_LINES} lines: {dict(sorted(long.items()))}; "
        f"justified: {sorted(JUSTIFIED_LONG_MODULES)}")


# ------------------------------------------------------------------------------- routes


@pytest.fixture(scope="module")
def app():
    """The application as ``create_app`` builds it by default (what the service serves)."""
    from pennylane_qoro.local.app import create_app
    from pennylane_qoro.local.runner import Runner
    from pennylane_qoro.local.store import Store

    store = Store()
    runner = Runner(store, workers=1)
    try:
        yield create_app(store, runner)
    finally:
        runner.shutdown(timeout=2)
        store.close()


def _method_paths(app) -> list[tuple[str, str]]:
    """``(method, path)`` of every route. FastAPI >= 0.16x keeps included routers as one
    entry each in ``app.routes``; ``routing.iter_route_contexts`` flattens them."""
    from fastapi import routing

    flatten = getattr(routing, "iter_route_contexts", None)
    routes = list(flatten(app.routes)) if flatten is not None else app.routes
    return [(method, route.path) for route in routes
            for method in sorted(route.methods or {"*"})]


def test_each_route_is_mounted_once(app):
    """Test no method and path is served twice (a router mounted twice would shadow one)."""
    twice = [key for key, n in Counter(_method_paths(app)).items() if n > 1]
    assert twice == []


def test_every_router_is_mounted(app):
    """Test each router's routes are there, characterization's included (once, above)."""
    paths = {path for _, path in _method_paths(app)}
    assert {"/api/", "/api/job/init/", "/api/job/{job_id}/add_circuits/",
            "/api/job/{job_id}/status/", "/api/job/{job_id}/submit_qubo/"} <= paths
