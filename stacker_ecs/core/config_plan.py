"""The :class:`~stacker_ecs.core.preflight.LaunchPlan` of a stacker-shaped config (stacker's and CFNgin's).

stacker's and CFNgin's configs have the same shape: stacks with ``name``, ``class_path``,
``enabled`` and ``variables``; hooks with ``path``, ``enabled`` and ``args``; ``lookups`` from
name to class path. So an engine's ``check_build`` hook says only where its own classes live
(:class:`Engine`) and hands over its config's lists.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from stacker_ecs.core.blueprint import BLUEPRINTS
from stacker_ecs.core.blueprint_adapter import SET_THEM, known
from stacker_ecs.core.preflight import LaunchPlan, PlannedHook, PlannedLookup, PlannedStack, check_launch
from stacker_ecs.core.registry import HOOKS, LOOKUPS
from stacker_ecs.core.switches import stacker_option


@dataclass(frozen=True)
class Engine:
    """Where an engine's adapters live, e.g. ``stacker_ecs.hooks.``, and what its run is called."""

    hooks: str
    lookups: str
    blueprints: str
    verb: str
    """``build`` (``stacker build``), ``deploy`` (``runway deploy``)."""
    command: str
    """The engine's command, e.g. ``stacker build``: where refusals say they come from."""
    option: Callable[[str], str] = stacker_option
    """How the engine's user sets a value for one run (``-e app=<app>``)."""
    hooks_section: str = "post_build"
    """Where the config lists the lifecycle hooks (``post_build``, ``post_deploy``)."""

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
                 namespace: str | None, engine: Engine, session: Any = None) -> dict[str, Any]:
    """Refuse a run whose switches, app, version, lookups, variables or hook arguments are wrong.

    ``switches`` are the check_build hook's own arguments; with a boto3 ``session`` also what AWS can
    tell before any change (reads only). Returns what the run will do.
    """
    plan = LaunchPlan(
        verb=engine.verb, switches=switches, apps=declared_apps(stacks, engine), namespace=namespace,
        stacks=[PlannedStack(name=stack.name, kind=kind, variables=dict(stack.variables or {}),
                             where=f"stack {stack.name!r} ({str(stack.class_path).rpartition('.')[2]} blueprint)")
                for stack in stacks if stack.enabled and (kind := engine.kind_of(stack.class_path))],
        hooks=[PlannedHook(name=name, args=dict(hook.args or {}), where=f"hook {engine.hooks}{name} args")
               for hook in hooks if hook.enabled and (name := engine.hook_name(hook.path)) and HOOKS[name].switch],
        lookups=_lookups(stacks, lookups, engine), option=engine.option, known=known, set_variables=SET_THEM,
        run_by={switch: f"add the {engine.hooks}{hook} hook to {engine.hooks_section}"
                for switch, hook in (("verify", "verify_health"), ("cutover", "cutover"), ("rollback", "rollback"),
                                     ("cleanup", "cleanup"), ("teardown", "teardown"))})
    return check_launch(plan, where=engine.command, session=session)


def _lookups(stacks: Iterable[Any], lookups: dict[str, str], engine: Engine) -> list[PlannedLookup]:
    """Return every query of our lookups (as the config registers them) in the enabled stacks."""
    names = {name: cls for name, path in (lookups or {}).items()
             if path.startswith(engine.lookups)
             and (cls := path.removeprefix(engine.lookups)) in {lookup.class_name for lookup in LOOKUPS.values()}}
    if not names:
        return []
    by_class = {lookup.class_name: lookup.name for lookup in LOOKUPS.values()}
    pattern = re.compile(r"\$\{(" + "|".join(map(re.escape, names)) + r") ([^${}]*)\}")
    return [PlannedLookup(name=by_class[names[used]], query=query, stack=stack.name)
            for stack in stacks if stack.enabled
            for value in (stack.variables or {}).values()
            for used, query in pattern.findall(str(value))]
