"""An app's versions at a glance: stack, tasks, healthy targets, traffic shares, a canary under way, URLs."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import field_validator, model_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.canary import describe_pause
from stacker_ecs.core.ops.canary_plan import PAUSED, RESTORE_FAILED, RUNNING, plan_of
from stacker_ecs.core.ops.dashboard import dashboard_url
from stacker_ecs.core.ops.inventory import list_version_stacks
from stacker_ecs.core.ops.listener import describe_application, describe_listener, shares
from stacker_ecs.core.ops.services import describe_services
from stacker_ecs.core.validation import check_name


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
    traffic_percent: int = 0
    """Share of the app's live traffic this version gets now (two versions carry some during a canary)."""


@dataclass(frozen=True)
class AppStatus:
    """An app's versions, and what is changing its traffic now."""

    rows: list[VersionStatus]
    canary: str = ""
    """``"v2 at step 1/2 (10%), started by X"`` while a canary runs (or its restore failed)."""
    lease: str = ""
    """Who holds the app's write lease now, if anyone."""
    dashboard_url: str = ""
    """The app's CloudWatch dashboard (:mod:`.dashboard`)."""
    paused_since: float = 0.0
    """While a canary is paused: since when (seconds since the epoch); ``canary`` names the two commands."""


@dataclass(frozen=True)
class AppSummary:
    """One row of ``status --all``: an app of the environment at a glance."""

    app: str
    live: str
    traffic: str
    canary: str
    previews: list[str]
    lease: str


@dataclass(frozen=True)
class EnvironmentStatus:
    """Every app of a namespace (``status --all``)."""

    namespace: str
    apps: list[AppSummary]


class StatusArgs(Args):
    """Arguments of ``stacker-ecs status``: one app, or ``--all`` of the namespace."""

    app: str = ""
    """The app, as in its application stack's name (not with ``all_apps``)."""
    namespace: str
    """The environment's namespace (the config's ``namespace``)."""
    all_apps: bool = False
    """Default: off; on prints one line per app of the namespace: live version, traffic, canary, previews, lease."""

    _app = field_validator("app")(lambda v: check_name("app", v) if v else v)

    @model_validator(mode="after")
    def _one(self) -> StatusArgs:
        if bool(self.app) == self.all_apps:
            raise ValueError("app: give an app, or --all for every app of the namespace, not both")
        return self


def status(aws: AwsContext, query: StatusArgs) -> AppStatus | EnvironmentStatus:
    """Return the app's status, or every app's summary with ``all_apps`` (the ``status`` command)."""
    if query.all_apps:
        return describe_environment(aws, query.namespace)
    return describe_app(aws, query.namespace, query.app)


def describe_environment(aws: AwsContext, namespace: str) -> EnvironmentStatus:
    """Return a summary of every app of ``namespace``: one stack listing, then three reads per app."""
    from stacker_ecs.core.ops.inventory import find_apps

    return EnvironmentStatus(namespace=namespace, apps=[_summary(aws, namespace, app)
                                                        for app in find_apps(aws, namespace)])


def _summary(aws: AwsContext, namespace: str, app: str) -> AppSummary:
    state = describe_listener(aws, describe_application(aws, namespace, app))
    records = app_records(aws, namespace, app)
    item = records.read()
    plan = plan_of(item)
    lease = item.lease()
    now = records.wall()
    return AppSummary(app=app, live=state.live_version or "-", traffic=state.describe_traffic(),
                      canary=f"{plan.state} {plan.describe()}" if plan is not None else "",
                      previews=sorted(v for v in state.rules if v != state.live_version),
                      lease=lease.describe(now) if lease is not None and lease.expires > now else "")


def describe_app(aws: AwsContext, namespace: str, app: str) -> AppStatus:
    """Return the rows, the canary under way and the lease holder (reads only: no lease taken)."""
    records = app_records(aws, namespace, app)
    rows = describe_status(aws, namespace, app)
    item = records.read()
    plan = plan_of(item)
    canary = ""
    if plan is not None and plan.state == RUNNING:
        canary = f"canary of {plan.describe()}"
    elif plan is not None and plan.state == PAUSED:
        canary = f"canary of {describe_pause(plan, app, namespace, records.wall())}"
    elif plan is not None and plan.state == RESTORE_FAILED:
        canary = (f"restore after the canary of {plan.describe()} FAILED ({plan.note}); the next operation on the "
                  "app restores first")
    lease = item.lease()
    now = records.wall()
    holder = lease.describe(now) if lease is not None and lease.expires > now else ""
    url = dashboard_url(aws.client("cloudwatch").meta.region_name, namespace, app)
    return AppStatus(rows=rows, canary=canary, lease=holder, dashboard_url=url,
                     paused_since=plan.paused_since if plan is not None and plan.state == PAUSED else 0.0)


def describe_status(aws: AwsContext, namespace: str, app: str) -> list[VersionStatus]:
    """Return one row per version stack of ``app``, newest first."""
    application = describe_application(aws, namespace, app)
    state = describe_listener(aws, application)
    traffic = shares(state.forward, state.versions_by_group)
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
        role = "split" if state.is_split and stack.version in traffic else state.role(stack.version)
        rows.append(VersionStatus(
            version=stack.version, stack=stack.name, stack_status=stack.status,
            desired=service.get("desiredCount"), running=service.get("runningCount"), healthy=healthy,
            role=role, url=stack.outputs.get(contract.URL) or _url(app, stack.version, application.domain),
            traffic_percent=traffic.get(stack.version, 0)))
    return rows


def format_app(status: AppStatus | EnvironmentStatus) -> str:
    """Return the table, then a line for a canary under way and one for the lease holder."""
    if isinstance(status, EnvironmentStatus):
        return format_environment(status)
    lines = [format_status(status.rows)]
    if status.canary:
        lines.append(f"in progress: {status.canary}")
    if status.lease:
        lines.append(f"lease held by {status.lease}")
    if status.dashboard_url:
        lines.append(f"dashboard: {status.dashboard_url}")
    return "\n".join(lines)


def format_status(rows: list[VersionStatus]) -> str:
    """Return the rows as a fixed-width table."""
    header = ("VERSION", "STACK", "STATUS", "DESIRED/RUNNING", "HEALTHY", "LIVE", "TRAFFIC", "URL")
    lines = [header] + [(
        r.version, r.stack, r.stack_status,
        f"{_show(r.desired)}/{_show(r.running)}", _show(r.healthy),
        {"live": "*", "previous": "previous", "split": "*"}.get(r.role, ""),
        f"{r.traffic_percent}%" if r.traffic_percent else "-", r.url) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not rows:
        text.append("(no version stacks)")
    return "\n".join(text)


def format_environment(status: EnvironmentStatus) -> str:
    """Return one fixed-width line per app."""
    header = ("APP", "LIVE", "TRAFFIC", "CANARY/PAUSE", "PREVIEWS", "LEASE")
    lines = [header] + [(a.app, a.live, a.traffic, a.canary or "-", ", ".join(a.previews) or "-", a.lease or "-")
                        for a in status.apps]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not status.apps:
        text.append(f"(no apps in {status.namespace})")
    return "\n".join(text)


def _url(app: str, version: str, domain: str) -> str:
    return f"https://{naming.version_host(app, version, domain)}"


def _show(value: int | None) -> str:
    return "-" if value is None else str(value)
