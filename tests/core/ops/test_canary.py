"""Stepped cutover: weighted traffic steps, each baked while alarms are watched; an alarm puts it all back."""

from __future__ import annotations

from typing import Any

import pytest

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, ConfigError, UnhealthyVersionError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.canary_plan import CanaryPlan
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.listener import describe_traffic, shares
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, FakeTime, World, create_alarm


def args(**overrides: Any) -> CutoverArgs:
    return CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, **overrides)


def record_switches(world: World) -> list[dict[str, int]]:
    """Return a list that fills with each write of the live rule's weights, by version."""
    names = {world.target_group(v): v for v in world.versions}
    switches: list[dict[str, int]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        groups = params["Actions"][0]["ForwardConfig"]["TargetGroups"]
        switches.append({names[g["TargetGroupArn"]]: g["Weight"] for g in groups})

    world.session.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule", record)
    return switches


def test_stepped_cutover_moves_traffic_in_steps_baking_each_then_switches(live_world: World, fake_time: FakeTime):
    switches = record_switches(live_world)
    create_alarm(live_world)

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                     args(steps_percent=[10, 50], bake_seconds=300, alarm_names=[ALARM]))

    assert result["changed"] is True
    assert switches == [{"v2": 10, "v1": 90}, {"v2": 50, "v1": 50}, {"v2": 1, "v1": 0}]
    assert live_world.live_version() == "v2"
    assert fake_time.waited >= 600  # two bakes of five minutes, on the fake clock
    assert (live_world.termination_protection("v2"), live_world.termination_protection("v1")) == (True, True), \
        "the new live version and the previous one both take (or may take back) traffic: neither can be deleted"


def test_an_alarm_during_a_step_puts_all_traffic_back_and_fails_naming_it(live_world: World, fake_time: FakeTime):
    before = live_world.forward()
    cloudwatch = create_alarm(live_world)
    switches = record_switches(live_world)

    def alarm_at_fifty_percent(params: dict[str, Any], **_: Any) -> None:
        if params["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["Weight"] == 50:
            cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx above 10")

    live_world.session.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule",
                                       alarm_at_fifty_percent)

    with pytest.raises(UnhealthyVersionError, match="alarm web-5xx went off with 50% of traffic on v2; all "
                                                   "traffic is back on v1"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                args(steps_percent=[10, 50], bake_seconds=60, alarm_names=[ALARM]))

    assert live_world.forward() == before
    assert live_world.live_version() == "v1"
    assert len(switches) == 3  # 10%, 50%, then back
    assert (live_world.termination_protection("v2"), live_world.termination_protection("v1")) == (False, True), \
        "the canary's version was protected while it took traffic, and is not once all traffic is back"


def test_a_split_no_canary_explains_refuses_a_stepped_cutover_and_an_immediate_one_settles_it(
        live_world: World, fake_time: FakeTime):
    # given someone split the traffic by hand: there is no recorded state to restore on an alarm
    live_world.set_forward({"v2": 60, "v1": 40})

    with pytest.raises(AwsStateError, match=r"traffic is split \(v2 60%, v1 40%\) and no canary is recorded"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args(steps_percent=[10, 50]))
    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args())

    assert result["changed"] is True
    assert live_world.forward() == {live_world.target_group("v2"): 1, live_world.target_group("v1"): 0}


def test_an_alarm_already_in_alarm_refuses_the_stepped_cutover_before_any_traffic_moves(live_world: World,
                                                                                         fake_time: FakeTime):
    before = live_world.forward()
    create_alarm(live_world).set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")
    switches = record_switches(live_world)

    with pytest.raises(UnhealthyVersionError, match="alarm web-5xx is already in ALARM; no traffic was moved"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                args(steps_percent=[10], bake_seconds=60, alarm_names=[ALARM]))

    assert switches == []
    assert live_world.forward() == before


@pytest.mark.parametrize("steps", [[50, 10], [0, 50], [10, 100], [10, 10]], ids=str)
def test_steps_must_be_rising_percentages_between_1_and_99(steps: list[int]):
    with pytest.raises(ConfigError, match=r"steps_percent: .* rising list of percentages between 1 and 99"):
        parse(CutoverArgs, {"app": APP, "version": "v2", "namespace": NAMESPACE, "steps_percent": steps},
              where="hook cutover")


PLAN = CanaryPlan(version="v2", target_group_arn="tg2", before={"tg1": 1, "tg0": 0}, live_version="v1",
                  versions={"tg0": "v0", "tg1": "v1", "tg2": "v2"}, steps_percent=[10, 50], step=0,
                  alarm_names=[ALARM], bake_seconds=60, started_by="ci #7", started_at=1.0)


@pytest.mark.parametrize(("step", "weights"), [
    (0, {"tg2": 10, "tg1": 90, "tg0": 0}),
    (1, {"tg2": 50, "tg1": 50, "tg0": 0}),
])
def test_each_step_keeps_every_target_group_the_restore_needs(step: int, weights: dict[str, int]):
    assert PLAN.weights(step) == weights


def test_a_plan_round_trips_through_its_stored_document():
    assert CanaryPlan.from_doc(PLAN.to_doc()) == PLAN


@pytest.mark.parametrize(("weights", "expected"), [
    ({"tg1": 1, "tg0": 0}, "v1 100%"),
    ({"tg2": 10, "tg1": 90, "tg0": 0}, "v1 90%, v2 10%"),
    ({"tg2": 50, "tg1": 50}, "v2 50%, v1 50%"),
    ({}, "nothing"),
])
def test_traffic_is_described_by_share_highest_first(weights: dict[str, int], expected: str):
    assert describe_traffic(weights, PLAN.versions) == expected
    assert sum(shares(weights, PLAN.versions).values()) in (0, 100)
