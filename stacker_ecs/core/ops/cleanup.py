"""Delete an app's version stacks that are not live, in parallel, never the live one.

Deletes are issued under the app's lease (no cutover or canary step writes meanwhile). What to keep
is decided once (pure :func:`plan_cleanup`): the live and previous versions, a canary's versions,
versions created since the live one went live (a pipeline may be about to cut over to them), stacks
with an operation under way, excluded, protected and the newest ``keep_last``. Right before each
delete the listener is read again (a writer that ignores the lease, such as the console, is caught).
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from stacker_ecs.core import contract
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.coordination import LIVE, AppItem, app_records, holding
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import LeaseArgs
from stacker_ecs.core.ops.canary import settle
from stacker_ecs.core.ops.canary_plan import CanaryPlan, plan_of
from stacker_ecs.core.ops.dashboard import refresh_dashboard
from stacker_ecs.core.ops.history import recorded
from stacker_ecs.core.ops.inventory import VersionStack, list_version_stacks
from stacker_ecs.core.ops.listener import describe_application, describe_listener, read_live_weights
from stacker_ecs.core.ops.wait import poll
from stacker_ecs.core.validation import check_name


class CleanupArgs(LeaseArgs):
    """Arguments of the ``cleanup`` hook."""

    app: str
    """The app whose old versions go."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""
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
    in_flight_hours: float = Field(default=24, ge=0)
    """Default: 24; a version created after the live one went live is kept this long, as a pipeline may be
    verifying it before its cutover. 0 lets cleanup delete such versions at once."""

    _app = field_validator("app")(lambda v: check_name("app", v))


@dataclass(frozen=True)
class CleanupPlan:
    """Which versions go, and why each other one stays."""

    delete: list[VersionStack]
    keep: dict[str, str]


@dataclass(frozen=True)
class InFlight:
    """What other operations are doing with the app's versions, as cleanup found it."""

    live_since: datetime | None = None
    """When the live version went live (versions created since may be about to go live)."""
    held: dict[str, str] = field(default_factory=dict)
    """Version -> why an operation holds it (a canary under way, its restore target)."""


PROTECTED_REASON = ("termination protection is on (cutover and rollback protect the versions the live rule forwards "
                    "to, and the next cutover releases the previous one; protected by hand: turn it off by hand)")


def plan_cleanup(stacks: list[VersionStack], *, live: str | None, previous: str | None, args: CleanupArgs,
                 now: datetime, in_flight: InFlight | None = None) -> CleanupPlan:
    """Decide what to delete (pure): never live, previous if kept, excluded, protected, newest K, too young."""
    keep: dict[str, str] = {}
    candidates: list[VersionStack] = []
    for stack in sorted(stacks, key=lambda s: s.created, reverse=True):
        reason = (_keep_reason(stack, live, previous, args, now) or _in_flight_reason(stack, in_flight, args, now)
                  or (PROTECTED_REASON if stack.termination_protection else None))
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
    age_hours = (now - stack.created).total_seconds() / 3600
    if age_hours < args.older_than_hours:
        return f"{age_hours:.1f}h old, younger than older_than_hours {args.older_than_hours:g}"
    return None


def _in_flight_reason(stack: VersionStack, in_flight: InFlight | None, args: CleanupArgs,
                      now: datetime) -> str | None:
    if stack.status.endswith("_IN_PROGRESS"):
        return f"its stack is {stack.status}: an operation on it is under way"
    if in_flight is None:
        return None
    if stack.version in in_flight.held:
        return in_flight.held[stack.version]
    since = in_flight.live_since
    if since is not None and stack.created > since:
        age_hours = (now - stack.created).total_seconds() / 3600
        if age_hours < args.in_flight_hours:
            return (f"created after the live version went live, {age_hours:.1f}h ago: a pipeline may be about to "
                    f"cut over to it (in_flight_hours {args.in_flight_hours:g})")
    return None


@recorded("cleanup")
def cleanup(aws: AwsContext, args: CleanupArgs) -> dict[str, Any]:
    """Delete the versions :func:`plan_cleanup` picks, under the app's lease; report every stack deleted."""
    records = app_records(aws, args.namespace, args.app)
    with holding(records, "cleanup", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
        application = describe_application(aws, args.namespace, args.app)
        state = describe_listener(aws, application)
        canary = plan_of(lease.snapshot) if args.dry_run else settle(aws, state, lease)
        stacks = list_version_stacks(aws, args.namespace, args.app)
        plan = plan_cleanup(stacks, live=state.live_version, previous=state.previous_version, args=args,
                            now=aws.clock.wall(),
                            in_flight=_in_flight(lease.snapshot, canary, state.live_version, stacks))
        result: dict[str, Any] = {"app": args.app, "dry_run": args.dry_run, "kept": plan.keep,
                                  "deleted": [], "skipped": {}}
        for version, reason in sorted(plan.keep.items()):
            aws.about(version, app=args.app).log.info("kept: %s", reason)
        warn_untagged(aws, args.app, set(state.rules) - {s.version for s in stacks})
        if args.dry_run:
            for stack in plan.delete:
                aws.about(stack.version, app=args.app).log.info("would delete %s", stack.name)
            return {**result, "deleted": [s.version for s in plan.delete]}
        for service in ("elbv2", "cloudformation"):  # every client exists before the workers start
            aws.client(service)
        lease.check()
        with ThreadPoolExecutor(max_workers=args.max_parallel) as pool:
            outcomes = list(pool.map(lambda s: _try_delete(aws, application.listener_arn, s, args.app),
                                     plan.delete))
    refused = {s.version: error for s, (_, error) in zip(plan.delete, outcomes, strict=True) if error}
    started = [s for s, (skipped, error) in zip(plan.delete, outcomes, strict=True) if not skipped and not error]
    result["skipped"] = {s.version: why for s, (why, _) in zip(plan.delete, outcomes, strict=True) if why}
    failed = {**refused, **wait_for_deletes(aws, started, timeout_seconds=args.timeout_seconds)}
    result["deleted"] = [s.version for s in started if s.version not in failed]
    if result["deleted"]:
        refresh_dashboard(aws, state, enabled=args.dashboard)
    if failed:
        done = ", ".join(sorted(result["deleted"])) or "nothing"
        raise AwsStateError(f"cleanup deleted {done}, but could not delete "
                            + "; ".join(f"{v}: {why.rstrip('.')}" for v, why in sorted(failed.items()))
                            + ". Look at the stacks' events, fix the cause, and run cleanup again", app=args.app)
    return result


def _in_flight(item: AppItem, canary: CanaryPlan | None, live: str | None,
               stacks: list[VersionStack]) -> InFlight:
    """Return what cleanup must leave alone: the canary's versions, and when the live version went live."""
    held: dict[str, str] = {}
    if canary is not None:
        for version in {canary.version, *canary.versions.values()}:
            held[version] = f"part of the canary of {canary.describe()}"
    record = item.doc(LIVE)
    since: datetime | None = None
    if record and record.get("version") == live:
        since = datetime.fromtimestamp(float(record["since"]), UTC)
    elif live is not None:
        # No record of when it went live (an older release made it live): its creation is the earliest it could.
        since = next((s.created for s in stacks if s.version == live), None)
    return InFlight(live_since=since, held=held)


def warn_untagged(aws: AwsContext, app: str, versions: set[str]) -> None:
    """Say which versions have a listener rule but no stack found by the app's tag (cleanup cannot see them)."""
    for version in sorted(versions):
        aws.about(version, app=app).log.warning(
            "has a listener rule but no stack tagged %s=%s, so cleanup cannot see it; give the version stack "
            "`tags: {\"%s\": %s}` in the config", contract.TAG_APP, app, contract.TAG_APP, app)


def _try_delete(aws: AwsContext, listener_arn: str, stack: VersionStack, app: str) -> tuple[str | None, str | None]:
    """Return (why skipped, why the delete failed): one refused delete never hides the others' outcomes."""
    try:
        return _delete_unless_live(aws, listener_arn, stack, app), None
    except AwsStateError as exc:
        return None, str(exc)


def _delete_unless_live(aws: AwsContext, listener_arn: str, stack: VersionStack, app: str) -> str | None:
    """Re-read the listener, then delete the stack unless it became live; return why it was skipped."""
    log = aws.about(stack.version, app=app).log
    weights = read_live_weights(aws, listener_arn)
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
    """Wait until each stack, read by its id, is ``DELETE_COMPLETE``; return version -> reason for each that failed.

    Right after ``DeleteStack`` a stack may still show its old status, and a delete AWS refuses
    (an export in use) returns it to its previous ``*_COMPLETE`` status, not ``DELETE_FAILED``: only
    ``DELETE_COMPLETE`` is deleted. A stack still not deleted at the deadline is reported as such.
    """
    pending = {s.stack_id: s for s in stacks}
    failed: dict[str, str] = {}
    looks = 0

    def look(_: float) -> dict[str, VersionStack]:
        nonlocal looks
        looks += 1
        for stack_id in list(pending):
            status, reason = _delete_status(aws, stack_id)
            if status == "DELETE_COMPLETE":
                pending.pop(stack_id)
            elif status == "DELETE_FAILED":
                failed[pending.pop(stack_id).version] = reason or status
            elif status != "DELETE_IN_PROGRESS" and looks > 1:
                # (still, or again, *_COMPLETE after the first look: AWS refused the delete)
                failed[pending.pop(stack_id).version] = f"the delete was refused, stack is {status}: {reason}"
        return pending

    poll(aws.clock, look, lambda left: not left, timeout_seconds=timeout_seconds, first_seconds=0.5, cap_seconds=5.0)
    for stack in pending.values():
        failed[stack.version] = f"still deleting after {timeout_seconds:.0f}s"
    return failed


def _delete_status(aws: AwsContext, stack_id: str) -> tuple[str, str]:
    with aws_call("DescribeStacks", stack_id):
        stack = aws.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    return stack["StackStatus"], stack.get("StackStatusReason", "")
