"""Canary analysis from metrics: each step of a stepped cutover judged by the load balancer's own numbers.

At the end of each step's bake one ``GetMetricData`` call reads, for the new version's target group
and the stable one (whatever the number of versions), the ALB metrics CloudWatch keeps per target
group (``AWS/ApplicationELB``, dimensions ``TargetGroup`` and ``LoadBalancer``): ``RequestCount``,
``HTTPCode_Target_5XX_Count`` and ``TargetResponseTime`` (p95, p99), over the step so far. Checks
are written as text, the same in YAML and on the command line::

    5xx_percent <= 1                 absolute: at most 1 % of the new version's requests answer 5xx
    p99_ms <= 1.5x stable            relative: at most 1.5 times the stable version's p99
    p95_ms <= stable + 100           relative: at most 100 ms above the stable version's p95
    dry-run p99_ms <= 300            reported at every step, never acted on

A step whose new version served fewer than ``min_requests`` requests (or whose stable version did,
for a relative check) is inconclusive: the canary waits longer or fails, as its policy says.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stacker_ecs.core.aws import AwsContext, aws_call

NAMESPACE = "AWS/ApplicationELB"
UNITS = {"5xx_percent": "%", "p95_ms": " ms", "p99_ms": " ms", "requests": " requests"}
"""The metrics a check can name, and how their values are shown."""
_CHECK = re.compile(r"^(?P<dry>dry-run\s+)?(?P<metric>[a-z0-9_]+)\s*<=\s*(?:(?P<ratio>[0-9.]+)\s*x\s*stable"
                    r"|stable\s*\+\s*(?P<plus>[0-9.]+)|(?P<limit>[0-9.]+))$")
EXAMPLES = "write e.g. '5xx_percent <= 1', 'p99_ms <= 1.5x stable', 'p95_ms <= stable + 100' or 'dry-run p99_ms <= 300'"


@dataclass(frozen=True)
class MetricCheck:
    """One threshold: ``metric <= limit``, ``<= ratio x stable`` or ``<= stable + plus``."""

    metric: str
    limit: float | None = None
    ratio: float | None = None
    plus: float | None = None
    dry_run: bool = False

    @property
    def relative(self) -> bool:
        """Return whether the threshold depends on the stable version's value."""
        return self.limit is None

    def threshold(self, stable: float | None) -> float | None:
        """Return the highest acceptable value (None: the stable version's value is unknown)."""
        if self.limit is not None:
            return self.limit
        if stable is None:
            return None
        return stable * self.ratio if self.ratio is not None else stable + (self.plus or 0.0)

    def describe(self) -> str:
        """Return the check as written, e.g. ``p99_ms <= 1.5x stable``."""
        bound = (_num(self.limit) if self.limit is not None else
                 f"{_num(self.ratio)}x stable" if self.ratio is not None else f"stable + {_num(self.plus)}")
        return f"{'dry-run ' if self.dry_run else ''}{self.metric} <= {bound}"


def parse_check(text: str) -> MetricCheck:
    """Return the check ``text`` writes; raise ``ValueError`` saying what to write instead."""
    match = _CHECK.match(" ".join(text.split()))
    if not match:
        raise ValueError(f"{text!r} is not a metric check; {EXAMPLES}")
    metric = match["metric"]
    if metric not in UNITS:
        raise ValueError(f"{text!r} names metric {metric!r}; known: {', '.join(UNITS)}")
    try:
        values = {k: float(match[k]) for k in ("limit", "ratio", "plus") if match[k] is not None}
    except ValueError:
        raise ValueError(f"{text!r} has a malformed number; {EXAMPLES}") from None
    return MetricCheck(metric=metric, dry_run=bool(match["dry"]), **values)


@dataclass(frozen=True)
class Sample:
    """One target group's numbers over a step."""

    requests: float = 0.0
    errors: float = 0.0
    p95_ms: float | None = None
    p99_ms: float | None = None

    def value(self, metric: str) -> float | None:
        """Return ``metric`` (None when there were no requests to measure)."""
        if metric == "requests":
            return self.requests
        if metric == "5xx_percent":
            return 100.0 * self.errors / self.requests if self.requests else None
        return getattr(self, metric)


@dataclass(frozen=True)
class Verdict:
    """What the metrics say of one step."""

    new: Sample
    stable: Sample
    breach: str = ""
    """The first acting check breached, with both versions' values and the threshold ("" if none)."""
    inconclusive: str = ""
    """Why the step cannot be judged yet (too few requests), or ""."""
    lines: list[str] = field(default_factory=list)
    """One line per check: values, threshold, outcome (dry-run checks included)."""

    def to_doc(self) -> dict[str, Any]:
        """Return the verdict as a plain dict (results, JSON)."""
        return {"breach": self.breach, "inconclusive": self.inconclusive, "checks": list(self.lines),
                "new": vars(self.new), "stable": vars(self.stable)}


def dimension(arn: str) -> str:
    """Return the CloudWatch dimension value of a target group or load balancer ARN (its final portion)."""
    return arn.split(":", 5)[-1].removeprefix("loadbalancer/")


def load_balancer_arn(listener_arn: str) -> str:
    """Return the load balancer of ``listener_arn`` (``...:listener/app/n/id/lid`` -> ``...:loadbalancer/app/n/id``)."""
    head, _, path = listener_arn.partition(":listener/")
    return f"{head}:loadbalancer/{path.rsplit('/', 1)[0]}"


def read_samples(aws: AwsContext, listener_arn: str, groups: dict[str, str], start: datetime,
                 end: datetime) -> dict[str, Sample]:
    """Return role -> :class:`Sample` of each target group in ``groups`` (role -> ARN), in one ``GetMetricData``."""
    start = start.replace(second=0, microsecond=0)  # CloudWatch rounds to the minute; say so explicitly
    period = max(60, math.ceil((end - start).total_seconds() / 60) * 60)
    balancer = dimension(load_balancer_arn(listener_arn))
    queries = []
    for role, arn in groups.items():
        dims = [{"Name": "TargetGroup", "Value": dimension(arn)}, {"Name": "LoadBalancer", "Value": balancer}]
        for key, name, stat in (("req", "RequestCount", "Sum"), ("err", "HTTPCode_Target_5XX_Count", "Sum"),
                                ("p95", "TargetResponseTime", "p95"), ("p99", "TargetResponseTime", "p99")):
            queries.append({"Id": f"{role}_{key}", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": dims},
                "Period": period, "Stat": stat}})
    values: dict[str, list[float]] = {}
    with aws_call("GetMetricData", ", ".join(groups.values())):
        answer = aws.client("cloudwatch").get_metric_data(
            MetricDataQueries=queries, StartTime=start, EndTime=max(end, start + timedelta(seconds=60)))
    for result in answer["MetricDataResults"]:
        values[result["Id"]] = [float(v) for v in result.get("Values", [])]
    return {role: _sample(values, role) for role in groups}


def _sample(values: dict[str, list[float]], role: str) -> Sample:
    def worst(key: str) -> float | None:
        found = values.get(f"{role}_{key}")
        return max(found) * 1000.0 if found else None  # seconds -> ms; several periods: the worst

    return Sample(requests=sum(values.get(f"{role}_req", [])), errors=sum(values.get(f"{role}_err", [])),
                  p95_ms=worst("p95"), p99_ms=worst("p99"))


def judge(checks: list[MetricCheck], new: Sample, stable: Sample, *, min_requests: int,
          versions: tuple[str, str]) -> Verdict:
    """Return the verdict of ``checks`` on the new and stable samples (pure)."""
    name, stable_name = versions
    lines, breach, inconclusive = [], "", ""
    if new.requests < min_requests:
        inconclusive = f"{name} served {new.requests:.0f} requests, fewer than min_requests {min_requests}"
    elif any(c.relative and not c.dry_run for c in checks) and stable.requests < min_requests:
        inconclusive = (f"{stable_name} served {stable.requests:.0f} requests, fewer than min_requests "
                        f"{min_requests} (a relative check needs its numbers)")
    for check in checks:
        mine, theirs = new.value(check.metric), stable.value(check.metric)
        limit = check.threshold(theirs)
        unit = UNITS[check.metric]
        over = mine is not None and limit is not None and mine > limit
        shown = (f"metric {check.metric}: {name} {_show(mine, unit)}, {stable_name} {_show(theirs, unit)}; "
                 f"threshold {check.describe().removeprefix('dry-run ')}"
                 + (f" = {_show(limit, unit)}" if check.relative and limit is not None else ""))
        if check.dry_run:
            lines.append(f"{shown}: {'BREACHED' if over else 'within'} (dry run: reported, not acted on)")
            continue
        lines.append(f"{shown}: {'BREACHED' if over else 'within'}")
        if over and not breach and not inconclusive:
            breach = shown
    return Verdict(new=new, stable=stable, breach=breach, inconclusive=inconclusive, lines=lines)


def _show(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{_num(round(value, 2))}{unit}"


def _num(value: float | None) -> str:
    return "" if value is None else (f"{value:.0f}" if float(value).is_integer() else f"{value:g}")
