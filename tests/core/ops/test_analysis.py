"""Canary analysis from metrics: each step judged by the load balancer's per-target-group numbers.

The emulator's :class:`Traffic` sends the app's requests by the live rule's weights and publishes
what the ALB would (``emulator/traffic.py``); tests set how each version's tasks answer.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from emulator.calls import CallCounter
from emulator.traffic import Traffic
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import CanaryRolledBackError, ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.analysis import MetricCheck, Sample, judge, parse_check
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, REGION, FakeTime, World, create_alarm


def traffic_of(world: World, fake_time: FakeTime, requests_per_minute: float = 600) -> Traffic:
    """The app's users, passing with the fake clock (their own session: not counted as the code's calls)."""
    return Traffic(boto3.Session(region_name=REGION), world.listener_arn,
                   requests_per_minute=requests_per_minute).attach(fake_time)


def canary(**extra: Any) -> CutoverArgs:
    return CutoverArgs(app=APP, version="v2", namespace=NAMESPACE,
                       **{"steps_percent": [10, 50], "bake_seconds": 300, "min_requests": 20, **extra})


def versions(world: World) -> dict[str, int]:
    names = {world.target_group(v): v for v in world.versions}
    return {names[arn]: weight for arn, weight in world.forward().items()}


def test_a_5xx_ratio_above_its_threshold_aborts_the_canary_with_no_alarm_naming_both_values(
        live_world: World, fake_time: FakeTime):
    users = traffic_of(live_world, fake_time)
    users.answer(live_world.target_group("v2"), error_percent=20)
    before = versions(live_world)

    with pytest.raises(CanaryRolledBackError) as stopped:
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                canary(metric_checks=["5xx_percent <= 1"]))

    message = str(stopped.value)
    assert re.search(r"metric 5xx_percent: v2 (19|20)(\.[0-9]+)?%, v1 0%; threshold 5xx_percent <= 1, with 10% of "
                     r"traffic on v2; all traffic is back on v1", message), message
    assert versions(live_world) == before


def test_a_relative_latency_threshold_names_the_stable_value_and_the_threshold_it_makes(
        live_world: World, fake_time: FakeTime):
    users = traffic_of(live_world, fake_time)
    users.answer(live_world.target_group("v2"), tail_latency_ms=400)

    with pytest.raises(CanaryRolledBackError, match=r"metric p99_ms: v2 400 ms, v1 90 ms; threshold p99_ms <= "
                                                    r"1.5x stable = 135 ms, with 10% of traffic"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                canary(metric_checks=["p95_ms <= stable + 20", "p99_ms <= 1.5x stable"]))

    assert versions(live_world) == {"v1": 1}


def test_a_dry_run_metric_that_breaches_is_reported_at_each_step_and_never_acted_on(
        live_world: World, fake_time: FakeTime, caplog: pytest.LogCaptureFixture):
    users = traffic_of(live_world, fake_time)
    users.answer(live_world.target_group("v2"), tail_latency_ms=400)
    caplog.set_level("INFO", logger="stacker_ecs")

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                     canary(metric_checks=["dry-run p99_ms <= 300", "5xx_percent <= 1"]))

    assert result["message"] == "v2 is live (was v1)"
    assert [a["percent"] for a in result["analysis"]] == [10, 50]
    for step in result["analysis"]:
        assert step["breach"] == ""
        assert step["checks"][0] == ("metric p99_ms: v2 400 ms, v1 90 ms; threshold p99_ms <= 300: BREACHED "
                                     "(dry run: reported, not acted on)")
    assert sum("BREACHED (dry run" in r.getMessage() for r in caplog.records) == 2
    assert versions(live_world) == {"v2": 1, "v1": 0}


def test_too_few_requests_with_policy_fail_restores_and_says_the_step_is_inconclusive(
        live_world: World, fake_time: FakeTime):
    traffic_of(live_world, fake_time, requests_per_minute=10)

    with pytest.raises(CanaryRolledBackError, match=r"the 10% step is inconclusive: v2 served [0-9]+ requests, "
                                                    r"fewer than min_requests 20; all traffic is back on v1"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                canary(metric_checks=["5xx_percent <= 1"], inconclusive_policy="fail"))

    assert versions(live_world) == {"v1": 1}


def test_too_few_requests_with_policy_wait_bakes_longer_until_the_step_can_be_judged(
        live_world: World, fake_time: FakeTime):
    traffic_of(live_world, fake_time, requests_per_minute=60)  # 10% of 60/min: 6 a minute, 20 after ~4 min

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                     canary(metric_checks=["5xx_percent <= 1"], bake_seconds=120))

    first = [a for a in result["analysis"] if a["step"] == 1]
    assert first[0]["inconclusive"].startswith("v2 served")
    assert first[-1]["inconclusive"] == ""
    assert first[-1]["new"]["requests"] >= 20
    assert result["changed"] is True
    assert fake_time.waited > 240


def test_an_inconclusive_step_that_never_gets_its_requests_fails_after_the_wait(live_world: World,
                                                                               fake_time: FakeTime):
    traffic_of(live_world, fake_time, requests_per_minute=0)

    with pytest.raises(CanaryRolledBackError, match=r"inconclusive after baking 180s longer: v2 served 0 requests"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                canary(metric_checks=["5xx_percent <= 1"], inconclusive_wait_seconds=180))


def test_alarms_keep_working_beside_the_metrics(live_world: World, fake_time: FakeTime):
    traffic_of(live_world, fake_time)
    cloudwatch = create_alarm(live_world)
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")

    def fire(params: dict[str, Any], **_: Any) -> None:
        if params["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["Weight"] == 50:
            cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    live_world.session.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule", fire)

    with pytest.raises(CanaryRolledBackError, match="alarm web-5xx went off with 50% of traffic on v2"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                canary(metric_checks=["5xx_percent <= 1"], alarm_names=[ALARM]))


def test_each_step_reads_the_metrics_in_one_call_whatever_the_number_of_versions(live_world: World,
                                                                                fake_time: FakeTime):
    for extra in ("v5", "v6", "v7"):
        live_world.deploy_version(extra, 1)
    live_world.sync()
    traffic_of(live_world, fake_time)
    counter = CallCounter(live_world.session)

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary(metric_checks=["5xx_percent <= 1"]))

    assert counter.calls["cloudwatch.GetMetricData"] == 2  # one per step


@pytest.mark.parametrize(("text", "check"), [
    ("5xx_percent <= 1", MetricCheck("5xx_percent", limit=1)),
    ("p99_ms <= 1.5x stable", MetricCheck("p99_ms", ratio=1.5)),
    ("  p95_ms <=  stable + 100 ", MetricCheck("p95_ms", plus=100)),
    ("dry-run p99_ms <= 300", MetricCheck("p99_ms", limit=300, dry_run=True)),
])
def test_checks_are_read_from_their_text(text: str, check: MetricCheck):
    assert parse_check(text) == check
    assert parse_check(check.describe()) == check


@pytest.mark.parametrize(("checks", "problem"), [
    (["p99 < 300"], "'p99 < 300' is not a metric check; write e.g. '5xx_percent <= 1'"),
    (["latency_ms <= 3"], "'latency_ms <= 3' names metric 'latency_ms'; known: 5xx_percent, p95_ms"),
    (["p99_ms <= 1.2.3"], "'p99_ms <= 1.2.3' has a malformed number"),
])
def test_a_malformed_check_is_refused_before_any_change_naming_what_to_write(checks: list[str], problem: str):
    with pytest.raises(ConfigError, match="metric_checks") as refused:
        parse(CutoverArgs, {"app": APP, "version": "v2", "namespace": NAMESPACE, "steps_percent": [10],
                            "metric_checks": checks}, where="cutover")
    assert problem in str(refused.value)


def test_metric_checks_without_steps_are_refused():
    with pytest.raises(ConfigError, match="metric_checks: judged at each step of a stepped cutover; set "
                                          "steps_percent too"):
        parse(CutoverArgs, {"app": APP, "version": "v2", "namespace": NAMESPACE,
                            "metric_checks": ["5xx_percent <= 1"]}, where="cutover")


@pytest.mark.parametrize(("new", "stable", "breach", "inconclusive"), [
    (Sample(100, 0), Sample(900, 0), "", ""),
    (Sample(100, 2), Sample(900, 0), "5xx_percent", ""),
    (Sample(10, 5), Sample(900, 0), "", "v2 served 10 requests"),
    (Sample(100, 0), Sample(10, 0), "", "v1 served 10 requests"),  # the relative check needs the stable numbers
    (Sample(100, 1), Sample(900, 0), "", ""),  # 1% is within '<= 1' and '<= stable + 1' (0% + 1)
    (Sample(200, 1), Sample(900, 0), "", ""),  # 0.5% is within 'stable + 1' (0% + 1, not 0% x 1)
])
def test_judge_table(new: Sample, stable: Sample, breach: str, inconclusive: str):
    checks = [parse_check("5xx_percent <= 1"), parse_check("5xx_percent <= stable + 1")]
    verdict = judge(checks, new, stable, min_requests=50, versions=("v2", "v1"))
    assert (verdict.breach.split(":")[0].removeprefix("metric ") if verdict.breach else "") == breach
    assert verdict.inconclusive.startswith(inconclusive)


def test_absolute_checks_judge_a_late_step_whose_stable_version_served_few_requests():
    """At 90% the stable version serves little; only a relative check needs its numbers."""
    checks = [parse_check("5xx_percent <= 1"), parse_check("dry-run p99_ms <= 1.5x stable")]

    verdict = judge(checks, Sample(900, 27), Sample(10, 0), min_requests=50, versions=("v2", "v1"))

    assert verdict.inconclusive == ""
    assert verdict.breach.startswith("metric 5xx_percent: v2 3%, v1 0%")
