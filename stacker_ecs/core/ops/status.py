"""An app's versions at a glance: stack, tasks, healthy targets, traffic shares, protection, a canary, URLs.

Besides the table, status warns about what would hurt the live site (:mod:`.status_warnings`): a
version the live rule reaches whose stack has no termination protection (a ``DeleteStack`` by hand
would take the app down), an idle version that is protected (cleanup keeps it), and a live rule that
forwards to a target group no healthy version stack owns any more (its stack was deleted by hand:
CloudFormation deletes the service first and then fails on the target group the rule still uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pydantic import field_validator, model_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.coordination import RUNNER, LeaseInfo, app_records
from stacker_ecs.core.errors import AwsCallError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.canary import carried_step
from stacker_ecs.core.ops.canary_plan import PAUSED, RESTORE_FAILED, RUNNING, CanaryPlan, describe_pause, plan_of
from stacker_ecs.core.ops.dashboard import dashboard_url
from stacker_ecs.core.ops.inventory import list_version_stacks
from stacker_ecs.core.ops.listener import ListenerState, describe_application, describe_listener, shares
from stacker_ecs.core.ops.protection import PROTECTED, protection_of
from stacker_ecs.core.ops.services import describe_services
from stacker_ecs.core.ops.status_warnings import app_warnings, summary_warnings, target_group_name
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
    protected: bool = False
    """Whether the version's stack has CloudFormation termination protection on (a ``DeleteStack`` is refused)."""


@dataclass(frozen=True)
class UnownedTargetGroup:
    """A target group the live rule forwards to that no version stack owns (its stack was deleted by hand)."""

    target_group_arn: str
    weight: int
    """Its weight in the live rule (0: recorded as the previous live version)."""
    traffic_percent: int
    healthy: int | None
    """Its healthy targets now; None when the target group itself is gone."""


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
    unowned_target_groups: list[UnownedTargetGroup] = field(default_factory=list)
    """Target groups the live rule forwards to that no version stack owns (see :mod:`.status_warnings`)."""
    warnings: list[str] = field(default_factory=list)
    """What endangers the live site or blocks cleanup, each with its repair (:mod:`.status_warnings`)."""


@dataclass(frozen=True)
class AppSummary:
    """One row of ``status --all``: an app of the environment at a glance."""

    app: str
    live: str
    traffic: str
    canary: str
    previews: list[str]
    lease: str
    protected: dict[str, bool] = field(default_factory=dict)
    """Version -> termination protection on, for each version the live rule reaches (live, previous, canary)."""
    warnings: list[str] = field(default_factory=list)
    """A version the live rule reaches without protection, or a target group it reaches that no version owns."""


@dataclass(frozen=True)
class EnvironmentStatus:
    """Every app of a namespace (``status --all``)."""

    namespace: str
    apps: list[AppSummary]


class StatusArgs(Args):
    """Arguments of ``stacker-ecs status``: one app, or ``--all`` of the namespace."""

    app: str = ""
    """The app, as in its application stack's name (none with ``--all``)."""
    namespace: str
    """The environment's namespace (the config's ``namespace``)."""
    all_apps: bool = False
    """Default: off; on prints one line per app of the namespace: live version, traffic, protection, canary,
    previews, lease."""

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
    """Return a summary of every app of ``namespace``: its apps found by tag, then per app three reads and one
    ``DescribeStacks`` (by name) per version the live rule reaches."""
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
    protected: dict[str, bool] = {}
    unowned: dict[str, int] = {}
    percent = shares(state.forward, state.versions_by_group)
    for arn in state.forward:
        version = state.version_of(arn)
        stack = describe_stack(aws, naming.version_stack(namespace, app, version)) if version else None
        if version and stack is not None and not stack["StackStatus"].startswith("DELETE_"):
            protected[version] = protection_of(stack)
        else:
            unowned[version or arn] = percent.get(version or arn, 0)
    live = state.live_version or (f"? ({target_group_name(state.live_target_group)})" if state.live_target_group
                                  else "-")
    return AppSummary(app=app, live=live, traffic=state.describe_traffic(),
                      canary=f"{plan.state} {plan.describe()}" if plan is not None else "",
                      previews=sorted(v for v in state.rules if v != state.live_version),
                      lease=lease.describe(now) if lease is not None and lease.expires > now else "",
                      protected=protected, warnings=summary_warnings(namespace, app, protected, unowned))


def describe_app(aws: AwsContext, namespace: str, app: str) -> AppStatus:
    """Return the rows, the canary under way, the lease holder and the warnings (reads only: no lease taken)."""
    records = app_records(aws, namespace, app)
    reading = read_status(aws, namespace, app)
    item = records.read()
    plan = plan_of(item)
    canary = ""
    if plan is not None and plan.state == RUNNING:
        canary = running_canary(plan, reading.state, runner=item.lease(RUNNER), now=records.wall(), app=app,
                                namespace=namespace)
    elif plan is not None and plan.state == PAUSED:
        canary = f"canary of {describe_pause(plan, app, namespace, records.wall())}"
    elif plan is not None and plan.state == RESTORE_FAILED:
        canary = (f"restore after the canary of {plan.describe()} FAILED ({plan.note}); the next operation on the "
                  "app restores first")
    lease = item.lease()
    now = records.wall()
    holder = lease.describe(now) if lease is not None and lease.expires > now else ""
    url = dashboard_url(aws.client("cloudwatch").meta.region_name, namespace, app)
    warnings = app_warnings(namespace, app, reading.rows, reading.unowned, split=reading.state.is_split,
                            recorded=item.doc(PROTECTED))
    return AppStatus(rows=reading.rows, canary=canary, lease=holder, dashboard_url=url,
                     paused_since=plan.paused_since if plan is not None and plan.state == PAUSED else 0.0,
                     unowned_target_groups=reading.unowned, warnings=warnings)


def running_canary(plan: CanaryPlan, state: ListenerState, *, runner: LeaseInfo | None, now: float, app: str,
                   namespace: str) -> str:
    """Return the line of a running canary, at the step the live rule carries (pure).

    A run stopped between a step's write and its record leaves the record one step behind the listener
    (or, before its first write or after its final switch, at none of its steps): the line says what the
    listener carries, and, when no runner holds the canary-runner lease, how to finish or undo it.
    """
    carried = carried_step(plan, state.forward)
    gone = "" if runner is not None and runner.expires > now else (
        f"; its runner is gone: re-run the cutover of {plan.version} to resume it, or abort it (`stacker-ecs abort "
        f"{app} --namespace {namespace}`)")
    if carried == plan.step:
        return f"canary of {plan.describe()}{gone}"
    if carried is not None:
        return f"canary of {replace(plan, step=carried).describe()} (recorded at step {plan.step + 1}){gone}"
    return (f"canary of {plan.version} recorded at step {plan.step + 1}/{len(plan.steps_percent)} ({plan.percent}%), "
            f"started by {plan.started_by}, but the live rule carries none of its steps (traffic: "
            f"{state.describe_traffic()}){gone}")


@dataclass(frozen=True)
class StatusReading:
    """What :func:`read_status` read: the rows, the listener, and the target groups no version stack owns."""

    rows: list[VersionStatus]
    state: ListenerState
    unowned: list[UnownedTargetGroup]


def describe_status(aws: AwsContext, namespace: str, app: str) -> list[VersionStatus]:
    """Return one row per version stack of ``app``, newest first."""
    return read_status(aws, namespace, app).rows


def read_status(aws: AwsContext, namespace: str, app: str) -> StatusReading:
    """Read the rows (version stacks found by tag, their services and targets) and the live rule's target groups.

    A target group is matched to its version by the version's host rule or, when the rule is gone
    (a stack deleted by hand), by the ``TargetGroupArn`` output the stack still has; one the live rule
    forwards to that no stack owns is returned in ``unowned`` (one ``DescribeTargetHealth`` each).
    """
    application = describe_application(aws, namespace, app)
    state = describe_listener(aws, application)
    stacks = sorted(list_version_stacks(aws, namespace, app), key=lambda s: s.created, reverse=True)
    owners = {**state.versions_by_group, **{s.target_group_arn: s.version for s in stacks if s.target_group_arn}}
    traffic = shares(state.forward, owners)
    services = describe_services(aws, application.cluster_name, app, [s.version for s in stacks])
    rows = []
    for stack in stacks:
        rule = state.rules.get(stack.version)
        group = stack.target_group_arn or (rule.target_group_arn if rule else None)
        service = services.get(stack.version, {})
        rows.append(VersionStatus(
            version=stack.version, stack=stack.name, stack_status=stack.status,
            desired=service.get("desiredCount"), running=service.get("runningCount"),
            healthy=_healthy(aws, group, f"{app}/{stack.version}") if group else None,
            role=_role(state, group),
            url=stack.outputs.get(contract.URL) or _url(app, stack.version, application.domain),
            traffic_percent=traffic.get(stack.version, 0), protected=stack.termination_protection))
    unowned = [UnownedTargetGroup(target_group_arn=arn, weight=weight, traffic_percent=traffic.get(arn, 0),
                                  healthy=_healthy(aws, arn, app))
               for arn, weight in state.forward.items() if arn not in owners]
    return StatusReading(rows=rows, state=state, unowned=unowned)


def _role(state: ListenerState, target_group_arn: str | None) -> str:
    """Return ``live``, ``split`` (carries a share of a split), ``previous`` (weight 0) or ``""`` (pure)."""
    weight = state.forward.get(target_group_arn) if target_group_arn else None
    if weight is None:
        return ""
    if weight == 0:
        return "previous"
    return "split" if state.is_split else "live"


def _healthy(aws: AwsContext, target_group_arn: str, subject: str) -> int | None:
    """Return the target group's healthy targets (1 call), or None when the target group no longer exists."""
    try:
        with aws_call("DescribeTargetHealth", subject):
            targets = aws.client("elbv2").describe_target_health(TargetGroupArn=target_group_arn)
    except AwsCallError as exc:
        if exc.code not in ("TargetGroupNotFound", "TargetGroupNotFoundException"):
            raise
        return None
    return sum(1 for t in targets["TargetHealthDescriptions"] if t["TargetHealth"]["State"] == "healthy")


def format_app(status: AppStatus | EnvironmentStatus) -> str:
    """Return the table, then a line for a canary under way, one for the lease holder, and the warnings."""
    if isinstance(status, EnvironmentStatus):
        return format_environment(status)
    lines = [format_status(status.rows)]
    if status.canary:
        lines.append(f"in progress: {status.canary}")
    if status.lease:
        lines.append(f"lease held by {status.lease}")
    if status.dashboard_url:
        lines.append(f"dashboard: {status.dashboard_url}")
    lines += [f"warning: {w}" for w in status.warnings]
    return "\n".join(lines)


def format_status(rows: list[VersionStatus]) -> str:
    """Return the rows as a fixed-width table."""
    header = ("VERSION", "STACK", "STATUS", "DESIRED/RUNNING", "HEALTHY", "LIVE", "TRAFFIC", "PROTECTED", "URL")
    lines = [header] + [(
        r.version, r.stack, r.stack_status,
        f"{_show(r.desired)}/{_show(r.running)}", _show(r.healthy),
        {"live": "*", "previous": "previous", "split": "*"}.get(r.role, ""),
        f"{r.traffic_percent}%" if r.traffic_percent else "-", "yes" if r.protected else "no", r.url) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not rows:
        text.append("(no version stacks)")
    return "\n".join(text)


def format_environment(status: EnvironmentStatus) -> str:
    """Return one fixed-width line per app, then the warnings."""
    header = ("APP", "LIVE", "TRAFFIC", "PROTECTED", "CANARY/PAUSE", "PREVIEWS", "LEASE")
    lines = [header] + [(a.app, a.live, a.traffic,
                         ", ".join(f"{v} {'yes' if on else 'NO'}" for v, on in sorted(a.protected.items())) or "-",
                         a.canary or "-", ", ".join(a.previews) or "-", a.lease or "-")
                        for a in status.apps]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not status.apps:
        text.append(f"(no apps in {status.namespace})")
    text += [f"warning: {w}" for a in status.apps for w in a.warnings]
    return "\n".join(text)


def _url(app: str, version: str, domain: str) -> str:
    return f"https://{naming.version_host(app, version, domain)}"


def _show(value: int | None) -> str:
    return "-" if value is None else str(value)
