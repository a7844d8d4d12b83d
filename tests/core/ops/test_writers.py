"""One writer per app, and canaries that cannot be fooled: races, crashes, aborts and failed restores.

Races are made deterministic with botocore events: the second operation runs inside a call of the
first (while it holds the lease, or while its canary bakes). A crash is :class:`SimulatedCrash`
raised at a call, as a killed job would stop there (its leases then expire; here they are released
on the way out, which is the state after expiry). Every test reads the listener's weights from the
emulator and checks each operation's outcome and message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulator.calls import CallCounter
from emulator.composite_alarms import CompositeAlarms
from emulator.faults import ErrorInjection, SimulatedCrash, crash_before, inject_errors
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import LeaseHeldError, LeaseLostError
from stacker_ecs.core.errors import AwsStateError, ConfigError, UnhealthyVersionError
from stacker_ecs.core.ops.canary import RestoreFailedError
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.lookups import AppQuery, LiveVersionQuery, find_live_version
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.status import describe_app, format_app
from stacker_ecs.core.ops.unlock import unlock
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, FakeTime, World, create_alarm


def ctx(session: Any, fake_time: FakeTime) -> AwsContext:
    """Return an operation's context on ``session`` (another process's, or this one's) and the fake clock."""
    return AwsContext.create(session, clock=fake_time.clock)


def args(version: str = "v2", **extra: Any) -> CutoverArgs:
    return CutoverArgs(app=APP, version=version, namespace=NAMESPACE, **extra)


def canary(version: str = "v2", **extra: Any) -> CutoverArgs:
    return args(version, **{"steps_percent": [10, 50], "bake_seconds": 60, "alarm_names": [ALARM], **extra})


def traffic(world: World) -> dict[str, int]:
    """Return version -> weight of the live rule, read from the emulator."""
    names = {world.target_group(v): v for v in world.versions}
    return {names.get(arn, arn): weight for arn, weight in world.forward().items()}


def fire_alarm(world: World) -> None:
    world.session.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")


def once_at(world: World, operation: str, action: Callable[[], Any], *,
            when: Callable[[], bool] = lambda: True) -> list[Any]:
    """Run ``action`` once, the first time ``operation`` is called while ``when()``; return what it gave."""
    outcomes: list[Any] = []

    def run(event_name: str, **_: Any) -> None:
        if outcomes or event_name.rsplit(".", 1)[-1] != operation or not when():
            return
        outcomes.append(None)
        try:
            outcomes[0] = action()
        except Exception as exc:
            outcomes[0] = exc

    world.session.events.register("before-call.*.*", run)
    return outcomes


@pytest.fixture
def canary_world(live_world: World, fake_time: FakeTime) -> World:
    """``v1`` live, ``v2`` deployed; ``v4`` deployed and healthy too; the alarm exists and is OK."""
    live_world.deploy_version("v4", 2)
    live_world.sync()
    create_alarm(live_world)
    return live_world


def test_two_cutovers_at_once_one_wins_and_the_other_fails_naming_it(canary_world: World, fake_time: FakeTime):
    second = once_at(canary_world, "DescribeTargetHealth",
                     lambda: cutover(ctx(canary_world.session, fake_time), args("v4", lease_wait_seconds=30)))

    result = cutover(ctx(canary_world.session, fake_time), args("v2"))

    assert result["message"] == "v2 is live (was v1)"
    assert isinstance(second[0], LeaseHeldError)
    assert "cutover refused: another operation holds the app's lease" in str(second[0])
    assert "(cutover v2, since " in str(second[0])
    assert traffic(canary_world) == {"v2": 1, "v1": 0}


def test_a_rollback_racing_a_cutover_is_refused_not_silently_undone(canary_world: World, fake_time: FakeTime):
    racing = once_at(canary_world, "ModifyRule",
                     lambda: rollback(ctx(canary_world.session, fake_time), RollbackArgs(app=APP, namespace=NAMESPACE,
                                                                         lease_wait_seconds=5)))

    cutover(ctx(canary_world.session, fake_time), args("v2"))

    assert isinstance(racing[0], LeaseHeldError)
    assert "rollback refused" in str(racing[0])
    assert traffic(canary_world) == {"v2": 1, "v1": 0}


def test_a_cutover_whose_lease_is_broken_while_it_verifies_stops_before_switching(canary_world: World,
                                                                                fake_time: FakeTime):
    broken = once_at(canary_world, "DescribeTargetHealth",
                     lambda: unlock(ctx(canary_world.session, fake_time), AppQuery(app=APP, namespace=NAMESPACE)))

    with pytest.raises(LeaseLostError, match="the lease of app 'web' was broken or taken over while cutover ran"):
        cutover(ctx(canary_world.session, fake_time), args("v2"))

    assert broken[0]["message"].startswith("broke the lease of ")
    assert traffic(canary_world) == {"v1": 1}


def test_an_immediate_cutover_during_a_canary_bake_is_refused_naming_the_canary(canary_world: World,
                                                                                fake_time: FakeTime):
    during_bake = once_at(canary_world, "DescribeAlarms",
                          lambda: cutover(ctx(canary_world.session, fake_time), args("v4")),
                          when=lambda: traffic(canary_world).get("v2") == 10)

    result = cutover(ctx(canary_world.session, fake_time), canary("v2"))

    assert isinstance(during_bake[0], AwsStateError)
    assert "cutover refused: a canary of v2 at step 1/2 (10%)" in str(during_bake[0])
    assert "roll back to abort it" in str(during_bake[0])
    assert result["message"] == "v2 is live (was v1)"
    assert traffic(canary_world) == {"v2": 1, "v1": 0}


def test_a_second_canary_during_a_canary_is_refused_whatever_its_version(canary_world: World, fake_time: FakeTime):
    other = once_at(canary_world, "DescribeAlarms",
                    lambda: cutover(ctx(canary_world.session, fake_time), canary("v4")),
                    when=lambda: traffic(canary_world).get("v2") == 10)
    same = once_at(canary_world, "DescribeAlarms",
                   lambda: cutover(ctx(canary_world.session, fake_time), canary("v2")),
                   when=lambda: traffic(canary_world).get("v2") == 50)

    cutover(ctx(canary_world.session, fake_time), canary("v2"))

    assert "a canary of v2 at step 1/2 (10%)" in str(other[0])
    assert isinstance(same[0], LeaseHeldError)
    assert "holds the app's canary-runner" in str(same[0])
    assert traffic(canary_world) == {"v2": 1, "v1": 0}


def kill_canary_at(world: World, fake_time: FakeTime, percent: int) -> None:
    """Run a stepped cutover to v2 and crash it (as a kill would) while its step at ``percent`` bakes."""
    crash_before(world.session, "DescribeAlarms", when=lambda: traffic(world).get("v2") == percent)
    with pytest.raises(SimulatedCrash):
        cutover(ctx(world.session, fake_time), canary("v2"))


def test_a_rerun_of_a_canary_killed_at_50_percent_resumes_the_step_and_an_alarm_still_restores(
        canary_world: World, fake_time: FakeTime):
    before = traffic(canary_world)
    kill_canary_at(canary_world, fake_time, 50)
    assert traffic(canary_world) == {"v2": 50, "v1": 50}
    fire_alarm(canary_world)
    rerun = canary_world.session.__class__(region_name="us-east-1")  # the re-run is a new process

    with pytest.raises(UnhealthyVersionError, match="alarm web-5xx went off with 50% of traffic on v2; all "
                                                   "traffic is back on v1"):
        cutover(ctx(rerun, fake_time), canary("v2"))

    assert traffic(canary_world) == before


def test_at_exactly_50_50_the_lookup_and_status_name_the_canary_not_the_arn_order(canary_world: World,
                                                                                 fake_time: FakeTime):
    kill_canary_at(canary_world, fake_time, 50)
    reader = canary_world.session.__class__(region_name="us-east-1")

    live = find_live_version(AwsContext.create(reader), LiveVersionQuery(app=APP, namespace=NAMESPACE))
    status = describe_app(AwsContext.create(reader), NAMESPACE, APP)

    assert live == "v1"
    assert {r.version: r.traffic_percent for r in status.rows if r.traffic_percent} == {"v1": 50, "v2": 50}
    assert status.canary.startswith("canary of v2 at step 2/2 (50%), started by ")
    assert "in progress: canary of v2 at step 2/2 (50%)" in format_app(status)


def test_after_a_kill_at_10_percent_an_alarm_restores_the_recorded_state_not_the_split(
        canary_world: World, fake_time: FakeTime):
    before = traffic(canary_world)
    kill_canary_at(canary_world, fake_time, 10)
    assert traffic(canary_world) == {"v2": 10, "v1": 90}
    fire_alarm(canary_world)
    rerun = canary_world.session.__class__(region_name="us-east-1")

    with pytest.raises(UnhealthyVersionError, match="all traffic is back on v1"):
        cutover(ctx(rerun, fake_time), canary("v2"))

    assert traffic(canary_world) == before == {"v1": 1}


def test_rollback_during_a_canary_aborts_it_restores_the_recorded_state_and_the_canary_stops_within_one_poll(
        canary_world: World, fake_time: FakeTime):
    before = traffic(canary_world)
    aborted_at: list[float] = []

    def abort() -> dict[str, Any]:
        aborted_at.append(fake_time.now())
        return rollback(ctx(canary_world.session, fake_time), RollbackArgs(app=APP, namespace=NAMESPACE))

    aborted = once_at(canary_world, "DescribeAlarms", abort, when=lambda: traffic(canary_world).get("v2") == 10)

    with pytest.raises(UnhealthyVersionError, match=r"canary aborted at step 1 \(aborted by rollback"):
        cutover(ctx(canary_world.session, fake_time), canary("v2"))

    # the bake (60 s) notices at its next poll (10 s apart at most), not at its end
    assert fake_time.now() - aborted_at[0] <= 10, "the runner baked on after its canary was aborted"
    assert aborted[0]["message"].startswith("canary of v2 at step 1/2 (10%), started by ")
    assert aborted[0]["message"].endswith("aborted; all traffic is back on v1")
    assert traffic(canary_world) == before
    assert describe_app(AwsContext.create(canary_world.session), NAMESPACE, APP).canary == ""


def test_a_misspelt_alarm_is_refused_before_any_change(canary_world: World, fake_time: FakeTime):
    counter = CallCounter(canary_world.session)

    with pytest.raises(ConfigError, match="alarm_names: 'web-5xxx' not found in CloudWatch"):
        cutover(ctx(canary_world.session, fake_time), canary("v2", alarm_names=["web-5xxx"]))

    assert counter.mutating() == []
    assert not [k for k in counter.calls if k.startswith("dynamodb.")], "refused before taking the lease"
    assert counter.calls["events.PutEvents"] == 1, "its failure event, for whoever follows the app's events"
    assert traffic(canary_world) == {"v1": 1}


def test_a_composite_alarm_in_alarm_stops_the_canary(canary_world: World, fake_time: FakeTime):
    composite = CompositeAlarms(canary_world.session)
    composite.put("web-health")
    before = traffic(canary_world)
    once_at(canary_world, "DescribeAlarms", lambda: composite.put("web-health", "ALARM"),
            when=lambda: traffic(canary_world).get("v2") == 10)

    with pytest.raises(UnhealthyVersionError, match="alarm web-health went off with 10% of traffic on v2"):
        cutover(ctx(canary_world.session, fake_time), canary("v2", alarm_names=["web-health"]))

    assert traffic(canary_world) == before


def test_the_previous_version_stays_recorded_during_the_steps_so_cleanup_keeps_what_a_restore_needs(
        canary_world: World, fake_time: FakeTime):
    canary_world.make_live("v4", fake_time.clock)  # v4 live, v1 previous
    before = traffic(canary_world)
    assert before == {"v4": 1, "v1": 0}
    cleaned = once_at(canary_world, "DescribeAlarms",
                      lambda: cleanup(ctx(canary_world.session, fake_time), CleanupArgs(app=APP, namespace=NAMESPACE,
                                                                        keep_previous=False, in_flight_hours=0)),
                      when=lambda: traffic(canary_world).get("v2") == 10)
    once_at(canary_world, "DescribeAlarms", lambda: fire_alarm(canary_world),
            when=lambda: traffic(canary_world).get("v2") == 50)

    with pytest.raises(UnhealthyVersionError, match="all traffic is back on v4"):
        cutover(ctx(canary_world.session, fake_time), canary("v2"))

    assert cleaned[0]["deleted"] == []
    assert cleaned[0]["kept"]["v1"].startswith("part of the canary of v2")
    assert {"v1", "v2", "v4"} <= canary_world.version_stacks()
    assert traffic(canary_world) == before


def test_a_restore_refused_past_the_retry_budget_says_where_traffic_is_and_the_next_operation_repairs_it(
        canary_world: World, fake_time: FakeTime, no_retry_waits: None):
    before = traffic(canary_world)

    throttle = inject_errors(canary_world.session, ErrorInjection(code="Throttling", times=10**5, armed=False,
                                                                   operations={"ModifyRule"}))

    def alarm_and_throttle() -> None:
        fire_alarm(canary_world)
        throttle.armed = True

    once_at(canary_world, "DescribeAlarms", alarm_and_throttle, when=lambda: traffic(canary_world).get("v2") == 10)

    with pytest.raises(RestoreFailedError) as failed:
        cutover(ctx(canary_world.session, fake_time), canary("v2"))

    message = str(failed.value)
    assert "putting all traffic back on v1 FAILED" in message
    assert "Traffic now: v1 90%, v2 10%" in message
    assert "run `stacker-ecs rollback web --namespace ecs-dev`" in message
    assert traffic(canary_world) == {"v2": 10, "v1": 90}
    repairer = canary_world.session.__class__(region_name="us-east-1")  # the operator's terminal, no faults
    assert "restore after the canary of v2" in describe_app(AwsContext.create(repairer), NAMESPACE, APP).canary

    result = rollback(ctx(repairer, fake_time), RollbackArgs(app=APP, namespace=NAMESPACE))

    assert result["message"].endswith("aborted; all traffic is back on v1")
    assert traffic(canary_world) == before


def test_the_next_cutover_repairs_a_failed_restore_before_it_does_anything_else(
        canary_world: World, fake_time: FakeTime, no_retry_waits: None):
    throttle = inject_errors(canary_world.session, ErrorInjection(code="Throttling", times=10**5, armed=False,
                                                                   operations={"ModifyRule"}))
    once_at(canary_world, "DescribeAlarms", lambda: (fire_alarm(canary_world), setattr(throttle, "armed", True)),
            when=lambda: traffic(canary_world).get("v2") == 10)
    with pytest.raises(RestoreFailedError):
        cutover(ctx(canary_world.session, fake_time), canary("v2"))
    canary_world.session.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    pipeline = canary_world.session.__class__(region_name="us-east-1")

    result = cutover(ctx(pipeline, fake_time), args("v4"))

    assert result["message"] == "v4 is live (was v1)"
    assert traffic(canary_world) == {"v4": 1, "v1": 0}
