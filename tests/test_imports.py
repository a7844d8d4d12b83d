"""No import cycles, deferred (function-level) imports included; the core imports no engine; every module imports.

The graph is read from the source (every ``import`` and ``from ... import`` of our own modules, at any
depth), so a cycle hidden by importing inside a function is a cycle too. Imports under
``if TYPE_CHECKING:`` never run, so they are left out (annotations only).
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import emulator
import stacker_ecs

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ((stacker_ecs, "stacker_ecs."), (emulator, "emulator."))
MODULES = sorted(m.name for package, prefix in PACKAGES for m in pkgutil.walk_packages(package.__path__, prefix))
ENGINES = ("stacker", "runway", "sceptre")


def source_of(module: str) -> Path:
    """Return the file of one of our modules in this checkout (not the installed copy)."""
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imports_of(module: str) -> set[str]:
    """Return every module ``module`` imports, at any depth of its source (relative imports resolved)."""
    tree = ast.parse(source_of(module).read_text())
    package = module if source_of(module).name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):  # drop type-checking-only blocks: they never run
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """Return module -> the modules of ours it imports (anywhere in its source)."""
    ours = set(MODULES)
    return {module: {name for name in imports_of(module) if name in ours and name != module} for module in MODULES}


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    """Return every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return each import ``a -> b`` where ``b`` leads back to ``a``, as the pair ``sorted([a, b])``."""
    return sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets  # type: ignore[misc]
                   if a in reachable(edges, b)})


def test_no_module_imports_itself_back_through_others_deferred_imports_included():
    assert cycles(graph()) == []


def test_the_cycle_finder_sees_a_cycle_made_of_a_deferred_import():
    edges = graph()
    edges["stacker_ecs.sceptre.check"] = edges["stacker_ecs.sceptre.check"] | {"stacker_ecs.sceptre.hooks"}

    assert ("stacker_ecs.sceptre.check", "stacker_ecs.sceptre.hooks") in cycles(edges)


def test_the_core_imports_no_engine_anywhere_in_its_source():
    importing = {module: sorted(name for name in imports_of(module) if name.split(".")[0] in ENGINES)
                 for module in MODULES if module.startswith("stacker_ecs.core")}

    assert {module: names for module, names in importing.items() if names} == {}


BUILD_MODELS = """
import importlib, sys
from pydantic import BaseModel
built = 0
for name in sys.argv[1:]:
    for value in list(vars(importlib.import_module(name)).values()):
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == name:
            value.model_rebuild(force=True)  # raises when its validator cannot be built
            built += 1
print('ok', built)
"""


def test_every_module_imports_and_every_model_builds_its_validator_in_a_fresh_interpreter():
    """pydantic leaves a model it cannot build (an annotation it cannot resolve) incomplete, without a word, until
    a run first validates its arguments; here every model of ours is built, and one that cannot be fails."""
    done = subprocess.run([sys.executable, "-c", BUILD_MODELS, *MODULES], capture_output=True, text=True, cwd=ROOT,
                          check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    said, built = done.stdout.split()
    assert said == "ok"
    assert len(MODULES) > 40
    assert int(built) >= 25  # the hooks', lookups', commands' and blueprints' models (27 now)


def test_the_installed_sceptre_entry_points_are_the_registrys():
    from importlib.metadata import entry_points

    from stacker_ecs.core.registry import sceptre_entry_points

    for group, declared in sceptre_entry_points().items():
        installed = sorted(f"{point.name}={point.value}" for point in entry_points(group=group)
                           if point.value.startswith("stacker_ecs."))
        assert installed == sorted(declared), f"{group}: run `make install` ({installed} != {declared})"
        for point in entry_points(group=group):
            if point.value.startswith("stacker_ecs."):
                assert point.load(), point
