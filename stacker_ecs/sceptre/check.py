"""The checks of a Sceptre launch and delete before any change: ``!ecs_check_build`` (``before_launch``)
and ``!ecs_check_delete`` (``before_delete``).

Sceptre hands a hook its own stack only, and launches stacks in parallel batches. So the hook
records every stack it is attached to while Sceptre reads the config (in the main thread, before
anything runs), and each stack's ``before_launch`` checks all of them, without an AWS call: the
first batch is refused before its first change, whatever stack a problem is in. Checked:

- the group config's ``ecs_build`` (the var file's and ``--var`` switches, app and version), with
  :func:`stacker_ecs.core.build.check_build`; the apps are the files of its ``app_group``;
- that each switch that is on is run by a stack of this launch for that app (``deploy`` by the
  app's version stack, ``rollback`` by a ``!ecs_rollback`` hook on the app's stack, ...): a switch
  no stack runs would otherwise do nothing and exit 0; and that a version stack is launched only
  with ``deploy`` on;
- every lifecycle hook's arguments, as the hook will receive them, every query of our resolvers,
  and every variable of our blueprints whose value is known now (not a resolver's).

``sceptre delete`` deletes the stacks under its path and those depending on them, not the versions:
:func:`check_delete` refuses it while an app it would delete is live or has versions (reads only),
naming teardown, with the core's ``check_destroy``; and it refuses to delete a version stack that
traffic reaches (live, previous or serving).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click
from sceptre.resolvers import Resolver

from stacker_ecs.core.build import SWITCHES, BuildArgs, check_build
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.hooks import HOOKS, LOOKUPS
from stacker_ecs.core.model import parse
from stacker_ecs.core.query import parse_query
from stacker_ecs.sceptre.common import stack_app, stack_kind, stack_namespace, stack_user_data
from stacker_ecs.sceptre.handler import extras, project_paths, spec_values

BUILD_KEY = "ecs_build"
"""The group config key holding what a launch does (``app``, ``version``, the switches, ``app_group``)."""
HOOK_OF_SWITCH = {"verify": "verify_health", "cutover": "cutover", "rollback": "rollback", "cleanup": "cleanup",
                  "teardown": "teardown"}
RUN_BY = {"deploy": "the version stack (e.g. dev/version.yaml)", "verify": "the version stack with deploy=true",
          "cutover": "the version stack with deploy=true",
          **dict.fromkeys(("rollback", "cleanup", "teardown"), "the app's application stack (e.g. dev/app/<app>.yaml)")}

TEARDOWN_COMMAND = ("sceptre ... --var app=<app> --var teardown=true [--var teardown_force=true] "
                    "launch -y <environment>/app/<app>.yaml")
"""How a Sceptre user tears one app down (README "### Sceptre")."""

_LOCK = threading.Lock()
_STACKS: dict[str, list[Any]] = {}
"""Project directory -> the stacks carrying our check hooks that Sceptre read."""
_PATHS: dict[str, str] = {}
"""Project directory -> the path the command names (``dev``, ``dev/app/web.yaml``), when known."""


def register(stack: Any) -> None:
    """Record a stack of the command (by its project directory), and the path the command names."""
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


def _project(stack: Any) -> str:
    return str((stack.stack_group_config or {}).get("project_path") or "")


def check_launch(stack: Any) -> dict[str, Any]:
    """Refuse the launch ``stack`` belongs to when anything in it is wrong; return what it will do."""
    with _LOCK:
        stacks = [s for s in _STACKS.get(_project(stack), [stack]) if not (s.ignore or s.obsolete)]
    build = _build(stack)
    try:
        result = check_build(build, option=lambda name: f"--var {name}=<{name}>")
    except ConfigError as exc:
        problems = list(exc.problems)
        result = {"app": build.app, "switches": [n for n in SWITCHES if getattr(build, n)]}
    else:
        problems = _unrun_switches(build, result["switches"], stacks)
    for each in sorted(stacks, key=lambda s: s.name):
        problems += _stack_problems(each)
    if problems:
        raise ConfigError(problems, where="sceptre launch")
    return result


def _build(stack: Any) -> BuildArgs:
    """Return the group config's ``ecs_build`` as :class:`BuildArgs` (apps from its ``app_group``)."""
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
    apps = sorted(p.stem for p in folder.glob("*.yaml") if not p.name.startswith("config."))
    return parse(BuildArgs, {**data, "apps": apps}, where=where)


def _unrun_switches(build: BuildArgs, switches: list[str], stacks: list[Any]) -> list[str]:
    """Return a problem for each switch that is on but that no stack of this launch runs for the app."""
    problems = [f"deploy: off, but this launch would launch the version stack {s.name!r} of app {stack_app(s)!r}; "
                "pass --var deploy=true (verify and cutover run after its launch; an unchanged version is left as "
                "it is), or launch another path (a plain launch: no --var app)"
                for s in stacks if stack_kind(s) == "version" and not build.deploy]
    for switch in switches:
        if switch == "deploy":
            run = any(stack_kind(s) == "version" and stack_app(s) == build.app for s in stacks)
        else:
            run = any(_runs(s, HOOK_OF_SWITCH[switch], build.app) for s in stacks)
        if not run:
            problems.append(f"{switch}: on, but no stack of this launch runs it for app {build.app!r}, so it would "
                            f"do nothing; launch {RUN_BY[switch]}")
    return problems


def _runs(stack: Any, name: str, app: str) -> bool:
    """Return whether ``stack`` has an enabled ``!ecs_<name>`` hook that acts on ``app``."""
    from stacker_ecs.sceptre.hooks import LIFECYCLE, hook_args

    for hook in _hooks(stack):
        if isinstance(hook, LIFECYCLE[name]):
            try:
                data = hook_args(f"ecs_{name}", hook.argument)
            except ConfigError:
                continue  # reported by _stack_problems
            if data is not None and str(data.get("app")) == app and stack_app(stack) in (None, app):
                return True
    return False


def _hooks(stack: Any) -> list[Any]:
    hooks = getattr(stack, "hooks", None) or {}
    return [hook for group in hooks.values() if isinstance(group, list) for hook in group]


def _stack_problems(stack: Any) -> list[str]:
    """Return what is wrong with a stack's lifecycle hook arguments, resolver queries and known variables."""
    return _hook_problems(stack) + _resolver_problems(stack) + _variable_problems(stack)


def _hook_problems(stack: Any) -> list[str]:
    from stacker_ecs.sceptre.hooks import LIFECYCLE, hook_args

    problems = []
    own = stack_app(stack)
    for hook in _hooks(stack):
        name = next((n for n, cls in LIFECYCLE.items() if isinstance(hook, cls)), None)
        if name is None:
            continue
        tag = f"ecs_{name}"
        try:
            data = hook_args(tag, hook.argument)
            if data is None or (own is not None and str(data.get("app")) != own):
                continue
            data.setdefault("namespace", stack_namespace(stack))
            parse(HOOKS[name][0], data, where=f"stack {stack.name!r}: hook !{tag} args")
        except ConfigError as exc:
            problems.append(str(exc) if exc.where.startswith("stack ") else f"stack {stack.name!r}: {exc}")
    return problems


def _resolver_problems(stack: Any) -> list[str]:
    from stacker_ecs.sceptre.resolvers import _EcsResolver

    problems = []
    for value in _walk(stack_user_data(stack)):
        if isinstance(value, _EcsResolver):
            try:
                parse_query(LOOKUPS[value.NAME][0], str(value.argument), lookup=value.NAME,
                            namespace=stack_namespace(stack))
            except ConfigError as exc:
                problems.append(f"stack {stack.name!r}: {exc}")
    return problems


def _variable_problems(stack: Any) -> list[str]:
    from stacker_ecs.core import blueprint as core

    kind = stack_kind(stack)
    if kind not in core.BLUEPRINTS:
        return []
    where = f"stack {stack.name!r} ({kind} blueprint)"
    given = project_paths(stack_user_data(stack), _project(stack) or None)
    try:
        core.check_variables(core.BLUEPRINTS[kind].spec, given, where=where, set_them="in sceptre_user_data",
                             extra=extras(kind))
        core.check_known_values(kind, spec_values(kind, given, where=where, known=_known), where=where, known=_known)
    except ConfigError as exc:
        return [str(exc)]
    return []


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
    from stacker_ecs.core.hooks import run_hook

    namespace = stack_namespace(stack)
    stacks = [s for s in _deleted(stack) if stack_namespace(s) == namespace]
    for each in stacks:
        _refuse_serving_version(each, session)
    deleted = [s.external_name for s in stacks]
    return run_hook("check_destroy", {"namespace": namespace, "stacks": deleted, "teardown_command": TEARDOWN_COMMAND},
                    session, where=f"stack {stack.name!r}: hook !ecs_check_delete")


def _refuse_serving_version(stack: Any, session: Any) -> None:
    """Refuse to delete a version stack that is live, previous or carrying part of a stepped cutover."""
    from stacker_ecs.core.errors import AwsStateError
    from stacker_ecs.core.hooks import run_lookup
    from stacker_ecs.core.ops.redeploy import SERVING_ROLES

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
    """Return the recorded stacks a delete of the command's path deletes: those under it and their dependents."""
    with _LOCK:
        stacks = list(_STACKS.get(_project(stack), [stack]))
        path = _PATHS.get(_project(stack), "").removesuffix(".yaml").strip("/")
    chosen = {id(s): s for s in stacks if not path or s.name == path or s.name.startswith(f"{path}/")}
    chosen.setdefault(id(stack), stack)
    grown = True
    while grown:
        grown = False
        for s in stacks:
            if id(s) not in chosen and any(id(d) in chosen for d in s.dependencies if not isinstance(d, str)):
                chosen[id(s)] = s
                grown = True
    return list(chosen.values())
