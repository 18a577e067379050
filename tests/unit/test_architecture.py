"""The house rules of `gcal/` (docs/architecture.md), read from the code with `ast`.

Imports flow one way: tools → replies → scheduling / ics → events → google → dates → root.
A module may import its own wing or any wing below it; `scheduling` and `ics` stand side by
side and do not import each other. No import circle, even through a deferred import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "gcal"
# Higher rank may import lower rank; equal ranks only within the same wing.
RANKS = {"": 0, "dates": 1, "google": 2, "events": 3, "scheduling": 4, "ics": 4, "replies": 5}
MAX_ROOT_FILES = 8


def _module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(CORE.rglob("*.py"))}


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every gcal module this file imports, wherever the import stands (deferred ones too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("gcal"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "gcal":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {name for name in found if name in known}


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(path, known) - {name} for name, path in known.items()}


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS) else ""


def direction_breaches(graph: dict[str, set[str]]) -> list[str]:
    breaches = []
    for module, targets in graph.items():
        here = _wing(module)
        for target in targets:
            there = _wing(target)
            if there == here or target == "gcal":
                continue
            if RANKS[there] >= RANKS[here]:
                breaches.append(f"{module} → {target}")
    return sorted(breaches)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_wing_is_known():
    wings = {path.name for path in CORE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert wings == set(RANKS) - {""}


def test_imports_flow_one_way():
    assert direction_breaches(_graph()) == []


def test_no_import_circles():
    assert circles(_graph()) == []


def test_the_root_stays_small():
    root_files = sorted(path.name for path in CORE.glob("*.py"))
    assert len(root_files) <= MAX_ROOT_FILES, root_files


@pytest.mark.parametrize("wing", sorted(set(RANKS) - {""}))
def test_wing_init_only_hands_names_on(wing):
    tree = ast.parse((CORE / wing / "__init__.py").read_text(encoding="utf-8"))
    for statement in tree.body:
        docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        handing_on = isinstance(statement, ast.Import | ast.ImportFrom) or (
            isinstance(statement, ast.Assign)
            and [getattr(t, "id", None) for t in statement.targets] == ["__all__"])
        assert docstring or handing_on, ast.dump(statement)[:120]


def test_the_core_never_imports_the_dify_sdk():
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        assert "dify_plugin" not in {
            alias.name.split(".")[0]
            for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ImportFrom)
        }, name


# --- the checks themselves can fail ---------------------------------------------------------

def test_a_downward_import_is_allowed_and_an_upward_one_is_caught():
    graph = {"gcal.events.writes": {"gcal.google.transport", "gcal.errors"},
             "gcal.google.transport": {"gcal.events.writes"},
             "gcal.errors": set()}
    assert direction_breaches(graph) == ["gcal.google.transport → gcal.events.writes"]


def test_siblings_scheduling_and_ics_do_not_import_each_other():
    graph = {"gcal.ics.export": {"gcal.scheduling.slots"}, "gcal.scheduling.slots": set()}
    assert direction_breaches(graph) == ["gcal.ics.export → gcal.scheduling.slots"]


def test_a_circle_inside_one_wing_is_caught():
    graph = {"gcal.ics.reading": {"gcal.ics.ranges"}, "gcal.ics.ranges": {"gcal.ics.reading"},
             "gcal.ics.items": set()}
    assert circles(graph) == [["gcal.ics.ranges", "gcal.ics.reading"]]
