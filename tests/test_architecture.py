"""The layout is the architecture: imports read from the source have no circle, and no module
imports from a layer above its own (docs/contributing.md, "Layers").

Every import counts, including those inside functions (a lazy import hides a dependency, it
does not remove it); only imports under ``if TYPE_CHECKING:`` are annotations, not dependencies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "agents", "scenarios", "experiments")

# lowest first; a module may import from its own layer or below. The most specific prefix wins.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sim.errors", "sim"),                                   # 0 errors, the version
    ("sim.numerics",),                                       # 1 kernels, streams, allocator
    ("sim.core.state", "sim.core.events", "sim.core.world", "sim.core.params"),  # 2 the core's vocabulary: state, statuses, the World interface, parameter declarations
    ("sim.mechanisms", "scenarios", "agents.strategies"),     # 3 what happens, scenario data, decision rules
    ("sim.config",),                                         # 4 schema, loading, compiled spec
    ("sim.core",),                                           # 5 the engine and the month, the starting equilibrium
    ("sim.output", "sim.resources"),                         # 6 recording, files, figures; budgets
    ("sim.model", "agents.actors", "agents"),                # 7 the Mesa model and its agents
    ("sim.app", "sim.run", "sim.dashboard"),                 # 8 command-line applications, the classroom dashboard
    ("sim.results",),                                        # 9 loading finished results for analysts: tables, metadata, figures
    ("experiments",),                                        # 10 ensembles, comparisons
)


def layer_of(module: str) -> int:
    best, found = -1, None
    for level, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, found = len(p), level
    if found is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from sim import kernels`` counts as sim.kernels
    when that is a module, else as sim)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def project_graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in files}
    return {module_name(p): {m for m in imports_of(p, modules) if m != module_name(p)} for p in files}


def test_every_module_has_a_layer():
    for module in project_graph():
        layer_of(module)


def test_no_module_imports_from_a_layer_above_its_own():
    graph = project_graph()
    upward = sorted(f"{m} (layer {layer_of(m)}) imports {d} (layer {layer_of(d)})"
                    for m, deps in graph.items() for d in deps if layer_of(d) > layer_of(m))
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if d not in graph:  # a package name without an __init__ of its own in the graph
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (cycle := visit(d)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            return cycle
    return None


def test_no_import_circles():
    graph = project_graph()
    # a package's __init__ that re-exports its modules is not a circle with them
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}}, True),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
])
def test_the_cycle_finder_finds_circles(graph, expected):
    assert (find_cycle(graph) is not None) is expected


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The check reads imports inside functions too: a lazy upward import is still found."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from sim.model import EurosecModel\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.app import entry\n")
    found = imports_of(source, {"sim.model", "sim.app.entry"})
    assert found == {"sim.model"}
    assert layer_of("sim.model") > layer_of("sim.mechanisms.effects")


def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def test_an_entry_point_guard_is_the_last_statement_of_its_module():
    """Under ``python -m`` the guard runs the command as soon as it is reached: a function defined
    below it does not exist yet (``make calibrate`` once failed with NameError that way, while
    its tests, which import the module, passed)."""
    late = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            body = ast.parse(path.read_text(), filename=str(path)).body
            guards = [i for i, node in enumerate(body) if _is_main_guard(node)]
            if guards and guards[-1] != len(body) - 1:
                late.append(f"{path.relative_to(ROOT)}:{body[guards[-1]].lineno}")
    assert not late, f"code after the `if __name__ == '__main__':` guard: {late}"
