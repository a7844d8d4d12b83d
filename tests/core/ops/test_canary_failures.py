"""A canary's writes under failure: a restore retried far past one retry budget, a refused step that says where
traffic is, and a re-run of a crashed canary that reads its alarms before any traffic moves."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from emulator.faults import ErrorInjection, SimulatedCrash, crash_before, inject_errors
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import LEASE, RUNNER, app_records, try_acquire
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.lookups import AppQuery
from stacker_ecs.core.ops.status import describe_app
from stacker_ecs.core.ops.unlock import unlock
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, REGION, FakeTime, World, create_alarm

pytestmark = pytest.mark.usefixtures("no_retry_waits")  # retries happen, without real back-off or rate waits


def canary() -> CutoverArgs:
    return CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10, 50], bake_seconds=60,
                       alarm_names=[ALARM])


def traffic(world: World) -> dict[str, int]:
    names = {world.target_group(v): v for v in world.versions}
    return {names.get(arn, arn): weight for arn, weight in world.forward().items()}


def kill_after_the_50_percent_write(world: World, fake_time: FakeTime) -> None:
    """Kill the canary right after its 50% write, before the step is recorded; its leases then expire."""
    crash_before(world.session, "UpdateItem", when=lambda: traffic(world).get("v2") == 50)
    with pytest.raises(SimulatedCrash):
        cutover(AwsContext.create(world.session, clock=fake_time.clock), canary())
    unlock(AwsContext.create(boto3.Session(region_name=REGION)), AppQuery(app=APP, namespace=NAMESPACE))
    assert traffic(world) == {"v2": 50, "v1": 50}
    observer = AwsContext.create(boto3.Session(region_name=REGION))
    # status names the step the listener carries, and says the record is behind it
    assert describe_app(observer, NAMESPACE, APP).canary.startswith(
        "canary of v2 at step 2/2 (50%), started by ")
    assert "(recorded at step 1); its runner is gone: re-run the cutover of v2 to resume it" in \
        describe_app(observer, NAMESPACE, APP).canary


def at_percent(world: World, percent: int, action: Any) -> None:
    """Run ``action`` once, at the first alarm read while v2 has ``percent`` of the traffic."""
    done: list[bool] = []

    def run(event_name: str, **_: Any) -> None:
        if not done and event_name.endswith(".DescribeAlarms") and traffic(world).get("v2") == percent:
            done.append(True)
            action()

    world.session.events.register("before-call.*.*", run)


def test_a_restore_throttled_for_five_retry_budgets_keeps_trying_and_puts_all_traffic_back(
        live_world: World, fake_time: FakeTime):
    cloudwatch = create_alarm(live_world)
    throttle = inject_errors(live_world.session, ErrorInjection(code="Throttling", times=50, armed=False,
                                                                 operations={"ModifyRule"}))
    def alarm_and_throttle() -> None:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")
        throttle.armed = True

    at_percent(live_world, 10, alarm_and_throttle)

    with pytest.raises(CanaryRolledBackError, match="all traffic is back on v1"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())

    assert len(throttle.answered) == 50  # four calls' whole budgets (eleven attempts each), then it went through
    assert traffic(live_world) == {"v1": 1}


def test_a_refused_step_says_where_traffic_is_and_the_record_stays_at_the_step_the_listener_carries(
        live_world: World, fake_time: FakeTime):
    create_alarm(live_world)
    throttle = inject_errors(live_world.session, ErrorInjection(code="Throttling", times=11, armed=False,
                                                                 operations={"ModifyRule"}))
    at_percent(live_world, 10, lambda: setattr(throttle, "armed", True))

    with pytest.raises(AwsStateError) as failed:
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())

    message = str(failed.value)
    assert "moving v2 from 10% to 50% of traffic failed: AWS refused ModifyRule for web: Throttling" in message
    assert "Traffic now: v1 90%, v2 10%" in message
    assert "`stacker-ecs abort web --namespace ecs-dev`" in message
    assert traffic(live_world) == {"v2": 10, "v1": 90}
    observer = AwsContext.create(boto3.Session(region_name=REGION))
    assert describe_app(observer, NAMESPACE, APP).canary.startswith("canary of v2 at step 1/2 (10%)")


def rerun_rolled_back(fake_time: FakeTime, *, percent: int) -> list[dict[str, Any]]:
    """Re-run the canary from another process while its alarm fires: it rolls back, naming the share the live rule
    carried; return the listener writes it made."""
    rerun = boto3.Session(region_name=REGION)
    writes: list[dict[str, Any]] = []
    rerun.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule",
                          lambda params, **_: writes.append(params))
    with pytest.raises(CanaryRolledBackError, match=f"alarm web-5xx went off with {percent}% of traffic on v2; all "
                                                   "traffic is back on v1"):
        cutover(AwsContext.create(rerun, clock=fake_time.clock), canary())
    return writes


def test_a_rerun_of_a_canary_killed_between_a_step_and_its_record_reads_the_alarms_before_any_traffic_moves(
        live_world: World, fake_time: FakeTime):
    cloudwatch = create_alarm(live_world)
    kill_after_the_50_percent_write(live_world, fake_time)
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    writes = rerun_rolled_back(fake_time, percent=50)

    assert len(writes) == 1  # the restore, and nothing before it
    assert traffic(live_world) == {"v1": 1}


def test_a_rerun_of_a_canary_killed_before_its_first_step_reads_the_alarms_before_any_traffic_moves(
        live_world: World, fake_time: FakeTime):
    cloudwatch = create_alarm(live_world)
    crash_before(live_world.session, "ModifyRule")  # the plan is recorded, its first step not yet written
    with pytest.raises(SimulatedCrash):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())
    unlock(AwsContext.create(boto3.Session(region_name=REGION)), AppQuery(app=APP, namespace=NAMESPACE))
    assert traffic(live_world) == {"v1": 1}
    observer = AwsContext.create(boto3.Session(region_name=REGION))
    assert describe_app(observer, NAMESPACE, APP).canary.startswith(
        "canary of v2 recorded at step 1/2 (10%), started by ")
    assert "but the live rule carries none of its steps (traffic: v1 100%)" in \
        describe_app(observer, NAMESPACE, APP).canary
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    writes = rerun_rolled_back(fake_time, percent=10)

    assert len(writes) == 1  # the restore: the first step was never written
    assert traffic(live_world) == {"v1": 1}


def test_a_rerun_with_no_alarm_bakes_the_step_the_listener_carries_without_writing_it_again(
        live_world: World, fake_time: FakeTime):
    create_alarm(live_world)
    kill_after_the_50_percent_write(live_world, fake_time)
    rerun = boto3.Session(region_name=REGION)
    writes: list[dict[str, Any]] = []
    rerun.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule",
                          lambda params, **_: writes.append(params))

    result = cutover(AwsContext.create(rerun, clock=fake_time.clock), canary())

    assert result["message"] == "v2 is live (was v1)"
    assert len(writes) == 1  # only the final switch: the 50% step was baked as the listener carried it


def test_unlock_breaks_both_leases_a_killed_canary_left_so_a_rerun_resumes_it_at_once(live_world: World,
                                                                                        fake_time: FakeTime):
    create_alarm(live_world)
    crash_before(live_world.session, "ModifyRule")  # the plan is recorded, its first step not yet written
    with pytest.raises(SimulatedCrash):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())
    observer = AwsContext.create(boto3.Session(region_name=REGION))
    records = app_records(observer, NAMESPACE, APP)
    for kind in (LEASE, RUNNER):  # the killed job's leases, as it left them: an hour before they expire
        assert try_acquire(records, "cutover", "v2", 3600, kind)[0] is not None

    result = unlock(observer, AppQuery(app=APP, namespace=NAMESPACE))

    assert sorted(result["broken"]) == ["canary-runner lease", "lease"]
    assert result["message"].startswith("broke the lease of ")
    assert "the canary-runner lease of " in result["message"]
    assert "still recorded: cut over to v2 again to resume it, or roll back to abort it" in result["message"]
    rerun = cutover(AwsContext.create(boto3.Session(region_name=REGION), clock=fake_time.clock), canary())
    assert rerun["message"] == "v2 is live (was v1)"
    assert traffic(live_world) == {"v2": 1, "v1": 0}


def test_a_canary_killed_right_after_protecting_its_version_recorded_it_first_so_the_restore_unprotects_it(
        live_world: World, fake_time: FakeTime):
    cloudwatch = create_alarm(live_world)
    once = [True]  # the first write to the app's item once v2's stack is protected: the step's lease release
    crash_before(live_world.session, "UpdateItem",
                 when=lambda: live_world.termination_protection("v2") and bool(once and once.pop()))
    with pytest.raises(SimulatedCrash):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), canary())
    assert traffic(live_world) == {"v2": 10, "v1": 90}
    unlock(AwsContext.create(boto3.Session(region_name=REGION)), AppQuery(app=APP, namespace=NAMESPACE))
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    rerun_rolled_back(fake_time, percent=10)

    assert traffic(live_world) == {"v1": 1}
    assert {v for v in live_world.versions if live_world.termination_protection(v)} == {"v1"}, \
        "v2 takes no traffic: the protection the killed run switched on was recorded before, so it came off"
