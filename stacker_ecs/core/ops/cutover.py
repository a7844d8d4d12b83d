"""Make a version live: scale it to the live size, verify it at that size, switch the listener once.

The switch is one ``ModifyListener`` call whose default action forwards to the new version at
weight 1 and keeps the old live version beside it at weight 0: no traffic goes there, but the
listener itself now records what rollback returns to. Happy path: 6 AWS calls (read app, read
rules, read both services, scale, read health, switch); re-running for the live version: 2.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from pydantic import Field

from stacker_ecs.core import naming
from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.health import VersionTarget, wait_for_healthy
from stacker_ecs.core.ops.live import ListenerState, describe_services, read_listener
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
    live = state.live_version
    result: dict[str, Any] = {"app": app, "version": version, "previous": live, "changed": False,
                              "dry_run": args.dry_run}
    if live == version:
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
    set_live(session, state, rule.target_group_arn)
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


def set_live(session: boto3.Session, state: ListenerState, target_group_arn: str) -> None:
    """Forward the listener to ``target_group_arn``, keeping the current live group at weight 0."""
    groups = [{"TargetGroupArn": target_group_arn, "Weight": 1}]
    current = state.live_target_group
    if current and current != target_group_arn and state.version_of(current):
        groups.append({"TargetGroupArn": current, "Weight": 0})
    with aws_call("ModifyListener", state.application.app):
        client(session, "elbv2").modify_listener(
            ListenerArn=state.application.listener_arn,
            DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}])
