"""Waiting for healthy targets: done at once when they are there, fail fast and say why when they never will be."""

from __future__ import annotations

import logging

import pytest

from emulator.calls import CallCounter
from emulator.stubs import answer_once
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import HealthTimeoutError, UnhealthyVersionError
from stacker_ecs.core.ops.health import (
    EcsState,
    HealthReport,
    explain,
    failure_cause,
    is_failure,
    read_ecs_state,
    wait_for_healthy,
)
from stacker_ecs.core.ops.version_target import VersionTarget
from tests.core.ops.conftest import APP, FakeTime, World


def target_of(world: World, version: str) -> VersionTarget:
    """Return where a deployed version's health is read."""
    outputs = world.versions[version]
    return VersionTarget(app=APP, version=version, cluster=outputs["ClusterName"], service=outputs["ServiceName"],
                         target_group_arn=outputs["TargetGroupArn"])


def target(state: str, reason: str = "", description: str = "", ident: str = "10.0.0.1") -> dict:
    """Return a DescribeTargetHealth entry."""
    health = {"State": state}
    if reason:
        health.update(Reason=reason, Description=description)
    return {"Target": {"Id": ident, "Port": 32768}, "TargetHealth": health}


def stopped_task(reason: str, *containers: tuple[str, str]) -> dict:
    """Return a DescribeTasks entry of a task that stopped."""
    return {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/cluster/0123abcd", "stoppedReason": reason,
            "group": "service:web_v1", "containers": [{"name": n, "reason": r} for n, r in containers]}


SERVICE = {"serviceName": "web_v1", "desiredCount": 2, "runningCount": 0, "pendingCount": 2,
           "deployments": [{"rolloutState": "IN_PROGRESS"}],
           "events": [{"createdAt": "2026-01-01T00:00:00", "message": "(service web_v1) has started 2 tasks"}]}
PULL = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"


@pytest.mark.parametrize(("targets", "ecs", "expected", "cause"), [
    ([], EcsState(service=None, failed_tasks=[]), 1, "its ECS service does not exist"),
    ([], EcsState(service={**SERVICE, "deployments": [{"rolloutState": "FAILED", "rolloutStateReason": "tasks "
                                                       "failed to start"}]}, failed_tasks=[]), 1,
     "ECS failed the deployment (circuit breaker): tasks failed to start"),
    ([], EcsState(service={**SERVICE, "deployments": [{"rolloutState": "FAILED"}]}, failed_tasks=[]), 1,
     "circuit breaker): no reason given"),
    ([], EcsState(service=SERVICE, failed_tasks=[stopped_task(PULL)] * 3), 2,
     f"3 tasks stopped before becoming healthy: {PULL}; fix the image"),
    ([], EcsState(service=SERVICE, failed_tasks=[stopped_task("Essential container in task exited",
                                                              ("web", "exit code 1"))] * 3), 2,
     "Essential container in task exited / web: exit code 1"),
    ([target("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")] * 2,
     EcsState(service=SERVICE, failed_tasks=[]), 2,
     "all 2 targets failed their health checks: Target.ResponseCodeMismatch: Health checks failed with these "
     "codes: [404]; check the health-check path"),
    ([target("unhealthy", "Target.Timeout", "Request timed out")], EcsState(service=SERVICE, failed_tasks=[]), 2,
     None),
    ([target("initial", "Elb.RegistrationInProgress")], EcsState(service=SERVICE, failed_tasks=[]), 1, None),
    ([], EcsState(service=SERVICE, failed_tasks=[stopped_task(PULL)] * 2), 2, None),
    ([], EcsState(service=SERVICE, failed_tasks=[]), 2, None),
], ids=["no-service", "circuit-breaker", "circuit-breaker-no-reason", "pull-error", "container-exit",
        "all-unhealthy", "some-unhealthy", "registering", "too-few-stopped", "just-starting"])
def test_failure_cause_names_what_is_already_known_to_be_wrong(targets, ecs, expected, cause):
    healthy = sum(1 for t in targets if t["TargetHealth"]["State"] == "healthy")

    found = failure_cause(HealthReport(healthy=healthy, targets=targets), ecs, expected, max_failed_tasks=3)

    if cause is None:
        assert found is None
    else:
        assert cause in found


def test_explain_lists_targets_stop_reasons_the_service_and_its_recent_events():
    report = HealthReport(healthy=1, targets=[target("healthy", ident="10.0.0.1"),
                                              target("unhealthy", "Target.Timeout", "Request timed out", "10.0.0.2")])
    ecs = EcsState(service=SERVICE, failed_tasks=[stopped_task(PULL)])

    assert explain(report, ecs) == [
        "target 10.0.0.1:32768 healthy",
        "target 10.0.0.2:32768 unhealthy (Target.Timeout: Request timed out)",
        f"stopped task 0123abcd: {PULL}",
        "service web_v1: desired 2, running 0, pending 2",
        "event 2026-01-01T00:00:00: (service web_v1) has started 2 tasks",
    ]


def test_explain_says_so_when_no_target_is_registered():
    assert explain(HealthReport(healthy=0, targets=[]), EcsState(service=None, failed_tasks=[])) == [
        "no targets registered in the target group"]


def test_wait_returns_at_once_with_one_call_when_enough_targets_are_healthy(world: World):
    world.deploy_version("v1", 2)
    world.sync()
    fake_time = FakeTime(agent=None)
    counter = CallCounter(world.session)

    report = wait_for_healthy(AwsContext.create(world.session, clock=fake_time.clock), target_of(world, "v1"), 2,
                              timeout_seconds=60)

    assert report.healthy == 2
    assert counter.calls == {"elbv2.DescribeTargetHealth": 1}
    assert fake_time.sleeps == []


def test_wait_polls_at_growing_intervals_capped_at_two_seconds_and_stops_at_the_deadline(world: World):
    world.deploy_version("v1")
    fake_time = FakeTime(agent=None)

    with pytest.raises(HealthTimeoutError):
        wait_for_healthy(AwsContext.create(world.session, clock=fake_time.clock), target_of(world, "v1"), 1,
                         timeout_seconds=10)

    assert fake_time.sleeps[:4] == [0.25, 0.375, 0.5625, 0.84375]
    assert max(fake_time.sleeps) == 2.0
    assert fake_time.waited == 10


def test_wait_logs_a_progress_line_only_when_something_changed(world: World, caplog):
    world.deploy_version("v1", 2)
    fake_time = FakeTime(world.agent, agent_after_seconds=3)

    with caplog.at_level(logging.INFO, logger="stacker_ecs.core.ops"):
        wait_for_healthy(AwsContext.create(world.session, clock=fake_time.clock), target_of(world, "v1"), 2,
                         timeout_seconds=60)

    lines = [r.getMessage() for r in caplog.records if r.name == "stacker_ecs.core.ops"]
    assert len(fake_time.sleeps) > 3
    assert lines == ["web/v1: 0/2 targets healthy after 0s",
                     f"web/v1: 2/2 targets healthy after {fake_time.waited:.0f}s"]


def test_wait_fails_at_the_first_poll_when_the_service_is_gone(world: World):
    world.deploy_version("v1")
    world.session.client("ecs").delete_service(cluster=world.cluster_name, service="web_v1", force=True)
    fake_time = FakeTime(agent=None)

    with pytest.raises(UnhealthyVersionError, match="its ECS service does not exist"):
        wait_for_healthy(AwsContext.create(world.session, clock=fake_time.clock), target_of(world, "v1"), 1,
                         timeout_seconds=60)

    assert fake_time.sleeps == []


def test_wait_fails_at_the_first_poll_when_the_circuit_breaker_failed_the_deployment(world: World):
    # moto has no deployment circuit breaker: the one DescribeServices answer comes from a Stubber.
    world.deploy_version("v1")
    version = target_of(world, "v1")
    failed = {"services": [{
        "serviceName": "web_v1", "status": "ACTIVE", "desiredCount": 1, "runningCount": 0, "pendingCount": 0,
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "FAILED",
                         "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."}],
        "events": []}]}
    fake_time = FakeTime(agent=None)

    aws = AwsContext.create(world.session, clock=fake_time.clock)
    with answer_once(aws.client("ecs"), "DescribeServices", failed,
                     {"cluster": version.cluster, "services": [version.service]}), \
            pytest.raises(UnhealthyVersionError) as caught:
        wait_for_healthy(aws, version, 1, timeout_seconds=60)

    assert "ECS failed the deployment (circuit breaker): ECS deployment circuit breaker: tasks failed to start" \
        in str(caught.value)
    assert str(caught.value).startswith("web/v1: ")
    assert fake_time.sleeps == []


def test_stopped_tasks_of_scaling_and_of_other_services_are_not_failures(world: World):
    world.deploy_version("v1")
    world.deploy_version("v3")
    world.sync()  # v3 is broken: its three tasks stop with CannotPullContainerError
    ecs = world.session.client("ecs")
    (failing_definition,) = ecs.list_task_definitions(familyPrefix="emulator-failing-task")["taskDefinitionArns"]
    network = {"subnets": [world.seeded.private_subnets.split(",")[0]],
               "securityGroups": [world.cluster["ContainerSecurityGroupId"]]}
    task = ecs.run_task(cluster=world.cluster_name, taskDefinition=failing_definition, launchType="FARGATE",
                        group="service:web_v1", networkConfiguration={"awsvpcConfiguration": network})["tasks"][0]
    ecs.stop_task(cluster=world.cluster_name, task=task["taskArn"], reason="Scaling activity initiated by (deployment)")

    assert read_ecs_state(AwsContext.create(world.session), target_of(world, "v1")).failed_tasks == []
    assert len(read_ecs_state(AwsContext.create(world.session), target_of(world, "v3")).failed_tasks) == 3


@pytest.mark.parametrize(("stop_code", "reason", "failure"), [
    ("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group arn:aws:...:targetgroup/web-v2/1)",
     True),
    ("ServiceSchedulerInitiated", "Task failed container health checks", True),
    ("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/123)", False),
    ("TerminationNotice", "Your Spot Task was interrupted.", False),
    ("SpotInterruption", "Your Spot Task was interrupted.", False),
    ("UserInitiated", "Task stopped by user", False),
    ("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s)", True),
    ("EssentialContainerExited", "Essential container in task exited", True),
], ids=["elb-health", "container-health", "scale-in", "termination-notice", "spot", "user", "pull", "exit"])
def test_stopped_tasks_are_classified_by_reason_before_code(stop_code: str, reason: str, failure: bool):
    assert is_failure({"stopCode": stop_code, "stoppedReason": reason}) is failure
