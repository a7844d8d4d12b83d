"""Wait until a version's target group has enough healthy targets, or say exactly why it never will.

Each poll reads target health (one call). While targets are missing it also reads what ECS
knows (the service's deployments and events, the service's stopped tasks) and fails at once
when the cause is already clear: the circuit breaker failed the deployment, tasks keep stopping
(``CannotPullContainerError``, an essential container exiting, ...) and none has started, a target
can never serve (:data:`TARGET_REASONS`: e.g. ``Target.NotInUse``, a task in a zone the load balancer
does not serve, named with both sides' zones), or every target failed its health checks. On timeout
the message carries the events, targets and stop reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.errors import AwsCallError, HealthTimeoutError, UnhealthyVersionError
from stacker_ecs.core.ops.version_target import VersionTarget
from stacker_ecs.core.ops.wait import poll

# Stops that are no fault of the version (scale-in, deployments, spot and maintenance notices)...
NORMAL_STOP_CODES = frozenset({"ServiceSchedulerInitiated", "UserInitiated", "SpotInterruption", "TerminationNotice"})
# ...except that ECS also stops tasks failing their health checks with ServiceSchedulerInitiated:
# the reason, not the code, tells those apart.
FAILURE_REASONS = ("failed ELB health checks", "failed container health checks")


NEVER = "never"
"""A target with this reason will never serve as it is: verify fails in the poll that sees it."""
ALL_FAILED = "all-failed"
"""Health checks fail: verify fails once as many targets as it needs fail them (one may recover)."""
WAIT = "wait"
"""Passing (registration, first checks, draining, an AWS-side error): verify keeps waiting."""


@dataclass(frozen=True)
class TargetReason:
    """What a target health reason code means for verify, and how to fix it."""

    verdict: str
    fix: str


TARGET_REASONS: dict[str, TargetReason] = {
    # initial
    "Elb.RegistrationInProgress": TargetReason(WAIT, "wait: the load balancer is registering the target"),
    "Elb.InitialHealthChecking": TargetReason(WAIT, "wait: the first health checks are running"),
    # unhealthy
    "Target.ResponseCodeMismatch": TargetReason(
        ALL_FAILED, "check the health-check path and that the app answers it with a success code"),
    "Target.Timeout": TargetReason(
        ALL_FAILED, "check that the app answers on its container port within the health check's timeout and "
                    "that the container security group lets the load balancer in"),
    "Target.FailedHealthChecks": TargetReason(
        ALL_FAILED, "check that the app listens on its container port on every interface and answers HTTP"),
    # unused
    "Target.NotRegistered": TargetReason(WAIT, "wait: ECS registers a task once it runs"),
    "Target.NotInUse": TargetReason(
        NEVER, "place the cluster's tasks in subnets of the load balancer's zones (the cluster stack's Subnets), "
               "or enable their zones on the load balancer (a subnet of each in the application stack's Subnets)"),
    "Target.InvalidState": TargetReason(
        WAIT, "wait: the task stopped; ECS replaces it (tasks that keep stopping are named by their stop reason)"),
    "Target.IpUnusable": TargetReason(
        NEVER, "the task's address is reserved for the load balancer: give the tasks subnets of their own "
               "(the cluster stack's Subnets), apart from the load balancer's"),
    # draining
    "Target.DeregistrationInProgress": TargetReason(WAIT, "wait: an old task is draining"),
    # unavailable
    "Target.HealthCheckDisabled": TargetReason(
        NEVER, "health checks are disabled on the target group, so no target is ever reported healthy: "
               "enable them (HealthCheckEnabled) in the version's template"),
    "Elb.InternalError": TargetReason(WAIT, "wait: an internal error of the load balancer (AWS retries)"),
}
"""Every reason code of botocore's ``TargetHealthReasonEnum`` (elbv2), classified (see docs/health.md)."""


@dataclass(frozen=True)
class HealthReport:
    """What one look at a version found."""

    healthy: int
    targets: list[dict[str, Any]]

    @property
    def unhealthy(self) -> list[dict[str, Any]]:
        """Return targets that failed their health checks."""
        return [t for t in self.targets if t["TargetHealth"]["State"] == "unhealthy"]

    @property
    def never_serving(self) -> list[dict[str, Any]]:
        """Return targets whose reason says they never will serve as they are (:data:`NEVER`)."""
        return [t for t in self.targets if _verdict(t) == NEVER]

    @property
    def reasons(self) -> set[str]:
        """Return the reason codes of the targets."""
        return {r for t in self.targets if (r := t["TargetHealth"].get("Reason"))}


def _verdict(target: dict[str, Any]) -> str:
    known = TARGET_REASONS.get(target["TargetHealth"].get("Reason") or "")
    return known.verdict if known else WAIT


def read_target_health(aws: AwsContext, target: VersionTarget) -> HealthReport:
    """Return the target group's targets and how many are healthy (one call)."""
    with aws_call("DescribeTargetHealth", f"{target.app}/{target.version}"):
        targets = aws.client("elbv2").describe_target_health(
            TargetGroupArn=target.target_group_arn)["TargetHealthDescriptions"]
    healthy = sum(1 for t in targets if t["TargetHealth"]["State"] == "healthy")
    return HealthReport(healthy=healthy, targets=targets)


def wait_for_healthy(aws: AwsContext, target: VersionTarget, expected: int, *, timeout_seconds: float,
                     max_failed_tasks: int = 3, known_failures: frozenset[str] = frozenset(),
                     namespace: str = "") -> HealthReport:
    """Return once ``expected`` targets are healthy; raise :class:`UnhealthyVersionError` otherwise.

    Tasks in ``known_failures`` (stopped before this wait, e.g. before the image was fixed) are ignored.
    ``namespace`` lets a ``Target.NotInUse`` failure name the cluster stack's subnets and zones.
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
        zones = (zones_finding(aws, target, ecs_states[-1].service, namespace)
                 if "Target.NotInUse" in report.reasons else "")
        cause = failure_cause(report, ecs_states[-1], expected, max_failed_tasks, zones=zones)
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


def failure_cause(report: HealthReport, ecs_state: EcsState, expected: int, max_failed_tasks: int, *,
                  zones: str = "") -> str | None:
    """Return why the version will not become healthy, if that is already known (pure).

    ``zones`` is what :func:`zones_finding` read for ``Target.NotInUse`` targets.
    """
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
    never = report.never_serving
    if never and report.healthy < expected:
        codes = sorted({t["TargetHealth"]["Reason"] for t in never})
        fixes = [zones if code == "Target.NotInUse" and zones else TARGET_REASONS[code].fix for code in codes]
        reasons = sorted({_target_reason(t) for t in never})
        return (f"{len(never)} of {len(report.targets)} targets can never serve: {'; '.join(reasons)}; "
                f"{'; '.join(fixes)}")
    if expected and len(report.unhealthy) >= expected:
        reasons = sorted({_target_reason(t) for t in report.unhealthy})
        codes = sorted({t["TargetHealth"].get("Reason") or "" for t in report.unhealthy})
        fixes = [TARGET_REASONS[c].fix for c in codes if c in TARGET_REASONS] or [
            "check the health-check path and that the app answers on its port"]
        return (f"all {len(report.unhealthy)} targets failed their health checks: {'; '.join(reasons)}; "
                f"{'; '.join(fixes)}")
    return None


def zones_finding(aws: AwsContext, target: VersionTarget, service: dict[str, Any] | None, namespace: str = "") -> str:
    """Return the zones of the tasks' subnets and of the load balancer, and the fix ("" if unreadable).

    The tasks' subnets are the service's ``awsvpc`` subnets, else (EC2 launch type) the cluster stack's
    ``Subnets`` (read when ``namespace`` is given). 3-4 calls, only once a target is ``Target.NotInUse``.
    """
    elbv2 = aws.client("elbv2")
    subject = f"{target.app}/{target.version}"
    try:
        with aws_call("DescribeTargetGroups", subject):
            groups = elbv2.describe_target_groups(TargetGroupArns=[target.target_group_arn])["TargetGroups"]
        balancers = sorted({arn for g in groups for arn in g.get("LoadBalancerArns", [])})
        if not balancers:
            return ("the target group is attached to no load balancer: the version's listener rule is missing; "
                    "deploy the version again")
        with aws_call("DescribeLoadBalancers", subject):
            found = elbv2.describe_load_balancers(LoadBalancerArns=balancers)["LoadBalancers"]
        subnets = _task_subnets(aws, service, namespace)
        zones: dict[str, str] = {}
        if subnets:
            with aws_call("DescribeSubnets", subject):
                zones = {s["SubnetId"]: s["AvailabilityZone"]
                         for s in aws.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]}
    except AwsCallError as error:
        aws.about(target.version, app=target.app).log.warning("could not read the zones: %s", error)
        return ""
    names = ", ".join(lb["LoadBalancerName"] for lb in found)
    served = ", ".join(sorted({z["ZoneName"] for lb in found for z in lb.get("AvailabilityZones", [])}))
    outside = ", ".join(sorted(set(zones.values()))) or "their zones"
    enable = f"enable {outside} on the load balancer (a subnet of each in the application stack's Subnets)"
    if not zones:
        return f"the load balancer {names} serves only {served}: run the tasks in those zones, or {enable}"
    tasks = ", ".join(f"{subnet} ({zone})" for subnet, zone in sorted(zones.items()))
    return (f"the tasks' subnets {tasks} lie in zones the load balancer {names} does not serve (it serves "
            f"{served}): give the cluster stack Subnets in {served}, or {enable}")


def _task_subnets(aws: AwsContext, service: dict[str, Any] | None, namespace: str) -> list[str]:
    """Return the subnets the version's tasks run in: the service's (awsvpc), else the cluster stack's."""
    network = ((service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    if network.get("subnets") or not namespace:
        return list(network.get("subnets") or [])
    stack = describe_stack(aws, naming.cluster_stack(namespace))
    subnets = contract.outputs_of(stack).get(contract.SUBNETS, "") if stack else ""
    return [s for s in subnets.split(",") if s]


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
