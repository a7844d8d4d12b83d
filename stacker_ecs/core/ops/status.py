"""An app's versions at a glance: stack, tasks, healthy targets, which one is live, URLs."""

from __future__ import annotations

from dataclasses import dataclass

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.ops.inventory import list_version_stacks
from stacker_ecs.core.ops.listener import describe_application, describe_listener
from stacker_ecs.core.ops.services import describe_services


@dataclass(frozen=True)
class VersionStatus:
    """One row of the status table."""

    version: str
    stack: str
    stack_status: str
    desired: int | None
    running: int | None
    healthy: int | None
    role: str
    url: str


def describe_status(aws: AwsContext, namespace: str, app: str) -> list[VersionStatus]:
    """Return one row per version stack of ``app``, newest first."""
    application = describe_application(aws, namespace, app)
    state = describe_listener(aws, application)
    stacks = sorted(list_version_stacks(aws, namespace, app), key=lambda s: s.created, reverse=True)
    services = describe_services(aws, application.cluster_name, app, [s.version for s in stacks])
    elbv2 = aws.client("elbv2")
    rows = []
    for stack in stacks:
        healthy = None
        if stack.target_group_arn:
            with aws_call("DescribeTargetHealth", f"{app}/{stack.version}"):
                targets = elbv2.describe_target_health(TargetGroupArn=stack.target_group_arn)
            healthy = sum(1 for t in targets["TargetHealthDescriptions"] if t["TargetHealth"]["State"] == "healthy")
        service = services.get(stack.version, {})
        role = ("live" if stack.version == state.live_version
                else "previous" if stack.version == state.previous_version else "")
        rows.append(VersionStatus(
            version=stack.version, stack=stack.name, stack_status=stack.status,
            desired=service.get("desiredCount"), running=service.get("runningCount"), healthy=healthy,
            role=role, url=stack.outputs.get(contract.URL) or _url(app, stack.version, application.domain)))
    return rows


def format_status(rows: list[VersionStatus]) -> str:
    """Return the rows as a fixed-width table."""
    header = ("VERSION", "STACK", "STATUS", "DESIRED/RUNNING", "HEALTHY", "LIVE", "URL")
    lines = [header] + [(
        r.version, r.stack, r.stack_status,
        f"{_show(r.desired)}/{_show(r.running)}", _show(r.healthy),
        {"live": "*", "previous": "previous"}.get(r.role, ""), r.url) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not rows:
        text.append("(no version stacks)")
    return "\n".join(text)


def _url(app: str, version: str, domain: str) -> str:
    return f"https://{naming.version_host(app, version, domain)}"


def _show(value: int | None) -> str:
    return "-" if value is None else str(value)
