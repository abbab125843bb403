"""The package's import structure: folders by role, layers that import only downward, no
import circles, no pytest below the wiring, and a short top level (issue: folders by role).

Imports are read from the source with ``ast`` (those under ``TYPE_CHECKING`` and inside
functions included), so the rule holds for lazy imports too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_evals"

# Lower numbers are lower floors; a module imports only its own floor and those below.
LAYERS = {
    "values": 0,
    "errors": 0,
    "redact": 0,
    "records": 1,
    "wire": 2,
    "reporting": 3,
    "spec": 3,
    "providers": 4,
    "scorers": 5,
    "calls": 6,
    "load": 6,
    "plugin": 7,
}
# Folders whose modules may import pytest: only the wiring.
PYTEST_ALLOWED = {"plugin"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Absolute names of the modules ``path`` imports (``from .x import y`` resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from . import hookspecs`` imports the module hookspecs, not the package's face.
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in submodules if _path_of(name) is not None]
            if node.module is not None or not submodules:
                yield target
            yield from submodules


def _path_of(module: str) -> Path | None:
    relative = Path(*module.split(".")[1:]) if module.startswith("pytest_evals.") else None
    if relative is None:
        return None
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        own = _module_name(path)
        graph[own] = {
            target
            for target in _imports(path)
            if target.startswith("pytest_evals.") and target != own and _path_of(target)
        }
    return graph


def _room(module: str) -> str:
    """The top-level module or folder a module belongs to (``spec`` for spec.model)."""
    return module.split(".")[1] if "." in module else module


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_no_import_circles_between_folders() -> None:
    rooms: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        if module == "pytest_evals":
            continue
        rooms.setdefault(_room(module), set()).update(
            _room(t) for t in targets if _room(t) != _room(module)
        )
    assert _cycles(rooms) == []


def test_every_import_runs_down_the_layers() -> None:
    upward = []
    for module, targets in _graph().items():
        if module == "pytest_evals":
            continue  # the package's face names its public API
        floor = LAYERS[_room(module)]
        upward += [f"{module} -> {t}" for t in sorted(targets) if LAYERS[_room(t)] > floor]
    assert upward == []


def test_scorers_reach_models_through_their_port_not_the_engine() -> None:
    reaching = [
        f"{m} -> {t}"
        for m, targets in _graph().items()
        if _room(m) == "scorers"
        for t in targets
        if _room(t) == "calls"
    ]
    assert reaching == []


def test_only_the_wiring_imports_pytest() -> None:
    importing = [
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if _room(_module_name(path)) not in PYTEST_ALLOWED
        and any(name == "pytest" or name.startswith("_pytest") for name in _imports(path))
    ]
    assert importing == []


def test_every_folder_and_module_has_a_layer_and_the_top_level_is_short() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    rooms = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }
    assert rooms - {"__init__"} == set(LAYERS)
