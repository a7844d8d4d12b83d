"""Delete an app's version stacks that are not live, in parallel, never the live one.

What to keep is decided once (pure :func:`plan_cleanup`); then, right before each delete, the
listener is read again, so a cutover that happens while cleanup runs can never lose its version.
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.inventory import VersionStack, list_version_stacks
from stacker_ecs.core.ops.listener import describe_application, describe_listener, forward_weights
from stacker_ecs.core.ops.wait import poll
from stacker_ecs.core.validation import check_name


class CleanupArgs(Args):
    """Arguments of the ``cleanup`` hook."""

    app: str
    """The app whose old versions go."""
    namespace: str
    """Default: the config's namespace (stacker, CFNgin) or the Sceptre stack's."""
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


def cleanup(aws: AwsContext, args: CleanupArgs) -> dict[str, Any]:
    """Delete the versions :func:`plan_cleanup` picks; fail naming every stack that could not go."""
    application = describe_application(aws, args.namespace, args.app)
    stacks = list_version_stacks(aws, args.namespace, args.app)
    state = describe_listener(aws, application)
    plan = plan_cleanup(stacks, live=state.live_version, previous=state.previous_version, args=args,
                        now=aws.clock.wall())
    result: dict[str, Any] = {"app": args.app, "dry_run": args.dry_run, "kept": plan.keep,
                              "deleted": [], "skipped": {}}
    for version, reason in sorted(plan.keep.items()):
        aws.about(version, app=args.app).log.info("kept: %s", reason)
    if args.dry_run:
        for stack in plan.delete:
            aws.about(stack.version, app=args.app).log.info("would delete %s", stack.name)
        return {**result, "deleted": [s.version for s in plan.delete]}
    for service in ("elbv2", "cloudformation"):  # every client exists before the workers start
        aws.client(service)
    with ThreadPoolExecutor(max_workers=args.max_parallel) as pool:
        outcomes = list(pool.map(lambda s: _delete_unless_live(aws, application.listener_arn, s, args.app),
                                 plan.delete))
    started = [stack for stack, skipped in zip(plan.delete, outcomes, strict=True) if not skipped]
    result["skipped"] = {s.version: why for s, why in zip(plan.delete, outcomes, strict=True) if why}
    failed = wait_for_deletes(aws, started, timeout_seconds=args.timeout_seconds)
    result["deleted"] = [s.version for s in started if s.version not in failed]
    if failed:
        raise AwsStateError("cleanup could not delete " + "; ".join(f"{v}: {why}" for v, why in failed.items())
                            + ". Look at the stacks' events, fix the cause, and run cleanup again", app=args.app)
    return result


def _delete_unless_live(aws: AwsContext, listener_arn: str, stack: VersionStack, app: str) -> str | None:
    """Re-read the listener, then delete the stack unless it became live; return why it was skipped."""
    log = aws.about(stack.version, app=app).log
    with aws_call("DescribeListeners", app):
        listener = aws.client("elbv2").describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    weights = forward_weights(listener.get("DefaultActions", []))
    if stack.target_group_arn and weights.get(stack.target_group_arn, -1) > 0:
        log.warning("became live while cleanup ran; not deleted")
        return "became live while cleanup ran"
    if stack.target_group_arn in weights:
        # Recorded at weight 0 as the previous live version: its target group is in use, so deleting
        # the stack would fail half-way. Cleanup never writes the listener (a write could undo a
        # cutover landing at the same moment); the next cutover stops recording it.
        log.info("still recorded on the listener as the previous live version; not deleted")
        return "recorded on the listener as the previous live version; the next cutover releases it"
    log.info("deleting %s", stack.name)
    with aws_call("DeleteStack", stack.name):
        aws.client("cloudformation").delete_stack(StackName=stack.stack_id)
    return None


def wait_for_deletes(aws: AwsContext, stacks: list[VersionStack], *, timeout_seconds: float) -> dict[str, str]:
    """Wait until no stack is being deleted; return version -> reason for each that failed."""
    pending = {s.stack_id: s for s in stacks}
    failed: dict[str, str] = {}
    cfn = aws.client("cloudformation")

    def look(_: float) -> dict[str, VersionStack]:
        if not pending:
            return pending
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
        return pending

    poll(aws.clock, look, lambda left: not left, timeout_seconds=timeout_seconds, first_seconds=0.5, cap_seconds=5.0)
    for stack in pending.values():
        failed[stack.version] = f"still deleting after {timeout_seconds:.0f}s"
    return failed
