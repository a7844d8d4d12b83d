"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

Each hook parses its ``args`` into a model (a typo is an error), calls one core operation with a
boto3 session for the provider's region, and returns a dict (for ``data_key``). When the operation
refuses or fails (a :class:`StackerEcsError`), the hook logs its message once and returns False:
stacker then ends a ``required`` hook's build with exit status 1 and no traceback (a raised
exception would be printed twice, with two tracebacks, by stacker 1.7). Anything else (a bug)
propagates. Example (see config/stacker-Dev.yml: every hook acts on the one app a build names)::

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

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.build import BuildArgs
from stacker_ecs.core.build import check_build as _check_build
from stacker_ecs.core.errors import ConfigError, StackerEcsError
from stacker_ecs.core.model import Args, parse
from stacker_ecs.core.ops import reads
from stacker_ecs.core.ops.cleanup import CleanupArgs
from stacker_ecs.core.ops.cleanup import cleanup as _cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs
from stacker_ecs.core.ops.cutover import cutover as _cutover
from stacker_ecs.core.ops.redeploy import DeployedVersionQuery
from stacker_ecs.core.ops.rollback import RollbackArgs
from stacker_ecs.core.ops.rollback import rollback as _rollback
from stacker_ecs.core.ops.teardown import TeardownArgs
from stacker_ecs.core.ops.teardown import teardown as _teardown
from stacker_ecs.core.ops.verify import VerifyHealthArgs
from stacker_ecs.core.ops.verify import verify_health as _verify_health
from stacker_ecs.core.query import parse_query

A = TypeVar("A", bound=Args)
LOGGER = logging.getLogger(__name__)
stacker_log.install()
Hook = Callable[..., dict[str, Any]]


def _stacker_hook(hook: Hook) -> Callable[..., dict[str, Any] | bool]:
    """Turn our failures into stacker's: one logged message and a falsy result."""

    @functools.wraps(hook)
    def run(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
        try:
            return hook(provider, context, **kwargs)
        except StackerEcsError as exc:
            LOGGER.error("%s failed: %s", hook.__name__, exc)
            return False

    return run


def _args(model: type[A], hook: str, context: Any, kwargs: dict[str, Any]) -> A:
    data = dict(kwargs)
    namespace = getattr(context, "namespace", None)
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return parse(model, data, where=f"hook stacker_ecs.hooks.{hook} args")


def _session(provider: Any) -> Any:
    return get_session(getattr(provider, "region", None))


@_stacker_hook
def verify_health(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Wait until the version has its healthy targets; fail fast, and say why, when it will not."""
    args = _args(VerifyHealthArgs, "verify_health", context, kwargs)
    return _verify_health(_session(provider), args)


@_stacker_hook
def cutover(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Make a version live: scale to the live size, verify, switch the listener once."""
    args = _args(CutoverArgs, "cutover", context, kwargs)
    return _cutover(_session(provider), args)


@_stacker_hook
def rollback(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Make the previous live version live again."""
    args = _args(RollbackArgs, "rollback", context, kwargs)
    return _rollback(_session(provider), args)


@_stacker_hook
def cleanup(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Delete version stacks that are not live."""
    args = _args(CleanupArgs, "cleanup", context, kwargs)
    return _cleanup(_session(provider), args)


@_stacker_hook
def teardown(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Remove the app: its live rule, every version stack, then its application stack."""
    args = _args(TeardownArgs, "teardown", context, kwargs)
    return _teardown(_session(provider), args)


APPLICATION_BLUEPRINT = "stacker_ecs.blueprints.application.Application"
HOOK_ARGS: dict[str, type[Args]] = {
    "verify_health": VerifyHealthArgs, "cutover": CutoverArgs, "rollback": RollbackArgs,
    "cleanup": CleanupArgs, "teardown": TeardownArgs,
}


@_stacker_hook
def check_build(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """``pre_build``: refuse a build whose switches, app, version or hook arguments are wrong, before any change.

    The apps are the ``App`` variables of the config's Application stacks. Every enabled
    ``stacker_ecs.hooks.*`` of ``post_build`` has its arguments checked as it will receive them,
    and every query of our lookups in an enabled stack is parsed.
    """
    apps = [str((stack.variables or {}).get("App")) for stack in context.config.stacks or []
            if stack.class_path == APPLICATION_BLUEPRINT and stack.enabled]
    result = _check_build(parse(BuildArgs, {**kwargs, "apps": apps}, where="hook stacker_ecs.hooks.check_build args"))
    problems = _lookup_problems(context)
    for hook in context.config.post_build or []:
        name = str(hook.path).removeprefix("stacker_ecs.hooks.")
        if name in HOOK_ARGS and hook.enabled:
            try:
                _args(HOOK_ARGS[name], name, context, dict(hook.args or {}))
            except ConfigError as exc:
                problems.append(str(exc))
    if problems:
        raise ConfigError(problems, where="post_build hooks and lookups")
    return result


LOOKUP_QUERIES: dict[str, type[Args]] = {
    "stacker_ecs.lookups.LiveVersionLookup": reads.LiveVersionQuery,
    "stacker_ecs.lookups.ListenerLookup": reads.AppQuery,
    "stacker_ecs.lookups.RulePriorityLookup": reads.RulePriorityQuery,
    "stacker_ecs.lookups.LiveDesiredCountLookup": reads.LiveDesiredCountQuery,
    "stacker_ecs.lookups.DeployedVersionLookup": DeployedVersionQuery,
}


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
