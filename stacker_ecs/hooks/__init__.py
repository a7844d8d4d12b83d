"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

Each hook parses its ``args`` into a model (a typo is an error), calls one core operation with an
AWS context (:func:`stacker_ecs.core.aws.context_for`) built on stacker's session for the
provider's region, and returns a dict (for ``data_key``). When the operation refuses or fails (a
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

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.aws import context_for
from stacker_ecs.core.build import BuildArgs
from stacker_ecs.core.build import check_build as _check_build
from stacker_ecs.core.errors import ConfigError, StackerEcsError
from stacker_ecs.core.model import Args, parse
from stacker_ecs.core.ops import queries
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
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.query import parse_query

A = TypeVar("A", bound=Args)
LOGGER = logging.getLogger(__name__)
stacker_log.install()


def _stacker_hook(name: str, model: type[A], operation: Callable[..., dict[str, Any]],
                  doc: str) -> Callable[..., dict[str, Any] | bool]:
    """Return the stacker hook ``name``: parse the args into ``model``, build the operation's AWS context,
    run ``operation``, and turn our failures into stacker's (one logged message, a falsy result)."""

    def hook(provider: Any, context: Any, *, clock: Clock | None = None, **kwargs: Any) -> dict[str, Any] | bool:
        try:
            if clock is not None and not isinstance(clock, Clock):
                raise ConfigError("clock: not an argument of this hook; remove it",
                                  where=f"hook stacker_ecs.hooks.{name} args")
            args = _args(model, name, context, kwargs)
            return operation(context_for(get_session(getattr(provider, "region", None)), args, clock), args)
        except StackerEcsError as exc:
            LOGGER.error("%s failed: %s", name, exc)
            return False

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = doc + "\n\n``clock`` is not a YAML argument: tests pass a fake one, so waits need no sleep."
    return hook


def _args(model: type[A], hook: str, context: Any, kwargs: dict[str, Any]) -> A:
    data = dict(kwargs)
    namespace = getattr(context, "namespace", None)
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return parse(model, data, where=f"hook stacker_ecs.hooks.{hook} args")


verify_health = _stacker_hook("verify_health", VerifyHealthArgs, _verify_health,
                              "Wait until the version has healthy targets; fail fast, saying why, when it will not.")
cutover = _stacker_hook("cutover", CutoverArgs, _cutover,
                        "Make a version live: scale to the live size, verify, switch the listener once.")
rollback = _stacker_hook("rollback", RollbackArgs, _rollback, "Make the previous live version live again.")
cleanup = _stacker_hook("cleanup", CleanupArgs, _cleanup, "Delete version stacks that are not live.")
teardown = _stacker_hook("teardown", TeardownArgs, _teardown,
                         "Remove the app: its live rule, every version stack, then its application stack.")


APPLICATION_BLUEPRINT = "stacker_ecs.blueprints.application.Application"
HOOK_ARGS: dict[str, type[Args]] = {
    "verify_health": VerifyHealthArgs, "cutover": CutoverArgs, "rollback": RollbackArgs,
    "cleanup": CleanupArgs, "teardown": TeardownArgs,
}


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
    except StackerEcsError as exc:
        LOGGER.error("check_build failed: %s", exc)
        return False
    return result


LOOKUP_QUERIES: dict[str, type[Args]] = {
    "stacker_ecs.lookups.LiveVersionLookup": queries.LiveVersionQuery,
    "stacker_ecs.lookups.ListenerLookup": queries.AppQuery,
    "stacker_ecs.lookups.RulePriorityLookup": queries.RulePriorityQuery,
    "stacker_ecs.lookups.LiveDesiredCountLookup": queries.LiveDesiredCountQuery,
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
