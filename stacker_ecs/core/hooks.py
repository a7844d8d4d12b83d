"""The one engine-neutral entry of every hook and lookup adapter.

Every engine's adapter (stacker and CFNgin hooks and lookups, Sceptre hooks and resolvers) calls
:func:`run_hook` or :func:`run_lookup` with the raw arguments it was given and a boto3 session
from its engine; the arguments are validated by the operation's model (a typo is an error), the
operation's AWS context is built (:func:`stacker_ecs.core.aws.context_for`) and the operation
runs. Adapters only translate what the engine hands them and how it shows failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from stacker_ecs.core.aws import AwsContext, context_for, describe_stack
from stacker_ecs.core.errors import AwsStateError, ConfigError
from stacker_ecs.core.model import Args, parse
from stacker_ecs.core.ops import queries, redeploy, start
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.teardown import DestroyCheckArgs, TeardownArgs, check_destroy, teardown
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.query import parse_query

HOOKS: dict[str, tuple[type[Args], Callable[..., dict[str, Any]]]] = {
    "verify_health": (VerifyHealthArgs, verify_health),
    "cutover": (CutoverArgs, cutover),
    "rollback": (RollbackArgs, rollback),
    "cleanup": (CleanupArgs, cleanup),
    "teardown": (TeardownArgs, teardown),
    "check_destroy": (DestroyCheckArgs, check_destroy),
}
"""Hook name -> (its arguments' model, the operation)."""

LOOKUPS: dict[str, tuple[type[Args], Callable[..., Any]]] = {
    "ecs_live_version": (queries.LiveVersionQuery, queries.find_live_version),
    "alb_listener": (queries.AppQuery, queries.find_listener_arn),
    "alb_rule_priority": (queries.RulePriorityQuery, queries.find_rule_priority),
    "ecs_live_desired_count": (queries.LiveDesiredCountQuery, queries.find_live_desired_count),
    "ecs_version_desired_count": (start.VersionCountQuery, start.find_version_desired_count),
    "ecs_deployed_version": (redeploy.DeployedVersionQuery, redeploy.find_deployed_version),
}
"""Lookup (resolver) name -> (its query's model, the read)."""


def run_hook(name: str, raw_args: dict[str, Any], session: boto3.Session, *,
             where: str | None = None, clock: Clock | None = None) -> dict[str, Any]:
    """Validate ``raw_args`` with hook ``name``'s model, run the operation, return its result.

    ``where`` names the arguments in messages (default ``hook <name> args``). ``clock`` is for
    tests (a fake one, so waits need no sleep); anything but a :class:`Clock` is refused, since it
    can only have come from the user's arguments.
    """
    where = where or f"hook {name} args"
    if clock is not None and not isinstance(clock, Clock):
        raise ConfigError("clock: not an argument of this hook; remove it", where=where)
    model, operation = HOOKS[name]
    args = parse(model, raw_args, where=where)
    return operation(context_for(session, args, clock), args)


def run_lookup(name: str, query: str, session: boto3.Session, *, namespace: str | None = None,
               clock: Clock | None = None) -> str:
    """Parse lookup ``name``'s ``query`` (``<app>[::key=value, ...]``), run the read, return a string.

    ``namespace`` is the default the query's own ``namespace=`` overrides.
    """
    model, read = LOOKUPS[name]
    args = parse_query(model, query, lookup=name, namespace=namespace)
    return str(read(context_for(session, args, clock), args))


LAUNCHED_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


def require_launched(session: boto3.Session, stack_name: str, *, hook: str) -> None:
    """Refuse to run ``hook`` unless ``stack_name`` was created or updated cleanly.

    For engines that run their after-launch hooks even when the launch failed (Sceptre).
    """
    stack = describe_stack(AwsContext.create(session), stack_name)
    status = stack["StackStatus"] if stack else "absent"
    if status not in LAUNCHED_STATES:
        raise AwsStateError(f"stack {stack_name!r} is {status}, so its launch did not succeed; {hook} "
                            "did nothing. Fix the stack and launch it again")
