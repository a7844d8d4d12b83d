"""Delete an app's version stacks that are not live, in parallel, never the live one.

What to keep is decided once (pure :func:`plan_cleanup`); then, right before each delete, the
listener is read again, so a cutover that happens while cleanup runs can never lose its version.
"""

from __future__ import annotations

import fnmatch
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from pydantic import Field, field_validator

from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.live import describe_application, describe_listener, read_live_weights
from stacker_ecs.core.ops.version_stacks import VersionStack, list_version_stacks
from stacker_ecs.core.ops.wait import Clock, poll_intervals
from stacker_ecs.core.validation import check_name

LOGGER = logging.getLogger(__name__)


class CleanupArgs(Args):
    """Arguments of the ``cleanup`` hook."""

    app: str
    """The app whose old versions go."""
    namespace: str
    """Default (in stacker): the config's namespace."""
    keep_last: int = Field(default=0, ge=0)
    """Default: 0; also keep this many newest versions besides the live (and previous live) one."""
    keep_previous: bool = True
    """Default: on; the version live before the current one stays, so rollback is instant. Off lets
    cleanup delete it once the listener no longer records it (after the next cutover)."""
    older_than_hours: float = Field(default=0, ge=0)
    """Default: 0, any age; only versions created longer ago than this are deleted."""
    exclude: list[str] = []
    """Version patterns (shell-style, e.g. ``release-*``) that are never deleted."""
    dry_run: bool = False
    """Default: off; on reports what would be deleted, and deletes nothing."""
    max_parallel: int = Field(default=5, ge=1, le=20)
    """Default: 5 stacks deleted at once."""
    timeout_seconds: float = Field(default=1800, gt=0)
    """Default: 1800; how long deletions may take before the hook fails and names the stacks."""

    _app = field_validator("app")(lambda v: check_name("app", v))


@dataclass(frozen=True)
class CleanupPlan:
    """Which versions go, and why each other one stays."""

    delete: list[VersionStack]
    keep: dict[str, str]


def plan_cleanup(stacks: list[VersionStack], *, live: str | None, previous: str | None, args: CleanupArgs,
                 now: datetime) -> CleanupPlan:
    """Decide what to delete (pure): never live, previous if kept, excluded, protected, newest K, too young."""
    keep: dict[str, str] = {}
    candidates: list[VersionStack] = []
    for stack in sorted(stacks, key=lambda s: s.created, reverse=True):
        reason = _keep_reason(stack, live, previous, args, now)
        if reason:
            keep[stack.version] = reason
        else:
            candidates.append(stack)
    for stack in candidates[:args.keep_last]:
        keep[stack.version] = f"one of the {args.keep_last} newest (keep_last)"
    return CleanupPlan(delete=candidates[args.keep_last:], keep=keep)


def _keep_reason(stack: VersionStack, live: str | None, previous: str | None, args: CleanupArgs,
                 now: datetime) -> str | None:
    if stack.version == live:
        return "live"
    if stack.version == previous and args.keep_previous:
        return "previous live version (keep_previous)"
    pattern = next((p for p in args.exclude if fnmatch.fnmatchcase(stack.version, p)), None)
    if pattern:
        return f"excluded by {pattern!r}"
    if stack.termination_protection:
        return "termination protection is on; turn it off to let cleanup delete it"
    age_hours = (now - stack.created).total_seconds() / 3600
    if age_hours < args.older_than_hours:
        return f"{age_hours:.1f}h old, younger than older_than_hours {args.older_than_hours:g}"
    return None


def cleanup(session: boto3.Session, args: CleanupArgs, clock: Clock | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """Delete the versions :func:`plan_cleanup` picks; fail naming every stack that could not go."""
    clock = clock or Clock()
    application = describe_application(session, args.namespace, args.app)
    stacks = list_version_stacks(session, args.namespace, args.app)
    state = describe_listener(session, application)
    plan = plan_cleanup(stacks, live=state.live_version, previous=state.previous_version, args=args,
                        now=now or datetime.now(UTC))
    result: dict[str, Any] = {"app": args.app, "dry_run": args.dry_run, "kept": plan.keep,
                              "deleted": [], "skipped": {}}
    for version, reason in sorted(plan.keep.items()):
        LOGGER.info("%s/%s: kept: %s", args.app, version, reason)
    if args.dry_run:
        for stack in plan.delete:
            LOGGER.info("%s/%s: would delete %s", args.app, stack.version, stack.name)
        return {**result, "deleted": [s.version for s in plan.delete]}
    with ThreadPoolExecutor(max_workers=args.max_parallel) as pool:
        outcomes = list(pool.map(lambda s: _delete_unless_live(session, application.listener_arn, s, args),
                                 plan.delete))
    started = [stack for stack, skipped in zip(plan.delete, outcomes, strict=True) if not skipped]
    result["skipped"] = {s.version: why for s, why in zip(plan.delete, outcomes, strict=True) if why}
    failed = wait_for_deletes(session, started, timeout_seconds=args.timeout_seconds, clock=clock)
    result["deleted"] = [s.version for s in started if s.version not in failed]
    if failed:
        raise AwsStateError("cleanup could not delete " + "; ".join(f"{v}: {why}" for v, why in failed.items())
                            + ". Look at the stacks' events, fix the cause, and run cleanup again", app=args.app)
    return result


def _delete_unless_live(session: boto3.Session, listener_arn: str, stack: VersionStack,
                        args: CleanupArgs) -> str | None:
    """Re-read the listener, then delete the stack unless it became live; return why it was skipped."""
    weights = read_live_weights(session, listener_arn)
    if stack.target_group_arn and weights.get(stack.target_group_arn, -1) > 0:
        LOGGER.warning("%s/%s: became live while cleanup ran; not deleted", args.app, stack.version)
        return "became live while cleanup ran"
    if stack.target_group_arn in weights:
        # Recorded at weight 0 as the previous live version: its target group is in use, so deleting
        # the stack would fail half-way. Cleanup never writes the listener (a write could undo a
        # cutover landing at the same moment); the next cutover stops recording it.
        LOGGER.info("%s/%s: still recorded on the listener as the previous live version; not deleted",
                    args.app, stack.version)
        return "recorded on the listener as the previous live version; the next cutover releases it"
    LOGGER.info("%s/%s: deleting %s", args.app, stack.version, stack.name)
    with aws_call("DeleteStack", stack.name):
        client(session, "cloudformation").delete_stack(StackName=stack.stack_id)
    return None


def wait_for_deletes(session: boto3.Session, stacks: list[VersionStack], *, timeout_seconds: float,
                     clock: Clock) -> dict[str, str]:
    """Wait until no stack is being deleted; return version -> reason for each that failed."""
    pending = {s.stack_id: s for s in stacks}
    failed: dict[str, str] = {}
    cfn = client(session, "cloudformation")
    started = clock.now()
    intervals = poll_intervals(first_seconds=0.5, cap_seconds=5.0)
    while pending:
        with aws_call("ListStacks", "version stacks being deleted"):
            summaries = [s for page in cfn.get_paginator("list_stacks").paginate(
                StackStatusFilter=["DELETE_IN_PROGRESS", "DELETE_FAILED"]) for s in page["StackSummaries"]]
        busy = {s["StackId"]: s for s in summaries if s["StackId"] in pending}
        for stack_id in list(pending):
            summary = busy.get(stack_id)
            if summary is None:
                pending.pop(stack_id)
            elif summary["StackStatus"] == "DELETE_FAILED":
                failed[pending.pop(stack_id).version] = summary.get("StackStatusReason", "DELETE_FAILED")
        if pending and clock.now() - started >= timeout_seconds:
            for stack in pending.values():
                failed[stack.version] = f"still deleting after {timeout_seconds:.0f}s"
            break
        if pending:
            clock.sleep(next(intervals))
    return failed

