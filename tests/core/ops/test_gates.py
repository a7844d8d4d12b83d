"""Gates: a canary paused after a step holds its share, recorded, until promoted or aborted from anywhere."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from emulator.faults import SimulatedCrash
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError, ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.dashboard import dashboard_name
from stacker_ecs.core.ops.gates import GateArgs, abort, promote
from stacker_ecs.core.ops.lookups import AppQuery
from stacker_ecs.core.ops.status import describe_app, format_app
from stacker_ecs.core.ops.unlock import unlock
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, REGION, FakeTime, World, create_alarm
from tests.core.ops.test_dashboard import versions_in


def canary(**extra: Any) -> CutoverArgs:
    return CutoverArgs(app=APP, namespace=NAMESPACE, **{"version": "v2",
        "steps_percent": [10, 50], "bake_seconds": 60, "alarm_names": [ALARM], "pause_after_percent": [10], **extra})


def versions(world: World) -> dict[str, int]:
    names = {world.target_group(v): v for v in world.versions}
    return {names[arn]: weight for arn, weight in world.forward().items()}


def elsewhere(fake_time: FakeTime) -> AwsContext:
    """Another terminal or CI job: its own session (process), the same account."""
    return AwsContext.create(boto3.Session(region_name=REGION), clock=fake_time.clock)


@pytest.fixture
def paused(live_world: World, fake_time: FakeTime) -> dict[str, Any]:
    create_alarm(live_world).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    return cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())


def test_a_pause_ends_the_cutover_holding_its_share_and_status_shows_it_with_both_commands(
        live_world: World, fake_time: FakeTime, paused: dict[str, Any]):
    assert paused["paused"] is True
    assert paused["exit_status"] == 4
    assert paused["message"].startswith("canary of v2 at step 1/2 (10%), started by ")
    assert "promote: `stacker-ecs promote web --namespace ecs-dev`; abort: `stacker-ecs abort web --namespace " \
           "ecs-dev`" in paused["message"]
    assert versions(live_world) == {"v2": 10, "v1": 90}

    status = describe_app(elsewhere(fake_time), NAMESPACE, APP)

    assert status.paused_since == paused["paused_since"] > 0
    assert status.lease == ""  # nothing runs while paused: no process to keep alive
    assert ", paused since " in format_app(status)
    assert "(times out in 86" in status.canary
    assert "stacker-ecs promote web --namespace ecs-dev" in format_app(status)


def test_promote_from_another_job_continues_through_the_next_steps_to_live(live_world: World, fake_time: FakeTime,
                                                                         paused: dict[str, Any]):
    result = promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))

    assert result["message"] == "v2 is live (was v1)"
    assert versions(live_world) == {"v2": 1, "v1": 0}
    assert describe_app(elsewhere(fake_time), NAMESPACE, APP).canary == ""


def test_promote_reads_the_alarms_before_any_traffic_moves(live_world: World, fake_time: FakeTime,
                                                          paused: dict[str, Any]):
    live_world.session.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    with pytest.raises(CanaryRolledBackError, match="alarm web-5xx went off with 10% of traffic on v2; all traffic "
                                                   "is back on v1"):
        promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))

    assert versions(live_world) == {"v1": 1}


def test_abort_puts_back_the_state_recorded_before_the_canary(live_world: World, fake_time: FakeTime,
                                                            paused: dict[str, Any]):
    result = abort(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))

    assert result["message"].endswith("aborted; all traffic is back on v1")
    assert versions(live_world) == {"v1": 1}
    with pytest.raises(AwsStateError, match="nothing to abort: no canary is under way"):
        abort(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))


def test_a_rerun_of_the_pipeline_while_paused_changes_nothing_and_says_it_is_still_paused(
        live_world: World, fake_time: FakeTime, paused: dict[str, Any]):
    again = cutover(elsewhere(fake_time), canary())

    assert again["paused"] is True
    assert again["changed"] is False
    assert versions(live_world) == {"v2": 10, "v1": 90}


def test_a_pause_that_timed_out_is_aborted_by_the_next_look(live_world: World, fake_time: FakeTime):
    create_alarm(live_world)
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary(pause_timeout_seconds=0.001))
    assert "timed out" in describe_app(elsewhere(fake_time), NAMESPACE, APP).canary

    with pytest.raises(CanaryRolledBackError, match=r"the pause of the canary of v2 at step 1/2 \(10%\).* timed out "
                                                   r"after 0s without a promote \(pause_timeout_action: abort\); it "
                                                   r"was aborted and all traffic is back on v1"):
        promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))

    assert versions(live_world) == {"v1": 1}


def test_a_pause_that_timed_out_with_action_promote_continues_on_the_next_rerun(live_world: World,
                                                                               fake_time: FakeTime):
    create_alarm(live_world)
    args = canary(pause_timeout_seconds=0.001, pause_timeout_action="promote")
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args)

    result = cutover(elsewhere(fake_time), args)

    assert result["message"] == "v2 is live (was v1)"
    assert versions(live_world) == {"v2": 1, "v1": 0}


def test_a_promote_killed_before_its_next_step_is_continued_by_the_pipelines_rerun_without_a_second_pause(
        live_world: World, fake_time: FakeTime, paused: dict[str, Any]):
    dying = boto3.Session(region_name=REGION)

    def killed_at_the_next_step(event_name: str, **_: Any) -> None:  # the runner dies: nothing more is sent
        if killed or event_name.endswith(".ModifyRule"):
            killed.append(event_name)
            raise SimulatedCrash(event_name)

    killed: list[str] = []
    dying.events.register("before-call.*.*", killed_at_the_next_step)
    with pytest.raises(SimulatedCrash):
        promote(AwsContext.create(dying, clock=fake_time.clock), GateArgs(app=APP, namespace=NAMESPACE))
    assert versions(live_world) == {"v2": 10, "v1": 90}
    unlock(elsewhere(fake_time), AppQuery(app=APP, namespace=NAMESPACE))  # the operator breaks the dead leases

    result = cutover(elsewhere(fake_time), canary())

    assert result.get("paused") is None, result["message"]  # the promoted 10% step is baked again, not paused
    assert result["message"] == "v2 is live (was v1)"
    assert versions(live_world) == {"v2": 1, "v1": 0}


def test_promote_with_nothing_paused_is_refused(live_world: World, fake_time: FakeTime):
    with pytest.raises(AwsStateError, match="nothing to promote: no canary is recorded"):
        promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))


def test_a_pause_after_a_step_that_is_not_one_is_refused():
    with pytest.raises(ConfigError, match=r"pause_after_percent: \[20\] not in steps_percent \[10, 50\]"):
        parse(CutoverArgs, {"app": APP, "version": "v2", "namespace": NAMESPACE, "steps_percent": [10, 50],
                            "pause_after_percent": [20]}, where="cutover")


def _dashboard(world: World) -> dict[str, Any] | None:
    """Return the app's dashboard body, or None if there is none."""
    cloudwatch = world.session.client("cloudwatch")
    if not cloudwatch.list_dashboards(DashboardNamePrefix=dashboard_name(NAMESPACE, APP))["DashboardEntries"]:
        return None
    return json.loads(cloudwatch.get_dashboard(DashboardName=dashboard_name(NAMESPACE, APP))["DashboardBody"])


def test_abort_rewrites_the_dashboard_for_the_versions_back_in_play(live_world: World, fake_time: FakeTime,
                                                                   paused: dict[str, Any]):
    assert "v2 (canary)" in versions_in(_dashboard(live_world))

    abort(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))

    assert "v1 (live)" in versions_in(_dashboard(live_world))
    assert "v2 (canary)" not in versions_in(_dashboard(live_world))


def test_promote_and_abort_write_no_dashboard_when_it_is_off(live_world: World, fake_time: FakeTime):
    live_world.session.client("cloudwatch").delete_dashboards(DashboardNames=[dashboard_name(NAMESPACE, APP)])
    create_alarm(live_world).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary(dashboard=False))

    promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE, dashboard=False))
    assert versions(live_world) == {"v2": 1, "v1": 0}
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary(version="v1", dashboard=False))
    abort(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE, dashboard=False))

    assert versions(live_world) == {"v2": 1, "v1": 0}
    assert _dashboard(live_world) is None


def test_promote_of_a_running_canary_is_refused_naming_its_runner_while_it_lives(live_world: World,
                                                                               fake_time: FakeTime):
    create_alarm(live_world).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    refusals: list[str] = []

    def promote_during_the_bake(event_name: str, **_: Any) -> None:
        if not refusals and event_name.endswith(".DescribeAlarms") and versions(live_world).get("v2") == 10:
            with pytest.raises(AwsStateError) as refused:
                promote(elsewhere(fake_time), GateArgs(app=APP, namespace=NAMESPACE))
            refusals.append(str(refused.value))

    live_world.session.events.register("before-call.*.*", promote_during_the_bake)
    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary(pause_after_percent=[]))

    assert len(refusals) == 1
    assert "promote refused: another operation holds the app's canary-runner lease" in refusals[0]
    assert result["changed"] is True
    assert versions(live_world) == {"v2": 1, "v1": 0}  # the canary ran on, untouched by the refused promote
