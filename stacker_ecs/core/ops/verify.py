"""Verify a freshly deployed version: wait until its target group has the healthy targets it needs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.diagnose import with_diagnosis
from stacker_ecs.core.ops.health import stopped_task_arns, wait_for_healthy
from stacker_ecs.core.ops.lookups import LiveDesiredCountQuery, find_live_desired_count
from stacker_ecs.core.ops.services import describe_service, is_autoscaled, scale_service
from stacker_ecs.core.ops.version_target import VersionArgs, VersionTarget, describe_version


class VerifyHealthArgs(VersionArgs):
    """Arguments of the ``verify_health`` hook."""

    expected_count: int | None = Field(default=None, ge=1)
    """Default: the service's desired count; how many healthy targets make the version healthy."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; the hook gives up after ten minutes and prints targets, stop reasons and events."""
    max_failed_tasks: int = Field(default=3, ge=1)
    """Default: 3; this many stopped tasks mean the version will not start, and the hook fails at once."""
    start_count: int | None = Field(default=None, ge=1)
    """Default: none, the service is checked as deployed. A count: a version at 0 tasks (a new version,
    see ``ecs_version_desired_count``) is first scaled to the live version's desired count, or to this
    count while no version is live."""


def verify_health(aws: AwsContext, args: VerifyHealthArgs) -> dict[str, Any]:
    """Return a summary once the version is healthy; raise :class:`UnhealthyVersionError` if it is not."""
    started = aws.clock.now()
    target = describe_version(aws, args.namespace, args.app, args.version)
    known_failures = stopped_task_arns(aws, target)
    expected = args.expected_count
    if expected is None or args.start_count is not None:
        service = describe_service(aws, target.cluster, args.app, args.version)
        if service is None:
            raise AwsStateError(f"no ECS service {target.service} in cluster {target.cluster}",
                                app=args.app, version=args.version)
        desired = _start(aws, target, service, args)
        expected = expected or max(desired, 1)
    try:
        report = wait_for_healthy(aws, target, expected, timeout_seconds=args.timeout_seconds,
                                  max_failed_tasks=args.max_failed_tasks, known_failures=known_failures)
    except UnhealthyVersionError as exc:
        raise with_diagnosis(aws, exc, args.namespace) from None
    return {"app": args.app, "version": args.version, "healthy": report.healthy, "expected": expected,
            "waited_seconds": round(aws.clock.now() - started, 1), "target_group_arn": target.target_group_arn}


def _start(aws: AwsContext, target: VersionTarget, service: dict[str, Any], args: VerifyHealthArgs) -> int:
    """Scale a version at 0 tasks to its start count (see :mod:`.lookups`); return its desired count."""
    desired = int(service["desiredCount"])
    if desired or args.start_count is None:
        return desired
    count = max(find_live_desired_count(aws, LiveDesiredCountQuery(
        app=args.app, namespace=args.namespace, default=args.start_count)), 1)
    scale_service(aws, target, count, autoscaling=is_autoscaled(service))
    return count
