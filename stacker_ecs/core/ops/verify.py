"""Verify a freshly deployed version: wait until its target group has the healthy targets it needs.

A new version is verified at the count it will carry: the live version's desired count, or
``start_count`` while nothing is live, whether or not it is autoscaled (registering a scalable
target raises a version at 0 to its minimum, 1, before verify runs). A version that takes traffic is
verified as it runs and never scaled. A version that fails is scaled back to 0 tasks (and its
autoscaling minimum to 0): scaling a 0-task service starts no deployment, so no circuit breaker would
ever stop ECS relaunching its tasks. A version that takes traffic is left running, and the error says why.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.errors import AwsStateError, StackerEcsError, UnhealthyVersionError
from stacker_ecs.core.ops.canary import settled_live_version
from stacker_ecs.core.ops.health import stopped_task_arns, wait_for_healthy
from stacker_ecs.core.ops.listener import describe_application, describe_listener, read_listener
from stacker_ecs.core.ops.services import (
    describe_service,
    is_autoscaled,
    live_desired_count,
    scale_service,
    set_min_capacity,
)
from stacker_ecs.core.ops.version_target import VersionArgs, VersionTarget, describe_version

ROLES = {"live": "it is the live version", "serving": "it takes part of the traffic (a stepped cutover)",
         "previous": "it is the previous live version (rollback goes back to it)"}


class VerifyHealthArgs(VersionArgs):
    """Arguments of the ``verify_health`` hook."""

    expected_count: int | None = Field(default=None, ge=1)
    """Default: the service's desired count; how many healthy targets make the version healthy."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; the hook gives up after ten minutes and prints targets, stop reasons and events."""
    max_failed_tasks: int = Field(default=3, ge=1)
    """Default: 3; this many stopped tasks mean the version will not start, and the hook fails at once."""
    start_count: int | None = Field(default=None, ge=1)
    """Default: none, the service is checked as deployed. A count: a version that takes no traffic is first
    scaled to the count it will carry, the live version's desired count, or this count while no version is
    live (a new version starts at 0 tasks, see ``ecs_version_desired_count``, or at its autoscaling minimum)."""


def verify_health(aws: AwsContext, args: VerifyHealthArgs) -> dict[str, Any]:
    """Return a summary once the version is healthy; raise :class:`UnhealthyVersionError` if it is not.

    A version that fails and takes no traffic is scaled back to 0 tasks first; the error says so.
    """
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
        if not desired and expected is None:
            raise AwsStateError(
                f"{target.service} runs 0 tasks (a new version, or one scaled back after a failed verify), so no "
                "target can become healthy; verify it with start_count (--start-count N) to start its tasks",
                app=args.app, version=args.version)
        expected = expected or desired
    try:
        report = wait_for_healthy(aws, target, expected, timeout_seconds=args.timeout_seconds,
                                  max_failed_tasks=args.max_failed_tasks, known_failures=known_failures,
                                  namespace=args.namespace)
    except UnhealthyVersionError as exc:
        from stacker_ecs.core.ops.diagnose import with_diagnosis  # only a failure reads the checklist

        diagnosed = with_diagnosis(aws, exc, args.namespace)  # while the failed tasks still describe the failure
        note = scale_back(aws, target, args.namespace)
        raise type(exc)(app=exc.app or args.app, version=exc.version or args.version, cause=exc.cause,
                        details=[note, *diagnosed.details]) from None
    return {"app": args.app, "version": args.version, "healthy": report.healthy, "expected": expected,
            "waited_seconds": round(aws.clock.now() - started, 1), "target_group_arn": target.target_group_arn}


def _start(aws: AwsContext, target: VersionTarget, service: dict[str, Any], args: VerifyHealthArgs) -> int:
    """Raise a version that takes no traffic to the count it will carry; return its desired count."""
    desired = int(service["desiredCount"])
    if args.start_count is None:
        return desired
    count = _carry_count(aws, args)
    if count is None or desired >= count:
        return desired
    scale_service(aws, target, count, autoscaling=is_autoscaled(service))
    return count


def _carry_count(aws: AwsContext, args: VerifyHealthArgs) -> int | None:
    """Return the count the version will carry, or None when it takes traffic already (3 calls)."""
    application = describe_application(aws, args.namespace, args.app)
    state = describe_listener(aws, application)
    role = state.role(args.version)
    if role:
        aws.about(args.version, app=args.app).log.info("verified as it runs: %s", ROLES[role])
        return None
    live = settled_live_version(aws, app_records(aws, args.namespace, args.app), state)
    if not live:
        return args.start_count
    return max(live_desired_count(aws, application.cluster_name, args.app, live), 1)


def scale_back(aws: AwsContext, target: VersionTarget, namespace: str) -> str:
    """Scale a failed version to 0 tasks (and its autoscaling minimum to 0) unless it takes traffic.

    Return the line that says what was done. The listener is read first (2 calls); then the scalable
    target (1 call, and 1 to lower its minimum) and the service (1 call). A failure here is told, not raised.
    """
    name = f"{target.app}/{target.version}"
    log = aws.about(target.version, app=target.app).log
    try:
        state = read_listener(aws, namespace, target.app)
    except StackerEcsError as error:
        note = (f"left {name} running: the listener could not be read to rule out that it takes traffic ({error}); "
                f"if it takes none, run: {_commands(target)}")
        log.warning("%s", note)
        return note
    role = state.role(target.version)
    if role:
        note = f"left {name} running: {ROLES[role]} (traffic: {state.describe_traffic()})"
        log.warning("%s", note)
        return note
    try:
        autoscaled = set_min_capacity(aws, target, 0)
        with aws_call("UpdateService", name):
            aws.client("ecs").update_service(cluster=target.cluster, service=target.service, desiredCount=0)
    except StackerEcsError as error:
        note = (f"scaling {name} back to 0 tasks failed ({error}); ECS keeps relaunching its tasks: "
                f"run {_commands(target)}")
        log.error("%s", note)
        return note
    note = f"scaled {name} back to 0 tasks" + (" (and its autoscaling minimum to 0)" if autoscaled else "")
    log.warning("%s", note)
    return note


def _commands(target: VersionTarget) -> str:
    """Return the AWS CLI commands that scale a version to 0 by hand."""
    return (f"`aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension "
            f"ecs:service:DesiredCount --resource-id service/{target.cluster}/{target.service} --min-capacity 0` "
            f"(if it is autoscaled), then `aws ecs update-service --cluster {target.cluster} --service "
            f"{target.service} --desired-count 0`")
