"""A CloudWatch dashboard per app (``<namespace>-<app>``) that follows the versions in play.

One line per version in play (live, previous, canary): requests and 5xx of its target group, target
response time, healthy hosts, running tasks, CPU and memory, and the live version's share of the
requests over time. Cutover, each canary step, rollback and cleanup rewrite it with one write
(:func:`refresh_dashboard`, from the listener state the operation already read); teardown deletes
it. A failure to write it is logged and never fails a deployment.
"""

from __future__ import annotations

import json
from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import ListenerState

PANELS = (("Requests", "AWS/ApplicationELB", "RequestCount", "Sum"),
          ("Target 5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
          ("Target response time (s)", "AWS/ApplicationELB", "TargetResponseTime", "p95"),
          ("Healthy hosts", "AWS/ApplicationELB", "HealthyHostCount", "Minimum"),
          ("Running tasks", "ECS/ContainerInsights", "RunningTaskCount", "Average"),
          ("CPU (%)", "AWS/ECS", "CPUUtilization", "Average"),
          ("Memory (%)", "AWS/ECS", "MemoryUtilization", "Average"))


def dashboard_name(namespace: str, app: str) -> str:
    """Return the name of the app's dashboard."""
    return f"{namespace}-{app}"


def dashboard_url(region: str, namespace: str, app: str) -> str:
    """Return the console URL of the app's dashboard."""
    return (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={dashboard_name(namespace, app)}")


def versions_in_play(state: ListenerState) -> dict[str, str]:
    """Return version -> its role for every version taking traffic, and the previous one (pure)."""
    found = {}
    for version, rule in state.rules.items():
        role = state.role(version)
        if state.forward.get(rule.target_group_arn, 0) > 0:
            found[version] = "live" if role == "live" else "canary"
        elif role == "previous":
            found[version] = role
    return found


def build_body(app: str, state: ListenerState, roles: dict[str, str], region: str) -> dict[str, Any]:
    """Return the dashboard's body: one line per version of ``roles`` (version -> role) (pure)."""
    roles = {v: role for v, role in roles.items() if v in state.rules}
    cluster = state.application.cluster_name
    # The listener's ARN holds its load balancer's: ...:listener/app/<name>/<id>/<listener id>.
    balancer = "/".join(state.application.listener_arn.split(":listener/")[-1].split("/")[:3])
    widgets = []
    for index, (title, namespace, metric, stat) in enumerate(PANELS):
        lines = []
        for version, role in roles.items():
            if namespace == "AWS/ApplicationELB":
                group = state.rules[version].target_group_arn.split(":")[-1]
                dimensions = ["TargetGroup", group, "LoadBalancer", balancer]
            else:
                dimensions = ["ClusterName", cluster, "ServiceName", naming.service_name(app, version)]
            lines.append([namespace, metric, *dimensions, {"label": f"{version} ({role})", "stat": stat}])
        widgets.append(_widget(title, lines, index, region))
    widgets.append(_share(state, roles, balancer, region, len(PANELS)))
    return {"widgets": widgets}


def _widget(title: str, metrics: list[list[Any]], index: int, region: str) -> dict[str, Any]:
    return {"type": "metric", "x": (index % 2) * 12, "y": (index // 2) * 6, "width": 12, "height": 6,
            "properties": {"title": title, "view": "timeSeries", "region": region, "period": 60,
                           "metrics": metrics or [[{"expression": "0", "label": "no version in play"}]]}}


def _share(state: ListenerState, roles: dict[str, str], balancer: str, region: str, index: int) -> dict[str, Any]:
    """Return the panel of the live version's share of the requests, as metric math over the versions' counts."""
    metrics: list[list[Any]] = []
    ids = []
    for n, version in enumerate(v for v, role in roles.items() if role != "previous"):
        group = state.rules[version].target_group_arn.split(":")[-1]
        ids.append((f"r{n}", version))
        metrics.append(["AWS/ApplicationELB", "RequestCount", "TargetGroup", group, "LoadBalancer", balancer,
                        {"id": f"r{n}", "stat": "Sum", "visible": False}])
    live = next((i for i, v in ids if roles[v] == "live"), ids[0][0] if ids else None)
    if live:
        total = " + ".join(i for i, _ in ids)
        metrics.append([{"expression": f"100 * {live} / ({total})", "label": "live share (%)", "id": "share"}])
    return _widget("Live share of requests (%)", metrics, index, region)


def refresh_dashboard(aws: AwsContext, state: ListenerState, roles: dict[str, str] | None = None, *,
                      enabled: bool = True) -> str | None:
    """Rewrite the app's dashboard (1 call) for ``roles`` (version -> role; default: what ``state`` shows in play).

    Returns its name; None when off, or when the write failed (logged: a dashboard never fails a deployment).
    """
    if not enabled:
        return None
    application = state.application
    name = dashboard_name(application.namespace, application.app)
    try:
        cloudwatch = aws.client("cloudwatch")
        body = build_body(application.app, state, versions_in_play(state) if roles is None else roles,
                          cloudwatch.meta.region_name)
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    except Exception as exc:  # a dashboard never fails a deployment
        aws.about("", app=application.app).log.warning("dashboard %s not updated: %s", name, exc)
        return None
    return name


def delete_dashboard(aws: AwsContext, namespace: str, app: str) -> None:
    """Delete the app's dashboard if it exists (1 call); a failure is logged."""
    try:
        aws.client("cloudwatch").delete_dashboards(DashboardNames=[dashboard_name(namespace, app)])
    except Exception as exc:  # the dashboard is the last thing an app leaves behind; never fail teardown for it
        if "ResourceNotFound" not in str(exc):
            aws.about("", app=app).log.warning("dashboard %s not deleted: %s", dashboard_name(namespace, app), exc)
