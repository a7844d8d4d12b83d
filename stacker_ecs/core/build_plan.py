"""The ``check_build`` hook of every engine whose config has stacks, hooks and lookups (stacker, CFNgin).

Before the first stack changes, it judges the build's switches and app (:mod:`stacker_ecs.core.build`),
every query of our lookups in an enabled stack, every variable of our blueprints in an enabled
stack whose value is known before the build (:mod:`stacker_ecs.core.blueprint_adapter`), and the
arguments of every enabled hook of ours exactly as the hook will receive them. stacker's and
CFNgin's configs have the same shape (stacks with ``name``, ``class_path``, ``enabled`` and
``variables``; hooks with ``path``, ``enabled`` and ``args``; ``lookups`` from name to class path),
so an engine adapter says only where its own classes live (:class:`Engine`). No AWS call.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from stacker_ecs.core.blueprint import BLUEPRINTS
from stacker_ecs.core.blueprint_adapter import check_before_build
from stacker_ecs.core.build import BuildArgs, check_build, stacker_option
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.hooks import HOOKS, LOOKUPS
from stacker_ecs.core.model import parse
from stacker_ecs.core.query import parse_query

LOOKUP_CLASSES = {
    "LiveVersionLookup": "ecs_live_version",
    "ListenerLookup": "alb_listener",
    "RulePriorityLookup": "alb_rule_priority",
    "LiveDesiredCountLookup": "ecs_live_desired_count",
    "VersionDesiredCountLookup": "ecs_version_desired_count",
    "DeployedVersionLookup": "ecs_deployed_version",
}
"""Our lookup classes (the same names in every engine's module) -> their names in :data:`LOOKUPS`."""


@dataclass(frozen=True)
class Engine:
    """Where an engine's adapters live, e.g. ``stacker_ecs.hooks.``, ``stacker_ecs.cfngin.hooks.``."""

    hooks: str
    lookups: str
    blueprints: str
    hooks_section: str
    """Where the config lists the lifecycle hooks (``post_build``, ``post_deploy``)."""
    option: Callable[[str], str] = stacker_option
    """How the engine's user sets a value for one build (``-e app=<app>``)."""

    def kind_of(self, class_path: str | None) -> str | None:
        """Return the blueprint kind of ``class_path`` when it is one of this engine's blueprints of ours."""
        path = str(class_path or "")
        if not path.startswith(self.blueprints):
            return None
        module, _, name = path.rpartition(".")
        blueprint = getattr(importlib.import_module(module), name, None)
        kind = getattr(blueprint, "KIND", None)  # not issubclass: Runway may import our modules twice in a run
        return kind if isinstance(blueprint, type) and kind in BLUEPRINTS else None

    def hook_name(self, path: str | None) -> str | None:
        """Return the core hook name of ``path`` when it is one of this engine's hooks of ours."""
        name = str(path or "").removeprefix(self.hooks)
        return name if str(path or "").startswith(self.hooks) and name in HOOKS else None


def declared_apps(stacks: Iterable[Any], engine: Engine) -> list[str]:
    """Return the ``App`` of every enabled application stack of the config."""
    return [str((stack.variables or {}).get("App")) for stack in stacks
            if stack.enabled and engine.kind_of(stack.class_path) == "application"]


def check_config(switches: dict[str, Any], *, stacks: list[Any], hooks: list[Any], lookups: dict[str, str],
                 namespace: str | None, engine: Engine) -> dict[str, Any]:
    """Refuse a build whose switches, app, version, lookups, variables or hook arguments are wrong.

    ``switches`` are the check_build hook's own arguments. Returns what the build will do
    (:func:`stacker_ecs.core.build.check_build`).
    """
    where = f"hook {engine.hooks}check_build args"
    result = check_build(parse(BuildArgs, {**switches, "apps": declared_apps(stacks, engine)}, where=where),
                         option=engine.option)
    problems = _lookup_problems(stacks, lookups, namespace, engine) + _variable_problems(stacks, engine)
    for hook in hooks:
        name = engine.hook_name(hook.path)
        if name and hook.enabled:
            try:
                hook_args(name, dict(hook.args or {}), namespace=namespace, engine=engine)
            except ConfigError as exc:
                problems.append(str(exc))
    if problems:
        raise ConfigError(problems, where=f"{engine.hooks_section} hooks and lookups")
    return result


def hook_args(name: str, args: dict[str, Any], *, namespace: str | None, engine: Engine) -> Any:
    """Parse ``args`` as hook ``name`` will (the config's namespace by default); no AWS call."""
    data = dict(args)
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return parse(HOOKS[name][0], data, where=f"hook {engine.hooks}{name} args")


def _lookup_problems(stacks: Iterable[Any], lookups: dict[str, str], namespace: str | None,
                     engine: Engine) -> list[str]:
    """Return what is wrong with the queries of our lookups in the enabled stacks."""
    names = {name: LOOKUPS[LOOKUP_CLASSES[path.removeprefix(engine.lookups)]][0]
             for name, path in (lookups or {}).items()
             if path.startswith(engine.lookups) and path.removeprefix(engine.lookups) in LOOKUP_CLASSES}
    if not names:
        return []
    pattern = re.compile(r"\$\{(" + "|".join(map(re.escape, names)) + r") ([^${}]*)\}")
    problems = []
    for stack in stacks:
        if not stack.enabled:
            continue
        for value in (stack.variables or {}).values():
            for lookup, query in pattern.findall(str(value)):
                try:
                    parse_query(names[lookup], query, lookup=lookup, namespace=namespace)
                except ConfigError as exc:
                    problems.append(f"stack {stack.name!r}: {exc}")
    return problems


def _variable_problems(stacks: Iterable[Any], engine: Engine) -> list[str]:
    """Return what is wrong with the known variables of our blueprints' enabled stacks."""
    problems = []
    for stack in stacks:
        kind = engine.kind_of(stack.class_path) if stack.enabled else None
        if kind:
            try:
                check_before_build(kind, dict(stack.variables or {}),
                                   where=f"stack {stack.name!r} ({str(stack.class_path).rpartition('.')[2]} blueprint)")
            except ConfigError as exc:
                problems.append(str(exc))
    return problems
