"""Play the app's users and the load balancer's metrics: what CloudWatch shows per target group.

An ALB publishes, per target group (namespace ``AWS/ApplicationELB``, dimensions ``TargetGroup``
and ``LoadBalancer``, each the final portion of its ARN, as AWS names them), ``RequestCount``,
``HTTPCode_Target_5XX_Count`` and ``TargetResponseTime`` (seconds, one value per request), once a
period and only for periods with requests. :class:`Traffic` does that for one app: requests arrive
at ``requests_per_minute``, split by the live rule's weights as read at each pass; each target
group answers as a test sets it (:meth:`Traffic.answer`: a share of 5xx, a typical and a tail
latency). A period is published once it is over, as CloudWatch shows a minute only after it ends.

In-process, :meth:`Traffic.attach` makes it pass with a fake clock's sleeps; next to a process (the
real CLIs), :meth:`Traffic.running` passes in a thread on the real clock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

NAMESPACE = "AWS/ApplicationELB"


@dataclass(frozen=True)
class Answers:
    """How a target group's tasks answer."""

    error_percent: float = 0.0
    latency_ms: float = 40.0
    tail_latency_ms: float = 90.0
    tail_percent: float = 2.0
    """This share of requests takes ``tail_latency_ms`` (so p99 is the tail, p95 the typical latency)."""


@dataclass
class _Bucket:
    requests: float = 0.0


@dataclass
class Traffic:
    """Requests to one app's live host, and the per-target-group metrics the load balancer publishes."""

    session: boto3.Session
    listener_arn: str
    requests_per_minute: float = 600.0
    period_seconds: int = 60
    """60 as CloudWatch's standard resolution; end-to-end runs on the real clock use 1."""
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    then: Any = None
    """What else passes with the clock (the ECS agent): synced after each pass."""
    answers: dict[str, Answers] = field(default_factory=dict)
    _last: datetime | None = None
    _buckets: dict[tuple[datetime, str], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clients: dict[str, Any] = field(default_factory=dict)
    _balancer_name: str = ""

    def answer(self, target_group_arn: str, **answers: Any) -> None:
        """Make the tasks behind ``target_group_arn`` answer so (see :class:`Answers`)."""
        self.answers[target_group_arn] = Answers(**answers)

    def attach(self, fake_time: Any) -> Traffic:
        """Pass whenever ``fake_time`` sleeps (before its ECS agent), on its wall clock."""
        self.wall, self.then, fake_time.agent = fake_time.wall, fake_time.agent, self
        return self

    def sync(self) -> None:
        """One pass: count the requests since the last pass by the live rule's weights; publish ended periods."""
        with self._lock:
            now = self.wall()
            if self._last is not None and now > self._last:
                self._count(self._last, now, self._weights())
            self._last = now
            self._publish(now)
        if self.then is not None:
            self.then.sync()

    def _weights(self) -> dict[str, float]:
        rules = self._client("elbv2").describe_rules(ListenerArn=self.listener_arn, PageSize=400)["Rules"]
        for rule in rules:
            if rule.get("IsDefault") or rule["Priority"] != "50000":
                continue
            for action in rule.get("Actions", []):
                groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
                total = sum(g.get("Weight", 1) for g in groups)
                if total:
                    return {g["TargetGroupArn"]: g.get("Weight", 1) / total for g in groups}
        return {}

    def _period_start(self, moment: datetime) -> datetime:
        epoch = int(moment.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.period_seconds, UTC)

    def _count(self, start: datetime, end: datetime, weights: dict[str, float]) -> None:
        moment = start
        while moment < end:
            period = self._period_start(moment)
            upto = min(end, period + timedelta(seconds=self.period_seconds))
            requests = self.requests_per_minute * (upto - moment).total_seconds() / 60
            for arn, share in weights.items():
                self._buckets.setdefault((period, arn), _Bucket()).requests += requests * share
            moment = upto

    def _publish(self, now: datetime) -> None:
        ended = [key for key in self._buckets if key[0] + timedelta(seconds=self.period_seconds) <= now]
        cloudwatch = self._client("cloudwatch")
        balancer = self._balancer()
        for period, arn in sorted(ended):
            count = round(self._buckets.pop((period, arn)).requests)
            if count:
                cloudwatch.put_metric_data(Namespace=NAMESPACE,
                                           MetricData=self._data(period, arn, balancer, count))

    def _client(self, service: str) -> Any:
        """Return this app's client of ``service``, made once (a pass runs often: each new client costs ~10 ms)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def _balancer(self) -> str:
        """Return the listener's load balancer (a listener never moves to another one), read once."""
        if not self._balancer_name:
            listener = self._client("elbv2").describe_listeners(ListenerArns=[self.listener_arn])["Listeners"][0]
            self._balancer_name = listener["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
        return self._balancer_name

    def _data(self, period: datetime, arn: str, balancer: str, count: int) -> list[dict[str, Any]]:
        answers = self.answers.get(arn, Answers())
        dims = [{"Name": "TargetGroup", "Value": arn.split(":", 5)[-1]}, {"Name": "LoadBalancer", "Value": balancer}]
        errors = round(count * answers.error_percent / 100)
        tail = max(round(count * answers.tail_percent / 100), 1 if answers.tail_percent else 0)
        common = {"Dimensions": dims, "Timestamp": period}
        data = [{"MetricName": "RequestCount", "Value": count, "Unit": "Count", **common},
                {"MetricName": "TargetResponseTime", "Unit": "Seconds", **common,
                 "Values": [answers.latency_ms / 1000, answers.tail_latency_ms / 1000],
                 "Counts": [max(count - tail, 0), min(tail, count)]}]
        if errors:
            data.append({"MetricName": "HTTPCode_Target_5XX_Count", "Value": errors, "Unit": "Count", **common})
        return data

    @contextlib.contextmanager
    def running(self, interval_seconds: float = 0.2) -> Iterator[Traffic]:
        """Pass every ``interval_seconds`` in a background thread while the block runs (real clock)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                with contextlib.suppress(Exception):  # the server may be busy; the next pass counts it
                    self.sync()
                stop.wait(interval_seconds)

        thread = threading.Thread(target=loop, name="traffic", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=10)
