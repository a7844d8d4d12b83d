"""Verify a freshly deployed version: wait until its target group has the healthy targets it needs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.health import wait_for_healthy
from stacker_ecs.core.ops.services import describe_service
from stacker_ecs.core.ops.version_target import VersionArgs, describe_version


class VerifyHealthArgs(VersionArgs):
    """Arguments of the ``verify_health`` hook."""

    expected_count: int | None = Field(default=None, ge=1)
    """Default: the service's desired count; how many healthy targets make the version healthy."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; the hook gives up after ten minutes and prints targets, stop reasons and events."""
    max_failed_tasks: int = Field(default=3, ge=1)
    """Default: 3; this many stopped tasks mean the version will not start, and the hook fails at once."""


def verify_health(aws: AwsContext, args: VerifyHealthArgs) -> dict[str, Any]:
    """Return a summary once the version is healthy; raise :class:`UnhealthyVersionError` if it is not."""
    started = aws.clock.now()
    target = describe_version(aws, args.namespace, args.app, args.version)
    expected = args.expected_count
    if expected is None:
        service = describe_service(aws, target.cluster, args.app, args.version)
        if service is None:
            raise AwsStateError(f"no ECS service {target.service} in cluster {target.cluster}",
                                app=args.app, version=args.version)
        expected = max(int(service["desiredCount"]), 1)
    report = wait_for_healthy(aws, target, expected, timeout_seconds=args.timeout_seconds,
                              max_failed_tasks=args.max_failed_tasks)
    return {"app": args.app, "version": args.version, "healthy": report.healthy, "expected": expected,
            "waited_seconds": round(aws.clock.now() - started, 1), "target_group_arn": target.target_group_arn}
