"""Wait until a version's target group has enough healthy targets, or say exactly why it never will.

Each poll reads target health (one call). While targets are missing it also reads what ECS
knows (the service's deployments and events, the service's stopped tasks) and fails at once
when the cause is already clear: the circuit breaker failed the deployment, tasks keep stopping
(``CannotPullContainerError``, an essential container exiting, ...) and none has started, or
every target failed its health checks. On timeout the message carries the events, targets and stop reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import HealthTimeoutError, UnhealthyVersionError
from stacker_ecs.core.ops.version_target import VersionTarget
from stacker_ecs.core.ops.wait import poll

# Stops that are no fault of the version (scale-in, deployments, spot and maintenance notices)...
NORMAL_STOP_CODES = frozenset({"ServiceSchedulerInitiated", "UserInitiated", "SpotInterruption", "TerminationNotice"})
# ...except that ECS also stops tasks failing their health checks with ServiceSchedulerInitiated:
# the reason, not the code, tells those apart.
FAILURE_REASONS = ("failed ELB health checks", "failed container health checks")


@dataclass(frozen=True)
class HealthReport:
    """What one look at a version found."""

    healthy: int
    targets: list[dict[str, Any]]

    @property
    def unhealthy(self) -> list[dict[str, Any]]:
        """Return targets that failed their health checks."""
        return [t for t in self.targets if t["TargetHealth"]["State"] == "unhealthy"]


def read_target_health(aws: AwsContext, target: VersionTarget) -> HealthReport:
    """Return the target group's targets and how many are healthy (one call)."""
    with aws_call("DescribeTargetHealth", f"{target.app}/{target.version}"):
        targets = aws.client("elbv2").describe_target_health(
            TargetGroupArn=target.target_group_arn)["TargetHealthDescriptions"]
    healthy = sum(1 for t in targets if t["TargetHealth"]["State"] == "healthy")
    return HealthReport(healthy=healthy, targets=targets)


def wait_for_healthy(aws: AwsContext, target: VersionTarget, expected: int, *, timeout_seconds: float,
                     max_failed_tasks: int = 3, known_failures: frozenset[str] = frozenset()) -> HealthReport:
    """Return once ``expected`` targets are healthy; raise :class:`UnhealthyVersionError` otherwise.

    Tasks in ``known_failures`` (stopped before this wait, e.g. before the image was fixed) are ignored.
    """
    log = aws.about(target.version, app=target.app).log
    seen: list[tuple[int, int]] = []
    ecs_states: list[EcsState] = []

    def look(elapsed: float) -> HealthReport:
        report = read_target_health(aws, target)
        if not seen or seen[-1] != (report.healthy, len(report.targets)):
            seen.append((report.healthy, len(report.targets)))
            log.info("%d/%d targets healthy after %.0fs", report.healthy, expected, elapsed)
        if report.healthy >= expected:
            return report
        ecs_states.append(read_ecs_state(aws, target, known_failures))
        cause = failure_cause(report, ecs_states[-1], expected, max_failed_tasks)
        if cause:
            raise UnhealthyVersionError(app=target.app, version=target.version, cause=cause,
                                        details=explain(report, ecs_states[-1]))
        return report

    waited = poll(aws.clock, look, lambda r: r.healthy >= expected, timeout_seconds=timeout_seconds)
    if not waited.timed_out:
        return waited.value
    report = waited.value
    raise HealthTimeoutError(
        app=target.app, version=target.version,
        cause=(f"only {report.healthy}/{expected} targets healthy after {waited.elapsed:.0f}s (timeout "
               f"{timeout_seconds:.0f}s); fix the cause below, or raise timeout_seconds if tasks "
               "are just slow to start"),
        details=explain(report, ecs_states[-1]))


def stopped_task_arns(aws: AwsContext, target: VersionTarget) -> frozenset[str]:
    """Return the version's tasks stopped so far (1 call): failures from before a fix are history."""
    with aws_call("ListTasks", f"{target.app}/{target.version}"):
        arns = aws.client("ecs").list_tasks(cluster=target.cluster, serviceName=target.service,
                                            desiredStatus="STOPPED")["taskArns"]
    return frozenset(arns)


@dataclass(frozen=True)
class EcsState:
    """What ECS says about a version's service and its stopped tasks."""

    service: dict[str, Any] | None
    failed_tasks: list[dict[str, Any]]


def read_ecs_state(aws: AwsContext, target: VersionTarget, known_failures: frozenset[str] = frozenset()) -> EcsState:
    """Return the version's service and its failed (stopped, not scaled-in) tasks (2-3 calls)."""
    ecs = aws.client("ecs")
    with aws_call("DescribeServices", f"{target.app}/{target.version}"):
        services = ecs.describe_services(cluster=target.cluster, services=[target.service])["services"]
    service = next((s for s in services if s.get("status") != "INACTIVE"), None)
    with aws_call("ListTasks", f"{target.app}/{target.version}"):
        arns = [arn for arn in ecs.list_tasks(cluster=target.cluster, serviceName=target.service,
                                              desiredStatus="STOPPED")["taskArns"] if arn not in known_failures][:100]
    tasks: list[dict[str, Any]] = []
    if arns:
        with aws_call("DescribeTasks", f"{target.app}/{target.version}"):
            tasks = ecs.describe_tasks(cluster=target.cluster, tasks=arns)["tasks"]
    group = f"service:{target.service}"
    failed = [t for t in tasks if t.get("group") == group and is_failure(t)]
    return EcsState(service=service, failed_tasks=failed)


def is_failure(task: dict[str, Any]) -> bool:
    """Return whether a stopped task failed (pure): classified by its reason first, then its code."""
    reason = task.get("stoppedReason") or ""
    if any(phrase in reason for phrase in FAILURE_REASONS):
        return True
    if not reason or task.get("stopCode") in NORMAL_STOP_CODES:
        return False
    return not reason.startswith("Scaling activity")


def failure_cause(report: HealthReport, ecs_state: EcsState, expected: int, max_failed_tasks: int) -> str | None:
    """Return why the version will not become healthy, if that is already known (pure)."""
    service = ecs_state.service
    if service is None:
        return "its ECS service does not exist (was the version stack deleted or never created?)"
    for deployment in service.get("deployments", []):
        if deployment.get("rolloutState") == "FAILED":
            reason = deployment.get("rolloutStateReason") or "no reason given"
            return f"ECS failed the deployment (circuit breaker): {reason}"
    # ECS lists stopped tasks for about an hour: once a task is healthy, old failures (an image pushed
    # late, a dependency that came up) are history, not a cause.
    if report.healthy == 0 and len(ecs_state.failed_tasks) >= max_failed_tasks:
        reasons = sorted({_task_reason(t) for t in ecs_state.failed_tasks})
        return (f"{len(ecs_state.failed_tasks)} tasks stopped before becoming healthy: {'; '.join(reasons)}; "
                "fix the image or task definition and deploy a new version")
    if expected and len(report.unhealthy) >= expected:
        reasons = sorted({_target_reason(t) for t in report.unhealthy})
        return (f"all {len(report.unhealthy)} targets failed their health checks: {'; '.join(reasons)}; "
                "check the health-check path and that the app answers on its port")
    return None


def _task_reason(task: dict[str, Any]) -> str:
    reasons = [task.get("stoppedReason") or ""]
    reasons += [f"{c['name']}: {c['reason']}" for c in task.get("containers", []) if c.get("reason")]
    return " / ".join(r for r in reasons if r)


def _target_reason(target: dict[str, Any]) -> str:
    health = target["TargetHealth"]
    return f"{health.get('Reason', health['State'])}: {health.get('Description', '')}".rstrip(": ")


def explain(report: HealthReport, ecs_state: EcsState, events: int = 5) -> list[str]:
    """Return the lines an operator reads to see why: targets, stop reasons, recent service events."""
    lines = [f"target {t['Target']['Id']}:{t['Target'].get('Port', '')} {t['TargetHealth']['State']}"
             + (f" ({_target_reason(t)})" if t["TargetHealth"]["State"] != "healthy" else "")
             for t in report.targets] or ["no targets registered in the target group"]
    lines += [f"stopped task {t['taskArn'].rsplit('/', 1)[-1]}: {_task_reason(t)}" for t in ecs_state.failed_tasks[:5]]
    service = ecs_state.service or {}
    if service:
        lines.append(f"service {service.get('serviceName')}: desired {service.get('desiredCount')}, "
                     f"running {service.get('runningCount')}, pending {service.get('pendingCount')}")
    lines += [f"event {e.get('createdAt', '')}: {e.get('message', '')}" for e in service.get("events", [])[:events]]
    return lines
