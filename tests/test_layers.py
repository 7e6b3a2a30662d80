"""The layer table of README.rst as a contract (``.importlinter``), and no import cycle between packages.

``lint-imports`` checks that no package imports one above it at run time (type
hints under ``TYPE_CHECKING`` do not count), with no exceptions. The second
test finds the import cycles between the packages of ``mcp_sync``: there are
none, and a new one fails it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]



def test_no_package_imports_a_layer_above_it():
    pytest.importorskip("importlinter", reason="the test extra installs import-linter")
    lint_imports = Path(sys.executable).with_name("lint-imports")  # the command import-linter installs
    assert lint_imports.exists(), f"{lint_imports} is missing: install the test extra"
    done = subprocess.run([str(lint_imports), "--no-cache", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken." in done.stdout


def _package_cycles() -> list[set[str]]:
    grimp = pytest.importorskip("grimp", reason="import-linter brings grimp")
    graph = grimp.build_graph("mcp_sync", cache_dir=None, exclude_type_checking_imports=True)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = module.split(".")[1] if module.count(".") else ""
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")[1] if imported.count(".") else ""
            if source and target and source != target:
                edges.setdefault(source, set()).add(target)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(component)

    for node in sorted(edges):
        if node not in order:
            visit(node)
    return cycles


def test_no_cycle_between_packages():
    assert _package_cycles() == []
