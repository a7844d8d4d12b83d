"""Make a version live: scale it to the live size, verify it at that size, switch the listener once.

The switch is one write of the app's live listener rule (or, with ``steps_percent``, weighted
steps that bake while alarms are watched, see :mod:`.progressive`) which forwards to the new version at
weight 1 and keeps the old live version beside it at weight 0: no traffic goes there, but the
listener itself now records what rollback returns to. Happy path: 6 AWS calls (read app, read
rules, read both services, scale, read health, switch); re-running for the live version: 2.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from pydantic import Field, field_validator

from stacker_ecs.core import naming
from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.health import VersionTarget, wait_for_healthy
from stacker_ecs.core.ops.live import ListenerState, describe_services, read_listener
from stacker_ecs.core.ops.progressive import forward, shift_in_steps
from stacker_ecs.core.ops.versions import VersionArgs
from stacker_ecs.core.ops.wait import Clock

LOGGER = logging.getLogger(__name__)


class CutoverArgs(VersionArgs):
    """Arguments of the ``cutover`` hook."""

    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; how long scaled-up tasks get to become healthy before the cutover is refused."""
    max_failed_tasks: int = Field(default=3, ge=1)
    """Default: 3; this many stopped tasks refuse the cutover at once."""
    force: bool = False
    """Default: off; on switches even if the version has fewer healthy targets than it needs."""
    dry_run: bool = False
    """Default: off; on reads and reports what would change, and changes nothing."""
    steps_percent: list[int] = []
    """Default: none, one atomic switch. Otherwise the share of traffic the version gets in each step
    before the full switch, e.g. ``[10, 50]``; each step bakes ``bake_seconds`` watching ``alarm_names``."""
    bake_seconds: float = Field(default=300, ge=0)
    """Default: 300; how long each traffic step runs before the next."""
    alarm_names: list[str] = []
    """CloudWatch alarms watched during each bake; one in ALARM puts all traffic back and fails the cutover."""

    @field_validator("steps_percent")
    @classmethod
    def _steps(cls, value: list[int]) -> list[int]:
        if any(not 0 < p < 100 for p in value) or value != sorted(set(value)):
            raise ValueError(f"{value} is not a rising list of percentages between 1 and 99; write e.g. [10, 50]")
        return value


def cutover(session: boto3.Session, args: CutoverArgs, clock: Clock | None = None) -> dict[str, Any]:
    """Make ``args.version`` live; a no-op (that says so) when it already is."""
    state = read_listener(session, args.namespace, args.app)
    return switch_to(session, state, args, clock or Clock())


def switch_to(session: boto3.Session, state: ListenerState, args: CutoverArgs, clock: Clock) -> dict[str, Any]:
    """Scale, verify and switch to ``args.version`` given the listener state already read."""
    app, version = args.app, args.version
    rule = state.rules.get(version)
    if rule is None:
        known = ", ".join(sorted(state.rules)) or "none"
        raise AwsStateError(f"unknown version: the listener has no rule for {version} (versions: {known}); "
                            "deploy it first, or check the spelling", app=app, version=version)
    old_group = _old_live_group(state, rule.target_group_arn)
    live = state.version_of(old_group) if old_group else None
    result: dict[str, Any] = {"app": app, "version": version, "previous": live, "changed": False,
                              "dry_run": args.dry_run}
    if state.live_version == version and not _split(state):
        LOGGER.info("%s/%s: already live; nothing to change", app, version)
        return {**result, "previous": state.previous_version, "message": f"{version} is already live"}
    cluster = state.application.cluster_name
    services = describe_services(session, cluster, app, [v for v in (version, live) if v])
    service = services.get(version)
    if service is None:
        raise AwsStateError(f"no ECS service {naming.service_name(app, version)} in cluster {cluster}; "
                            "its stack may have failed: deploy the version again", app=app, version=version)
    needed = _needed_count(services.get(live) if live else None, service)
    target = VersionTarget(app=app, version=version, cluster=cluster,
                           service=naming.service_name(app, version), target_group_arn=rule.target_group_arn)
    result.update(desired_count=needed)
    if args.dry_run:
        LOGGER.info("%s/%s: would scale to %d, verify %d healthy targets and switch the listener from %s",
                    app, version, needed, needed, live or "no version")
        return {**result, "message": f"dry run: would make {version} live"}
    if int(service["desiredCount"]) < needed:
        scale_service(session, target, needed, autoscaling=_autoscaled(service))
    if args.force:
        LOGGER.warning("%s/%s: force is on; switching without checking health", app, version)
    else:
        try:
            report = wait_for_healthy(session, target, needed, timeout_seconds=args.timeout_seconds, clock=clock,
                                      max_failed_tasks=args.max_failed_tasks)
        except UnhealthyVersionError as exc:
            raise type(exc)(app=app, version=version, details=exc.details,
                            cause=f"cutover refused, {live or 'nothing'} stays live: {exc.cause}") from None
        result["healthy"] = report.healthy
    if state.live_version != version:  # (otherwise a stepped cutover stopped half-way: finish it)
        shift_in_steps(session, state, rule.target_group_arn, version=version, steps_percent=args.steps_percent,
                       bake_seconds=args.bake_seconds, alarm_names=args.alarm_names, clock=clock)
    set_live(session, state, rule.target_group_arn, previous=old_group)
    LOGGER.info("%s/%s: live (was %s)", app, version, live or "no version")
    return {**result, "changed": True, "message": f"{version} is live (was {live or 'no version'})"}


def _needed_count(live_service: dict[str, Any] | None, service: dict[str, Any]) -> int:
    """Return how many healthy tasks the version needs before it takes the live traffic."""
    if live_service is not None:
        return max(int(live_service["desiredCount"]), 1)
    return max(int(service["desiredCount"]), 1)


def _autoscaled(service: dict[str, Any]) -> bool:
    return any(t.get("key") == naming.TAG_AUTOSCALING and t.get("value") == "on" for t in service.get("tags", []))


def scale_service(session: boto3.Session, target: VersionTarget, count: int, *, autoscaling: bool) -> None:
    """Set the service's desired count (and its autoscaling minimum, so scaling does not undo it)."""
    LOGGER.info("%s/%s: scaling to %d tasks", target.app, target.version, count)
    if autoscaling:
        with aws_call("RegisterScalableTarget", f"{target.app}/{target.version}"):
            client(session, "application-autoscaling").register_scalable_target(
                ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
                ResourceId=f"service/{target.cluster}/{target.service}", MinCapacity=count)
    with aws_call("UpdateService", f"{target.app}/{target.version}"):
        client(session, "ecs").update_service(cluster=target.cluster, service=target.service, desiredCount=count)


def _old_live_group(state: ListenerState, target_group_arn: str) -> str | None:
    """Return the target group that carries the live traffic the new version takes over."""
    weighted = [(w, arn) for arn, w in state.forward.items() if w > 0 and arn != target_group_arn]
    return max(weighted)[1] if weighted else None


def _split(state: ListenerState) -> bool:
    """Return whether traffic is split between target groups (a stepped cutover under way)."""
    return sum(1 for weight in state.forward.values() if weight > 0) > 1


def set_live(session: boto3.Session, state: ListenerState, target_group_arn: str, *,
             previous: str | None = None) -> None:
    """Forward all traffic to ``target_group_arn``, keeping the current live group at weight 0."""
    weights = {target_group_arn: 1}
    previous = previous or state.live_target_group
    if previous and previous != target_group_arn and state.version_of(previous):
        weights[previous] = 0
    forward(session, state, weights)
