"""The checks of a Sceptre launch and delete before any change: ``!ecs_check_build`` (``before_launch``)
and ``!ecs_check_delete`` (``before_delete``).

Sceptre hands a hook its own stack only, and launches stacks in parallel batches. So the hook
records every stack it is attached to while Sceptre reads the config (in the main thread, before
anything runs), and each stack's ``before_launch`` translates all of them into the core's
:class:`~stacker_ecs.core.preflight.LaunchPlan` (the group config's ``ecs_build`` switches, the apps of
its ``app_group``, the stacks, their lifecycle hooks acting on their own app, the queries of our
resolvers, which values are known before the launch) and checks it with
:func:`stacker_ecs.core.preflight.check_launch`, then reads what AWS can tell (alarms, the app's
application stack, zones, certificates, quotas; no change): the first batch is refused before its
first change, whatever stack a problem is in. The stacks of a group share one copy of its
config.yaml's hooks, bound to the stack Sceptre read last: a lifecycle switch whose hook would run
for another stack (``launch dev/app`` with ``rollback``: after neither app's launch, or after both)
is refused.

``sceptre delete`` deletes the stacks under its path and those depending on them, not the versions:
:func:`check_delete` refuses it while an app it would delete is live or has versions (reads only),
naming teardown, with the core's ``check_destroy``; and it refuses to delete a version stack that
traffic reaches (live, previous or serving). Sceptre prints its plan (``dev/version`` among the
stacks it "will delete", though the version file names no version in a plain delete) before any
``before_delete`` hook runs, so :func:`check_delete_early` checks the same plan while Sceptre reads
the config (the hook's ``setup``, the one point of ours before that print): a refused delete says
why in one line, and announces nothing.
"""

from __future__ import annotations

import logging
import posixpath
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sceptre.resolvers import Resolver

from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.preflight import LaunchPlan, PlannedHook, PlannedLookup, PlannedStack
from stacker_ecs.core.preflight import check_launch as check
from stacker_ecs.core.registry import HOOKS, LOOKUPS
from stacker_ecs.sceptre.common import hook_args, stack_app, stack_kind, stack_namespace, stack_user_data
from stacker_ecs.sceptre.handler import SET_THEM, project_paths

LOG = logging.getLogger(__name__)
BUILD_KEY = "ecs_build"
"""The group config key holding what a launch does (``app``, ``version``, the switches, ``app_group``)."""
RUN_BY = {**dict.fromkeys(("verify", "cutover"), "launch the version stack with deploy=true"),
          **dict.fromkeys(("rollback", "cleanup", "teardown"),
                          "launch the app's application stack (e.g. dev/app/<app>.yaml)")}
DEPLOY_HINT = (" (verify and cutover run after its launch; an unchanged version is left as it is), or launch "
               "another path (a plain launch: no --var app)")

TEARDOWN_COMMAND = ("sceptre ... --var app=<app> --var teardown=true [--var teardown_force=true] "
                    "launch -y <environment>/app/<app>.yaml")
"""How a Sceptre user tears one app down (docs/engines.md, Sceptre)."""

_LOCK = threading.Lock()
_STACKS: dict[str, list[Any]] = {}
"""Project directory -> the stacks carrying our check hooks that Sceptre read."""
_PATHS: dict[str, str] = {}
"""Project directory -> the path the command names (``dev``, ``dev/app/web.yaml``), when known."""


_READING = threading.local()
"""``on`` while :func:`check_delete_early` reads the delete's plan: the stacks of that second read are not recorded."""
_CHECKED_EARLY: set[tuple[str, str]] = set()
"""(project directory, path) of the deletes :func:`check_delete_early` checked in this process."""


def register(stack: Any) -> None:
    """Record a stack of the command (by its project directory), and the path the command names."""
    if getattr(_READING, "on", False):
        return
    context = click.get_current_context(silent=True)  # Sceptre reads the config in the command's thread
    with _LOCK:
        stacks = _STACKS.setdefault(_project(stack), [])
        stacks[:] = [s for s in stacks if s.name != stack.name] + [stack]
        if context is not None and isinstance(context.params.get("path"), str):
            _PATHS[_project(stack)] = context.params["path"]


def forget(project: str) -> None:
    """Drop the stacks recorded for a project directory (tests read several projects in one process)."""
    with _LOCK:
        _STACKS.pop(project, None)
        _PATHS.pop(project, None)
        _CHECKED_EARLY.difference_update({key for key in _CHECKED_EARLY if key[0] == project})


def _project(stack: Any) -> str:
    return str((stack.stack_group_config or {}).get("project_path") or "")


def check_launch(stack: Any, session: Any = None) -> dict[str, Any]:
    """Refuse the launch ``stack`` belongs to when anything in it is wrong (with ``session``, also what AWS can
    tell before any change: reads only); return what it will do."""
    with _LOCK:
        stacks = sorted((s for s in _STACKS.get(_project(stack), [stack]) if not (s.ignore or s.obsolete)),
                        key=lambda s: s.name)
    switches, apps = _build(stack)
    problems: list[str] = []
    plan = LaunchPlan(
        verb="launch", switches=switches, apps=apps, namespace=stack_namespace(stack),
        stacks=[_planned_stack(s) for s in stacks], hooks=[h for s in stacks for h in _planned_hooks(s, problems)],
        lookups=[lookup for s in stacks for lookup in _planned_lookups(s)], problems=problems,
        option=lambda name: f"--var {name}=<{name}>", known=_known, set_variables=SET_THEM, run_by=RUN_BY,
        deploy_hint=DEPLOY_HINT)
    return check(plan, where="sceptre launch", session=session)


def _build(stack: Any) -> tuple[dict[str, Any], list[str]]:
    """Return the group config's ``ecs_build`` (without ``app_group``) and the apps of its ``app_group``."""
    where = f"{BUILD_KEY} (group config of {stack.name!r})"
    data = (stack.stack_group_config or {}).get(BUILD_KEY)
    if not isinstance(data, dict):
        raise ConfigError(f"{data!r} is not a mapping; set it in the environment's config.yaml (app, version, "
                          "the switches, app_group), as the example does", where=where)
    data = dict(data)
    group = data.pop("app_group", None)
    if not group:
        raise ConfigError("app_group: not given; name the stack group of the apps' application stacks "
                          "(e.g. dev/app)", where=where)
    folder = Path(_project(stack), "config", str(group))
    if not folder.is_dir():
        raise ConfigError(f"app_group: {str(group)!r} is not a stack group of this project ({folder} is not a "
                          "directory); name the group of the apps' application stacks", where=where)
    return data, sorted(p.stem for p in folder.glob("*.yaml") if not p.name.startswith("config."))


def _planned_stack(stack: Any) -> PlannedStack:
    kind = stack_kind(stack)
    return PlannedStack(name=stack.name, kind=kind, where=f"stack {stack.name!r} ({kind} blueprint)",
                        variables=project_paths(stack_user_data(stack), _project(stack) or None))


def _planned_hooks(stack: Any, problems: list[str]) -> list[PlannedHook]:
    """Return the enabled lifecycle hooks of ``stack`` that act on its own app (with the namespace defaulted);
    add to ``problems`` the hooks whose argument cannot be read."""
    found = []
    own = stack_app(stack)
    for hook in _hooks(stack):
        name = getattr(hook, "NAME", None)
        if name not in HOOKS or not HOOKS[name].switch:
            continue
        tag = f"ecs_{name}"
        try:
            data = hook_args(tag, hook.argument)
        except ConfigError as exc:
            problems.append(f"stack {stack.name!r}: {exc}")
            continue
        if data is not None and getattr(hook, "stack", stack) is not stack:
            problems.append(f"{name}: on, but stack {stack.name!r} shares its hook !{tag} with stack "
                            f"{hook.stack.name!r} (Sceptre gives the stacks of a group one copy of its "
                            "config.yaml's hooks, bound to the stack it read last), so it would run for the wrong "
                            f"app's stack or twice; launch the app's own stack file alone (e.g. "
                            f"{posixpath.dirname(stack.name)}/{data.get('app')}.yaml)")
        if data is None or (own is not None and str(data.get("app")) != own):
            continue
        found.append(PlannedHook(name=name, args={"namespace": stack_namespace(stack), **data},
                                 where=f"stack {stack.name!r}: hook !{tag} args"))
    return found


def _hooks(stack: Any) -> list[Any]:
    hooks = getattr(stack, "hooks", None) or {}
    return [hook for group in hooks.values() if isinstance(group, list) for hook in group]


def _planned_lookups(stack: Any) -> list[PlannedLookup]:
    return [PlannedLookup(name=value.NAME, query=str(value.argument), stack=stack.name)
            for value in _walk(stack_user_data(stack))
            if isinstance(value, Resolver) and getattr(value, "NAME", None) in LOOKUPS]


def _known(value: Any) -> bool:
    """Return whether a value is known before the launch (no resolver in it)."""
    return not any(isinstance(v, Resolver) for v in _walk(value))


def _walk(value: Any) -> list[Any]:
    """Return ``value`` and everything nested in it."""
    if isinstance(value, dict):
        return [value, *(v for item in value.values() for v in _walk(item))]
    if isinstance(value, list):
        return [value, *(v for item in value for v in _walk(item))]
    return [value]


def check_delete(stack: Any, session: Any) -> dict[str, Any]:
    """Refuse a ``sceptre delete`` that would take a live app down or leave its versions behind (reads only)."""
    namespace = stack_namespace(stack)
    return _check_deleted([s for s in _deleted(stack) if stack_namespace(s) == namespace], namespace, session,
                          where=f"stack {stack.name!r}: hook !ecs_check_delete")


def _check_deleted(stacks: list[Any], namespace: str, session: Any, where: str) -> dict[str, Any]:
    """Refuse the delete of ``stacks`` (all of ``namespace``) as :func:`check_delete` does; return the core's answer."""
    from stacker_ecs.core.registry import run_hook

    for each in stacks:
        _refuse_serving_version(each, session)
    deleted = [s.external_name for s in stacks]
    return run_hook("check_destroy", {"namespace": namespace, "stacks": deleted, "teardown_command": TEARDOWN_COMMAND},
                    session, where=where)


def check_delete_early(stack: Any, show: Callable[[], None] = lambda: None) -> None:
    """Under ``sceptre delete <path>``, while Sceptre reads the config: refuse the delete before Sceptre prints its
    plan, checking the stacks of that plan (Sceptre's own, read once more) as :func:`check_delete` does.

    Runs once per command, from the first stack read that carries ``!ecs_check_delete``; does nothing outside
    Sceptre's ``delete`` command (a change set's delete included), where the ``before_delete`` check remains.
    ``show`` makes our log records visible (the hooks' ``show_progress``), called only when the check runs.
    """
    from sceptre.context import SceptreContext
    from sceptre.plan.plan import SceptrePlan

    from stacker_ecs.sceptre.hooks import CheckDelete

    context = click.get_current_context(silent=True)
    shared = context.obj if context is not None and isinstance(context.obj, dict) else {}
    if (context is None or context.command.name != "delete" or context.params.get("change_set_name")
            or "user_variables" not in shared or getattr(_READING, "on", False)):
        return
    path = str(context.params.get("path"))
    with _LOCK:
        if (_project(stack), path) in _CHECKED_EARLY:
            return
        _CHECKED_EARLY.add((_project(stack), path))
    show()
    _READING.on = True
    try:  # the same read as Sceptre's delete command, whose plan it is about to print
        plan = SceptrePlan(SceptreContext(
            command_path=path, command_params=context.params, project_path=shared.get("project_path"),
            user_variables=shared["user_variables"], options=shared.get("options"),
            ignore_dependencies=shared.get("ignore_dependencies"), full_scan=True))
        plan.resolve(command="delete", reverse=True)
    finally:
        _READING.on = False
    checked: dict[str, list[Any]] = {}
    for each in plan:
        if any(isinstance(hook, CheckDelete) for hook in (each.hooks or {}).get("before_delete") or []):
            checked.setdefault(stack_namespace(each), []).append(each)
    for namespace, stacks in checked.items():
        _check_deleted(stacks, namespace, stacks[0].connection_manager.get_session(),
                       where=f"sceptre delete {path}: hook !ecs_check_delete")
        unnamed = [s.name for s in stacks if stack_kind(s) == "version" and s.ignore]
        deleted = ", ".join(s.name for s in stacks if s.name not in unnamed) or "no stack"
        LOG.info("%s: no app this delete removes is live or keeps a version stack; it deletes %s%s", namespace,
                 deleted, f" ({', '.join(unnamed)} names no version: nothing to delete there)" if unnamed else "")


def _refuse_serving_version(stack: Any, session: Any) -> None:
    """Refuse to delete a version stack that is live, previous or carrying part of a stepped cutover."""
    from stacker_ecs.core.errors import AwsStateError
    from stacker_ecs.core.fingerprint import SERVING_ROLES
    from stacker_ecs.core.registry import run_lookup

    if stack_kind(stack) != "version":
        return
    data = stack_user_data(stack)
    app, version = str(data.get("App")), str(data.get("Version"))
    role = run_lookup("ecs_deployed_version", f"{app}::version={version}", session,
                      namespace=stack_namespace(stack)).partition(":")[0]
    if role in SERVING_ROLES:
        raise AwsStateError(f"{app}/{version} is {role}, and deleting its stack takes that traffic down; cut over to "
                            "another version (or roll back) first, and let cleanup delete versions no traffic reaches")


def _deleted(stack: Any) -> list[Any]:
    """Return the recorded stacks a delete of the command's path deletes: those under it and their dependents.

    With the path known, ``stack`` itself is not trusted: the stacks of a group share the hooks of its
    config.yaml, and Sceptre binds each shared hook to the group's stack it read last, so the hook that
    runs before ``dev/app/web-admin``'s delete may hold ``dev/app/web``.
    """
    with _LOCK:
        stacks = list(_STACKS.get(_project(stack), [stack]))
        path = _PATHS.get(_project(stack), "").removesuffix(".yaml").strip("/")
    chosen = {id(s): s for s in stacks if not path or s.name == path or s.name.startswith(f"{path}/")}
    if not path:
        chosen.setdefault(id(stack), stack)
    grown = True
    while grown:
        grown = False
        for s in stacks:
            if id(s) not in chosen and any(id(d) in chosen for d in s.dependencies if not isinstance(d, str)):
                chosen[id(s)] = s
                grown = True
    return list(chosen.values())
