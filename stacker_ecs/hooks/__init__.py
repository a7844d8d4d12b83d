"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

Each hook hands its ``args`` to :func:`stacker_ecs.core.hooks.run_hook`, which parses them into a
model (a typo is an error) and calls one core operation with an AWS context
(:func:`stacker_ecs.core.aws.context_for`) built on stacker's session for the provider's region;
the hook returns the operation's dict (for ``data_key``). When the operation refuses or fails (a
:class:`StackerEcsError`), the hook logs its message once and returns False: stacker then ends a
``required`` hook's build with exit status 1 and no traceback (a raised exception would be printed
twice, with two tracebacks, by stacker 1.7). Anything else (a bug) propagates. Example (see
config/stacker-Dev.yml: every hook acts on the one app a build names)::

    pre_build:
      - path: stacker_ecs.hooks.check_build
        args: {app: "${app}", version: "${version}", deploy: "${deploy}", cutover: "${cutover}"}
    post_build:
      - path: stacker_ecs.hooks.verify_health
        enabled: ${verify}
        data_key: health
        args: {app: "${app}", version: "${version}", timeout_seconds: 600}
      - path: stacker_ecs.hooks.cutover
        enabled: ${cutover}
        args: {app: "${app}", version: "${version}"}
      - path: stacker_ecs.hooks.rollback
        enabled: ${rollback}
        args: {app: "${app}"}
      - path: stacker_ecs.hooks.cleanup
        enabled: ${cleanup}
        args: {app: "${app}", keep_last: 2, older_than_hours: 24, exclude: ["release-*"]}
      - path: stacker_ecs.hooks.teardown
        enabled: ${teardown}
        args: {app: "${app}", force: "${teardown_force}"}
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable
from typing import Any

from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core.build import BuildArgs
from stacker_ecs.core.build import check_build as _check_build
from stacker_ecs.core.errors import ConfigError, StackerEcsError
from stacker_ecs.core.hooks import HOOKS, LOOKUPS, run_hook
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.query import parse_query

LOGGER = logging.getLogger(__name__)
stacker_log.install()


def _stacker_hook(name: str, doc: str) -> Callable[..., dict[str, Any] | bool]:
    """Return the stacker hook ``name``: run core hook ``name`` on the args (the config's namespace
    by default), and turn our failures into stacker's (one logged message, a falsy result)."""

    def hook(provider: Any, context: Any, *, clock: Clock | None = None, **kwargs: Any) -> dict[str, Any] | bool:
        data = dict(kwargs)
        namespace = getattr(context, "namespace", None)
        if namespace and "namespace" not in data:
            data["namespace"] = namespace
        try:
            return run_hook(name, data, get_session(getattr(provider, "region", None)),
                            where=f"hook stacker_ecs.hooks.{name} args", clock=clock)
        except StackerEcsError as exc:
            LOGGER.error("%s failed: %s", name, exc)
            return False

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = doc + "\n\n``clock`` is not a YAML argument: tests pass a fake one, so waits need no sleep."
    return hook


verify_health = _stacker_hook("verify_health",
                              "Wait until the version has healthy targets; fail fast, saying why, when it will not.")
cutover = _stacker_hook("cutover", "Make a version live: scale to the live size, verify, switch the listener once.")
rollback = _stacker_hook("rollback", "Make the previous live version live again.")
cleanup = _stacker_hook("cleanup", "Delete version stacks that are not live.")
teardown = _stacker_hook("teardown", "Remove the app: its live rule, every version stack, then its application stack.")
_check_destroy = _stacker_hook("check_destroy", "Refuse a destroy that would take a live app down or orphan versions.")


def check_destroy(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_destroy``: refuse ``stacker destroy`` while an app it would delete is live or has versions it
    would leave behind (it deletes only the stacks the config names); point at teardown instead."""
    return _check_destroy(provider, context, stacks=[stack.fqn for stack in context.get_stacks()], **kwargs)



APPLICATION_BLUEPRINT = "stacker_ecs.blueprints.application.Application"
HOOK_ARGS = {name: model for name, (model, _) in HOOKS.items()}
"""Hook name -> its arguments' model (core/hooks.py's table)."""


def check_build(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_build``: refuse a build whose switches, app, version or hook arguments are wrong, before any change.

    The apps are the ``App`` variables of the config's Application stacks. Every enabled
    ``stacker_ecs.hooks.*`` of ``post_build`` has its arguments checked as it will receive them,
    and every query of our lookups in an enabled stack is parsed.
    """
    try:
        apps = [str((stack.variables or {}).get("App")) for stack in context.config.stacks or []
                if stack.class_path == APPLICATION_BLUEPRINT and stack.enabled]
        result = _check_build(parse(BuildArgs, {**kwargs, "apps": apps},
                                    where="hook stacker_ecs.hooks.check_build args"))
        problems = _lookup_problems(context) + _variable_problems(context)
        for hook in context.config.post_build or []:
            name = str(hook.path).removeprefix("stacker_ecs.hooks.")
            if name in HOOK_ARGS and hook.enabled:
                try:
                    _args(name, context, dict(hook.args or {}))
                except ConfigError as exc:
                    problems.append(str(exc))
        if problems:
            raise ConfigError(problems, where="post_build hooks and lookups")
    except StackerEcsError as exc:
        LOGGER.error("check_build failed: %s", exc)
        return False
    return result


LOOKUP_NAMES = {
    "stacker_ecs.lookups.LiveVersionLookup": "ecs_live_version",
    "stacker_ecs.lookups.ListenerLookup": "alb_listener",
    "stacker_ecs.lookups.RulePriorityLookup": "alb_rule_priority",
    "stacker_ecs.lookups.LiveDesiredCountLookup": "ecs_live_desired_count",
    "stacker_ecs.lookups.VersionDesiredCountLookup": "ecs_version_desired_count",
    "stacker_ecs.lookups.DeployedVersionLookup": "ecs_deployed_version",
}
"""Our lookup classes -> their core/hooks.py names."""
LOOKUP_QUERIES = {path: LOOKUPS[name][0] for path, name in LOOKUP_NAMES.items()}


def _lookup_problems(context: Any) -> list[str]:
    """Return what is wrong with the queries of our lookups in the enabled stacks (no AWS call)."""
    names = {name: LOOKUP_QUERIES[path] for name, path in (context.config.lookups or {}).items()
             if path in LOOKUP_QUERIES}
    if not names:
        return []
    pattern = re.compile(r"\$\{(" + "|".join(map(re.escape, names)) + r") ([^${}]*)\}")
    problems = []
    for stack in context.config.stacks or []:
        if not stack.enabled:
            continue
        for value in (stack.variables or {}).values():
            for lookup, query in pattern.findall(str(value)):
                try:
                    parse_query(names[lookup], query, lookup=lookup, namespace=getattr(context, "namespace", None))
                except ConfigError as exc:
                    problems.append(f"stack {stack.name!r}: {exc}")
    return problems


def _variable_problems(context: Any) -> list[str]:
    """Return what is wrong with the variables of our blueprints' enabled stacks that are known now (no AWS call)."""
    problems = []
    for stack in context.config.stacks or []:
        path = str(stack.class_path or "")
        if not stack.enabled or not path.startswith("stacker_ecs.blueprints."):
            continue
        module, _, name = path.rpartition(".")
        blueprint = getattr(importlib.import_module(module), name, None)
        if isinstance(blueprint, type) and issubclass(blueprint, SpecBlueprint):
            try:
                blueprint.check_before_build(dict(stack.variables or {}),
                                             where=f"stack {stack.name!r} ({name} blueprint)")
            except ConfigError as exc:
                problems.append(str(exc))
    return problems


def _args(hook: str, context: Any, kwargs: dict[str, Any]) -> Any:
    """Parse ``kwargs`` as hook ``hook``'s arguments will be (the config's namespace by default); no AWS call."""
    data = dict(kwargs)
    namespace = getattr(context, "namespace", None)
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return parse(HOOK_ARGS[hook], data, where=f"hook stacker_ecs.hooks.{hook} args")
