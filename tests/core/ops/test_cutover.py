"""cutover: scale the new version to the live size, verify it, switch the listener once; never to an unhealthy one."""

from __future__ import annotations

import pytest

from emulator.calls import CallCounter
from emulator.faults import SimulatedCrash, crash_before
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.errors import AwsStateError, HealthTimeoutError, UnhealthyVersionError
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.protection import PROTECTED
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def args(version: str, **extra) -> CutoverArgs:
    """Return the hook's arguments for ``version`` of ``web``."""
    return CutoverArgs(app=APP, version=version, namespace=NAMESPACE, **extra)


def ecs_starts_tasks_at_once(world: World) -> None:
    """Make ECS (the agent) start and register tasks the moment a desired count changes."""
    world.session.events.register("after-call.ecs.UpdateService", lambda **_: world.sync())


def test_cutover_scales_the_new_version_to_the_live_count_verifies_it_switches_and_protects_both(
        live_world: World, fake_time: FakeTime):
    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert result == {"app": APP, "version": "v2", "previous": "v1", "changed": True, "dry_run": False,
                      "desired_count": 2, "healthy": 2, "message": "v2 is live (was v1)",
                      "protected": ["v1", "v2"], "unprotected": []}
    assert live_world.live_version() == "v2"
    assert live_world.forward() == {live_world.target_group("v2"): 1, live_world.target_group("v1"): 0}
    assert live_world.desired_count("v2") == 2
    assert live_world.healthy_targets("v2") == 2
    assert live_world.desired_count("v1") == 2, "the old version keeps running for an instant rollback"
    assert live_world.termination_protection("v2")
    assert live_world.termination_protection("v1")


def test_cutover_happy_path_costs_at_most_eight_calls_when_tasks_start_at_once(live_world: World, fake_time: FakeTime):
    ecs_starts_tasks_at_once(live_world)
    counter = CallCounter(live_world.session)

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert counter.dashboard() == 1, counter.calls  # the app's dashboard follows the switch
    # six, and termination protection of the live and previous versions
    assert counter.total - counter.coordination() - counter.dashboard() <= 8, counter.calls
    # the lease and its records, 3: take it, fence before the switch (with the versions about to be protected),
    # release (with when v2 went live and the protection done); AWS's time comes from the first answer (the
    # started event), so the table is not read for it. The history entry (counter, entry: 2), the started and
    # succeeded events (2)
    assert counter.coordination() == 7, counter.calls
    assert counter.calls["dynamodb.UpdateItem"] == 3 + 1, "take, fence, release; the history's counter"
    assert "dynamodb.DescribeTable" not in counter.calls
    assert counter.mutating() == ["cloudformation.UpdateTerminationProtection", "ecs.UpdateService",
                                  "elbv2.ModifyRule"]
    assert fake_time.sleeps == []


def test_the_fence_before_the_switch_records_the_versions_to_protect_so_a_crash_after_it_is_finished_by_a_rerun(
        live_world: World, fake_time: FakeTime):
    ecs_starts_tasks_at_once(live_world)
    crashes = [True]  # the first switch only
    crash_before(live_world.session, "ModifyRule", when=lambda: bool(crashes and crashes.pop()))
    aws = AwsContext.create(live_world.session, clock=fake_time.clock)

    with pytest.raises(SimulatedCrash):
        cutover(aws, args("v2"))

    assert live_world.live_version() == "v1", "the crash came before the switch"
    record = app_records(aws, NAMESPACE, APP).read().doc(PROTECTED)
    assert record["pending"], "recorded by the fence, before any switch"
    assert {"v1", "v2"} <= set(record["versions"])

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert live_world.live_version() == "v2"
    assert live_world.termination_protection("v1")
    assert live_world.termination_protection("v2")
    assert app_records(aws, NAMESPACE, APP).read().doc(PROTECTED) == {"versions": ["v1", "v2"]}


def v2_live_and_v4_deployed(live_world: World, fake_time: FakeTime) -> None:
    """v2 live, v1 its previous version (both protected), v4 deployed beside them."""
    ecs_starts_tasks_at_once(live_world)
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))
    live_world.deploy_version("v4", 2)
    live_world.sync()


def test_a_cutover_killed_before_it_unprotects_the_old_previous_version_is_finished_by_a_rerun(
        live_world: World, fake_time: FakeTime):
    v2_live_and_v4_deployed(live_world, fake_time)
    once = [True]  # the first protection switch after the live rule forwards to v4
    crash_before(live_world.session, "UpdateTerminationProtection",
                 when=lambda: live_world.live_version() == "v4" and bool(once and once.pop()))

    with pytest.raises(SimulatedCrash):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v4"))
    assert live_world.termination_protection("v1"), "killed before it took v1's protection away"

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v4"))

    protected = {v for v in live_world.version_stacks() if live_world.termination_protection(v)}
    assert protected == {"v2", "v4"}, "v1 takes no traffic: the fence's record named it, so the re-run unprotects it"


def test_a_cutover_after_the_previous_versions_stack_was_deleted_by_hand_switches_and_names_no_failure(
        live_world: World, fake_time: FakeTime):
    v2_live_and_v4_deployed(live_world, fake_time)
    live_world.delete_version_out_of_band("v1")  # still recorded as protected by the suite

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v4"))

    assert result["message"] == "v4 is live (was v2)"
    assert (result["protected"], result["unprotected"]) == (["v2", "v4"], [])
    assert live_world.live_version() == "v4"
    assert app_records(AwsContext.create(live_world.session), NAMESPACE, APP).read().doc(PROTECTED) == {
        "versions": ["v2", "v4"]}


def test_cutover_costs_at_most_three_more_calls_per_poll_while_tasks_start(live_world: World, fake_time: FakeTime):
    counter = CallCounter(live_world.session)

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert len(fake_time.sleeps) >= 1
    assert counter.total - counter.coordination() - counter.dashboard() <= 8 + 3 * len(fake_time.sleeps), counter.calls


def test_first_cutover_switches_from_the_no_live_version_response(world: World, fake_time: FakeTime):
    world.deploy_version("v1")
    world.sync()

    result = cutover(AwsContext.create(world.session, clock=fake_time.clock), args("v1"))

    assert (result["changed"], result["previous"], result["desired_count"]) == (True, None, 1)
    assert world.forward() == {world.target_group("v1"): 1}


def test_cutover_never_scales_a_bigger_new_version_down(live_world: World, fake_time: FakeTime):
    live_world.set_desired_count("v2", 3)
    live_world.sync()

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert result["desired_count"] == 2
    assert live_world.desired_count("v2") == 3


def test_rerun_for_the_live_version_is_a_no_op_that_says_already_live(live_world: World, fake_time: FakeTime):
    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))
    counter = CallCounter(live_world.session)

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert result["changed"] is False
    assert result["message"] == "v2 is already live"
    assert result["previous"] == "v1"
    assert counter.total - counter.coordination() <= 2, counter.calls
    assert counter.mutating() == []


def test_unknown_version_is_refused_listing_the_known_ones(live_world: World, fake_time: FakeTime):
    counter = CallCounter(live_world.session)

    with pytest.raises(AwsStateError) as caught:
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v9"))

    assert str(caught.value) == ("web/v9: unknown version: the listener has no rule for v9 (versions: v1, v2); "
                                 "deploy it first, or check the spelling")
    assert counter.mutating() == []
    assert live_world.live_version() == "v1"


def test_version_whose_service_is_gone_is_refused_before_any_change(live_world: World, fake_time: FakeTime):
    live_world.session.client("ecs").delete_service(cluster=live_world.cluster_name, service="web_v2", force=True)
    counter = CallCounter(live_world.session)

    with pytest.raises(AwsStateError, match=r"no ECS service web_v2 in cluster .*deploy the version again"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert counter.mutating() == []
    assert live_world.live_version() == "v1"


def test_unknown_app_is_refused_naming_the_application_stack(world: World, fake_time: FakeTime):
    with pytest.raises(AwsStateError, match="no application stack 'ecs-dev-app-api'"):
        cutover(AwsContext.create(world.session, clock=fake_time.clock), CutoverArgs(app="api", version="v1",
                                                                                     namespace=NAMESPACE))


def test_broken_version_is_refused_and_the_listener_still_forwards_to_the_old_one(live_world: World,
                                                                                   fake_time: FakeTime):
    live_world.deploy_version("v3")

    with pytest.raises(UnhealthyVersionError) as caught:
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v3"))

    message = str(caught.value)
    assert message.startswith("web/v3: cutover refused, v1 stays live: 3 tasks stopped before becoming healthy")
    assert "CannotPullContainerError" in message
    assert live_world.live_version() == "v1"
    assert live_world.forward() == {live_world.target_group("v1"): 1}
    assert fake_time.waited < 5, "fails fast, not at the timeout"


def test_version_that_stays_unhealthy_until_the_timeout_is_refused_and_a_rerun_finishes_the_job(
        live_world: World):
    stalled = FakeTime(agent=None)  # ECS starts nothing while the cutover waits

    with pytest.raises(HealthTimeoutError, match="cutover refused, v1 stays live: only 1/2 targets healthy"):
        cutover(AwsContext.create(live_world.session, clock=stalled.clock), args("v2", timeout_seconds=60))
    assert live_world.live_version() == "v1"

    live_world.sync()
    result = cutover(AwsContext.create(live_world.session, clock=FakeTime(agent=None).clock), args("v2",
                                                                                                   timeout_seconds=60))
    assert result["changed"] is True
    assert live_world.live_version() == "v2"


def test_dry_run_changes_nothing_and_says_what_it_would_do(live_world: World, fake_time: FakeTime):
    before = live_world.forward()
    counter = CallCounter(live_world.session)

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2", dry_run=True))

    assert result["message"] == "dry run: would make v2 live"
    assert (result["changed"], result["dry_run"], result["desired_count"]) == (False, True, 2)
    assert counter.mutating() == []
    assert live_world.forward() == before
    assert live_world.desired_count("v2") == 1
    assert fake_time.sleeps == []


def test_force_switches_even_when_the_version_is_not_healthy(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v3")
    counter = CallCounter(live_world.session)

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v3", force=True))

    assert result["changed"] is True
    assert "healthy" not in result
    assert live_world.live_version() == "v3"
    assert live_world.desired_count("v3") == 2
    assert "elbv2.DescribeTargetHealth" not in counter.calls


def test_autoscaled_version_gets_its_minimum_capacity_raised_so_scaling_does_not_undo_the_scale_up(
        live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v4", 1, Autoscaling=True)
    # moto drops the tags CloudFormation gives an ECS service (and skips the ScalableTarget resource):
    # tag the very service the stack created, as CloudFormation would have.
    service_arn = live_world.service("v4")["serviceArn"]
    live_world.session.client("ecs").tag_resource(
        resourceArn=service_arn, tags=[{"key": "stacker-ecs:autoscaling", "value": "on"}])
    live_world.sync()
    counter = CallCounter(live_world.session)

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v4"))

    assert counter.calls["application-autoscaling.RegisterScalableTarget"] == 1
    (scalable,) = live_world.session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{live_world.cluster_name}/web_v4"])["ScalableTargets"]
    assert scalable["MinCapacity"] == 2
    assert live_world.desired_count("v4") == 2
    assert live_world.live_version() == "v4"


def test_version_without_autoscaling_is_scaled_without_touching_application_autoscaling(live_world: World,
                                                                                         fake_time: FakeTime):
    counter = CallCounter(live_world.session)

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert not any(call.startswith("application-autoscaling.") for call in counter.calls)


def test_cutover_is_not_refused_for_tasks_that_failed_before_the_version_became_healthy(live_world: World,
                                                                                        fake_time: FakeTime):
    live_world.deploy_version("v3")
    live_world.sync()  # the image is not pushed yet: three tasks stop with CannotPullContainerError
    live_world.agent.broken.clear()  # the image arrives; ECS starts the task
    live_world.sync()
    assert live_world.healthy_targets("v3") == 1

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v3"))

    assert result["changed"] is True


def test_an_autoscaling_maximum_below_the_live_count_is_raised_with_the_minimum(live_world: World,
                                                                               fake_time: FakeTime):
    # (Application Auto Scaling refuses a minimum above the maximum)
    live_world.deploy_version("v4", 1, Autoscaling=True, AutoscalingMaxCapacity=1)
    service_arn = live_world.service("v4")["serviceArn"]
    live_world.session.client("ecs").tag_resource(
        resourceArn=service_arn, tags=[{"key": "stacker-ecs:autoscaling", "value": "on"}])
    scaling = live_world.session.client("application-autoscaling")
    resource_id = f"service/{live_world.cluster_name}/{naming.service_name(APP, 'v4')}"
    # the template's ScalableTarget, which moto skips
    scaling.register_scalable_target(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
                                     ResourceId=resource_id, MinCapacity=1, MaxCapacity=1)
    live_world.sync()

    cutover(AwsContext.create(live_world.session, clock=fake_time.clock), args("v4"))

    (scalable,) = scaling.describe_scalable_targets(ServiceNamespace="ecs",
                                                    ResourceIds=[resource_id])["ScalableTargets"]
    assert (scalable["MinCapacity"], scalable["MaxCapacity"]) == (2, 2)
    assert live_world.live_version() == "v4"
