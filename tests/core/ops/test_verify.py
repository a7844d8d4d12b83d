"""verify_health: a deployed version has its healthy targets, or the hook fails fast and says why."""

from __future__ import annotations

import pytest

from emulator.faults import ErrorInjection, inject_errors
from emulator.stubs import answer_once
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, HealthTimeoutError, UnhealthyVersionError
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World, deploy_live


def args(version: str, **extra) -> VerifyHealthArgs:
    """Return the hook's arguments for ``version`` of ``web``."""
    return VerifyHealthArgs(app=APP, version=version, namespace=NAMESPACE, **extra)


def test_version_that_is_healthy_already_is_verified_without_waiting(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 2)
    world.sync()

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1"))

    assert result == {"app": APP, "version": "v1", "healthy": 2, "expected": 2, "waited_seconds": 0.0,
                      "target_group_arn": world.target_group("v1")}
    assert fake_time.sleeps == []


def test_version_becomes_healthy_when_the_agent_registers_targets_a_few_polls_later(world: World):
    world.deploy_version("v1", 2)
    fake_time = FakeTime(world.agent, agent_after_seconds=1)

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1"))

    assert result["healthy"] == 2
    assert len(fake_time.sleeps) == 3
    assert result["waited_seconds"] == round(fake_time.waited, 1)
    assert fake_time.waited < 2


def test_expected_count_overrides_the_desired_count(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 3)
    world.sync()

    aws = AwsContext.create(world.session, clock=fake_time.clock)
    assert verify_health(aws, args("v1", expected_count=2))["expected"] == 2


def test_broken_version_fails_fast_naming_cannot_pull_container_error(world: World, fake_time: FakeTime):
    world.deploy_version("v3")

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", timeout_seconds=600))

    error = caught.value
    assert not isinstance(error, HealthTimeoutError)
    assert "CannotPullContainerError" in str(error)
    assert "3 tasks stopped before becoming healthy" in error.cause
    assert (error.app, error.version) == (APP, "v3")
    assert len(fake_time.sleeps) <= 3
    assert fake_time.waited < 5


def test_timeout_with_no_targets_explains_targets_and_service(world: World):
    world.deploy_version("v1")
    fake_time = FakeTime(agent=None)  # ECS never starts a task

    with pytest.raises(HealthTimeoutError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", timeout_seconds=30))

    message = str(caught.value)
    assert message.startswith("web/v1: only 0/1 targets healthy after 30s (timeout 30s)")
    assert "raise timeout_seconds" in message
    assert "\n  no targets registered in the target group" in message
    assert "\n  service web_v1: desired 1, running 0, pending " in message
    assert fake_time.waited == 30


def test_unhealthy_targets_fail_at_once_with_their_reason(world: World, fake_time: FakeTime):
    # moto reports every registered target healthy: the one DescribeTargetHealth answer comes from a Stubber.
    world.deploy_version("v1")
    unhealthy = {"TargetHealthDescriptions": [{
        "Target": {"Id": "10.42.200.1", "Port": 32768},
        "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                         "Description": "Health checks failed with these codes: [404]"}}]}

    aws = AwsContext.create(world.session, clock=fake_time.clock)
    with answer_once(aws.client("elbv2"), "DescribeTargetHealth", unhealthy,
                     {"TargetGroupArn": world.target_group("v1")}), \
            pytest.raises(UnhealthyVersionError) as caught:
        verify_health(aws, args("v1"))

    message = str(caught.value)
    assert "all 1 targets failed their health checks: Target.ResponseCodeMismatch" in message
    assert "check the health-check path" in message
    assert "target 10.42.200.1:32768 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these " \
           "codes: [404])" in message
    assert fake_time.sleeps == []


def test_version_that_was_never_deployed_is_refused_naming_its_stack(world: World, fake_time: FakeTime):
    with pytest.raises(AwsStateError, match="no version stack 'ecs-dev-app-web-V-v9'; deploy the version first"):
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v9"))


def test_version_whose_service_is_gone_is_refused(world: World, fake_time: FakeTime):
    world.deploy_version("v1")
    world.session.client("ecs").delete_service(cluster=world.cluster_name, service="web_v1", force=True)

    with pytest.raises(AwsStateError, match="no ECS service web_v1 in cluster"):
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1"))


def test_a_new_version_at_zero_tasks_is_scaled_to_the_live_count_then_verified(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 2)
    world.sync()
    world.make_live("v1", fake_time.clock)
    world.deploy_version("v2", 0)

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v2", start_count=1))

    assert (result["healthy"], result["expected"]) == (2, 2)
    assert world.desired_count("v2") == 2


def test_a_new_version_while_nothing_is_live_starts_at_start_count(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 0)

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", start_count=3))

    assert result["healthy"] == 3
    assert world.desired_count("v1") == 3


def test_start_count_never_scales_a_version_down(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 3)
    world.sync()

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", start_count=1))

    assert (result["healthy"], result["expected"]) == (3, 3)
    assert world.desired_count("v1") == 3


def test_a_version_below_its_start_count_is_raised_to_it_while_nothing_is_live(world: World, fake_time: FakeTime):
    world.deploy_version("v1", 1)  # e.g. an autoscaled version, raised to its minimum (1) by its scalable target
    world.sync()

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", start_count=4))

    assert (result["healthy"], result["expected"]) == (4, 4)
    assert world.desired_count("v1") == 4


def test_a_broken_new_version_fails_naming_the_cause_once_its_tasks_are_started(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 0)
    world.sync()  # ECS starts nothing for a service at 0 tasks: no failure yet

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", start_count=1))

    assert "CannotPullContainerError" in caught.value.cause
    assert fake_time.waited < 5


def test_verifying_again_after_the_image_is_pushed_ignores_the_earlier_failures(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 0)
    with pytest.raises(UnhealthyVersionError):
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", start_count=1))
    world.agent.broken.discard(naming.service_name(APP, "v3"))  # the missing image is pushed

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", start_count=1))

    assert result["healthy"] == 1


def test_a_version_still_broken_on_a_second_verify_fails_on_the_new_failures(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 0)
    with pytest.raises(UnhealthyVersionError):
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", start_count=1))

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock),
                      args("v3", start_count=1, timeout_seconds=600))

    assert not isinstance(caught.value, HealthTimeoutError)
    assert "CannotPullContainerError" in caught.value.cause


def scalable_target(world: World, version: str) -> dict:
    """Return a version's scalable target (Application Auto Scaling)."""
    (found,) = world.session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{world.cluster_name}/{naming.service_name(APP, version)}"]
    )["ScalableTargets"]
    return found


def autoscale(world: World, version: str) -> None:
    """Tag ``version``'s service autoscaled, as CloudFormation does from its template (moto drops service tags)."""
    world.session.client("ecs").tag_resource(resourceArn=world.service(version)["serviceArn"],
                                             tags=[{"key": "stacker-ecs:autoscaling", "value": "on"}])


def test_a_failed_verify_scales_the_version_and_its_autoscaling_minimum_back_to_zero(world: World,
                                                                                  fake_time: FakeTime, caplog):
    world.deploy_version("v3", 0, Autoscaling=True, AutoscalingMaxCapacity=4)
    autoscale(world, "v3")

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3", start_count=2))

    assert "CannotPullContainerError" in caught.value.cause
    assert caught.value.details[0] == "scaled web/v3 back to 0 tasks (and its autoscaling minimum to 0)"
    assert world.desired_count("v3") == 0
    assert (scalable_target(world, "v3")["MinCapacity"], scalable_target(world, "v3")["MaxCapacity"]) == (0, 4)
    assert "web/v3: scaled web/v3 back to 0 tasks" in caplog.text
    stopped = len(world.session.client("ecs").list_tasks(cluster=world.cluster_name, serviceName="web_v3",
                                                         desiredStatus="STOPPED")["taskArns"])
    for _ in range(12):  # ECS would keep relaunching a service that wants tasks; at 0 it starts none
        world.sync()
    assert len(world.session.client("ecs").list_tasks(cluster=world.cluster_name, serviceName="web_v3",
                                                      desiredStatus="STOPPED")["taskArns"]) == stopped


def test_a_version_scaled_back_after_a_failure_is_verified_again_once_fixed(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 0)
    aws = AwsContext.create(world.session, clock=fake_time.clock)
    with pytest.raises(UnhealthyVersionError):
        verify_health(aws, args("v3", start_count=1))
    assert world.desired_count("v3") == 0
    world.agent.broken.discard(naming.service_name(APP, "v3"))  # the missing image is pushed

    with pytest.raises(AwsStateError, match=r"web_v3 runs 0 tasks .*verify it with start_count"):
        verify_health(aws, args("v3"))
    assert verify_health(aws, args("v3", start_count=1))["healthy"] == 1


def test_a_live_version_that_fails_a_verify_again_is_left_running_and_the_error_says_why(live_world: World,
                                                                                        fake_time: FakeTime):
    live_world.agent.faults[naming.service_name(APP, "v1")] = "unhealthy"  # its health checks now answer 404
    live_world.sync()

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(live_world.session, clock=fake_time.clock), args("v1", start_count=1))

    assert "all 2 targets failed their health checks: Target.ResponseCodeMismatch" in caught.value.cause
    assert caught.value.details[0] == "left web/v1 running: it is the live version (traffic: v1 100%)"
    assert live_world.desired_count("v1") == 2


def test_a_canary_version_that_fails_a_verify_is_left_running(live_world: World, fake_time: FakeTime):
    live_world.set_forward({"v1": 90, "v2": 10})
    live_world.agent.faults[naming.service_name(APP, "v2")] = "unhealthy"
    live_world.sync()

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(live_world.session, clock=fake_time.clock), args("v2"))

    assert caught.value.details[0] == ("left web/v2 running: it takes part of the traffic (a stepped cutover) "
                                       "(traffic: v1 90%, v2 10%)")
    assert live_world.desired_count("v2") == 1


def test_a_failed_scale_down_still_reports_the_failure_and_says_what_to_run(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 1)
    aws = AwsContext.create(world.session, clock=fake_time.clock)
    inject_errors(world.session, ErrorInjection("AccessDeniedException", operations={"UpdateService"}))

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(aws, args("v3", start_count=1))

    assert "CannotPullContainerError" in caught.value.cause
    note = caught.value.details[0]
    assert note.startswith("scaling web/v3 back to 0 tasks failed (AWS refused UpdateService for web/v3: "
                           "AccessDeniedException")
    assert note.endswith(f"then `aws ecs update-service --cluster {world.cluster_name} --service web_v3 "
                         "--desired-count 0`")
    assert world.desired_count("v3") == 1


def test_an_autoscaled_new_version_is_verified_at_the_live_count_not_its_minimum(world: World, fake_time: FakeTime):
    deploy_live(world, fake_time, live_count=3, new=None)
    world.deploy_version("v2", 0, Autoscaling=True, AutoscalingMaxCapacity=4)
    autoscale(world, "v2")
    world.sync()
    assert (world.desired_count("v2"), world.healthy_targets("v2")) == (1, 1)  # its scalable target's minimum

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v2", start_count=1))

    assert (result["healthy"], result["expected"]) == (3, 3)
    assert world.desired_count("v2") == 3
    assert scalable_target(world, "v2")["MinCapacity"] == 3  # target tracking does not scale it back in


def test_a_live_version_verified_again_is_never_scaled(world: World, fake_time: FakeTime):
    deploy_live(world, fake_time, live_count=2, new=None)

    result = verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", start_count=4))

    assert (result["healthy"], result["expected"]) == (2, 2)
    assert world.desired_count("v1") == 2


def serve_other_zones(world: World) -> list[str]:
    """Move the app's load balancer to two zones the cluster's subnets are not in; return those zones."""
    ec2, elbv2 = world.session.client("ec2"), world.session.client("elbv2")
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][2:4]
    subnets = [ec2.create_subnet(VpcId=world.cluster["VpcId"], CidrBlock=f"10.42.{30 + i}.0/24",
                                 AvailabilityZone=zone)["Subnet"]["SubnetId"] for i, zone in enumerate(zones)]
    balancer = elbv2.describe_listeners(ListenerArns=[world.listener_arn])["Listeners"][0]["LoadBalancerArn"]
    elbv2.set_subnets(LoadBalancerArn=balancer, Subnets=subnets)
    return zones


def test_targets_in_zones_the_load_balancer_does_not_serve_end_verify_at_once_naming_both_sides(
        world: World, fake_time: FakeTime):
    served = serve_other_zones(world)
    world.deploy_version("v1", 2)
    world.sync()

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1"))

    cause = caught.value.cause
    assert not isinstance(caught.value, HealthTimeoutError)
    assert cause.startswith("2 of 2 targets can never serve: Target.NotInUse: Target is in an Availability Zone that "
                            "is not enabled for the load balancer; the tasks' subnets subnet-")
    cluster_zones = {s["AvailabilityZone"] for s in world.session.client("ec2").describe_subnets(
        SubnetIds=world.cluster["Subnets"].split(","))["Subnets"]}
    assert all(f"({zone})" in cause for zone in cluster_zones)
    assert cause.endswith(f"does not serve (it serves {', '.join(served)}): give the cluster stack Subnets in "
                          f"{', '.join(served)}, or enable {', '.join(sorted(cluster_zones))} on the load balancer "
                          "(a subnet of each in the application stack's Subnets)")
    assert fake_time.sleeps == []
    assert world.desired_count("v1") == 0


def test_a_new_version_whose_targets_turn_up_unused_fails_in_the_poll_that_sees_them(world: World,
                                                                                    fake_time: FakeTime):
    serve_other_zones(world)
    world.deploy_version("v1", 0)

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v1", start_count=2))

    assert "targets can never serve: Target.NotInUse" in caught.value.cause
    assert len(fake_time.sleeps) == 1  # the agent registers the targets during the first sleep


def test_a_failed_version_is_left_running_when_the_listener_cannot_be_read(world: World, fake_time: FakeTime):
    world.deploy_version("v3", 1)
    inject_errors(world.session, ErrorInjection("AccessDeniedException", times=10, operations={"DescribeRules"}))

    with pytest.raises(UnhealthyVersionError) as caught:
        verify_health(AwsContext.create(world.session, clock=fake_time.clock), args("v3"))

    assert "CannotPullContainerError" in caught.value.cause
    note = caught.value.details[0]
    assert note.startswith("left web/v3 running: the listener could not be read to rule out that it takes traffic "
                           "(AWS refused DescribeRules")
    assert "if it takes none, run: `aws application-autoscaling register-scalable-target" in note
    assert world.desired_count("v3") == 1
