"""``diagnose`` names the true cause first, with its fix, in a bounded number of AWS calls."""

from __future__ import annotations

import pytest

from emulator.calls import CallCounter
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.ops.diagnose import DiagnoseArgs, diagnose
from stacker_ecs.core.ops.diagnose_findings import format_diagnosis
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from tests.core.ops.conftest import APP, NAMESPACE, deploy_live

MAX_CALLS = 22


def _start(world, aws, version: str) -> None:
    """Deploy ``version`` at 0 tasks and run verify as the pipeline would (it fails for a broken version)."""
    world.deploy_version(version, 0)
    args = VerifyHealthArgs(app=APP, version=version, namespace=NAMESPACE, start_count=1, timeout_seconds=60)
    with pytest.raises(StackerEcsError):
        verify_health(aws, args)


def _diagnose(world, version: str | None = "v4"):
    aws = AwsContext.create(world.session)
    counter = CallCounter(world.session)
    result = diagnose(aws, DiagnoseArgs(app=APP, version=version, namespace=NAMESPACE))
    assert counter.total == result.aws_calls, dict(counter.calls)
    assert result.aws_calls <= MAX_CALLS + (0 if version else 1 + len(world.version_stacks()))
    return result


def test_an_image_that_cannot_be_pulled_is_the_first_finding(world, fake_time, aws):
    deploy_live(world, fake_time, new=None)
    world.agent.broken.add(naming.service_name(APP, "v4"))
    _start(world, aws, "v4")
    result = _diagnose(world)
    first = result.findings[0]
    assert first.severity == "cause"
    assert "image cannot be pulled" in first.summary
    assert "CannotPullContainerError" in first.summary
    assert "push nginx:1" in first.fix
    assert any("CannotPullContainerError" in line for line in result.sections["logs"])


def test_a_container_that_exits_1_shows_its_last_log_line(world, fake_time, aws):
    deploy_live(world, fake_time, new=None)
    world.agent.faults[naming.service_name(APP, "v4")] = "crash"
    _start(world, aws, "v4")
    first = _diagnose(world).findings[0]
    assert "container web exited 1" in first.summary
    assert "'exiting with status 1'" in first.summary


def test_a_wrong_health_check_path_shows_the_targets_reasons(world, fake_time, aws):
    deploy_live(world, fake_time, new=None)
    world.agent.faults[naming.service_name(APP, "v4")] = "unhealthy"
    _start(world, aws, "v4")
    result = _diagnose(world)
    first = result.findings[0]
    assert first.place == "target group"
    assert "Target.ResponseCodeMismatch" in first.summary
    assert "HTTP /health" in first.summary
    assert "HealthCheckPath" in first.fix
    assert "metrics" in format_diagnosis(result)


def test_no_capacity_shows_pending_tasks_and_the_instances_free_memory(world, fake_time, aws):
    deploy_live(world, fake_time, new=None)
    world.agent.faults[naming.service_name(APP, "v4")] = "no-capacity"
    world.deploy_version("v4", 0)
    args = VerifyHealthArgs(app=APP, version="v4", namespace=NAMESPACE, start_count=1, timeout_seconds=30)
    with pytest.raises(StackerEcsError):
        verify_health(aws, args)
    first = _diagnose(world).findings[0]
    assert first.place == "cluster"
    assert "tasks waiting for capacity" in first.summary
    assert "insufficient memory" in first.summary
    assert "128 MiB" in first.summary


def test_a_stack_that_failed_to_create_shows_its_failed_event(world, fake_time):
    deploy_live(world, fake_time, new=None)
    world.agent.broken.add(naming.service_name(APP, "v3"))
    from emulator.aws_like import circuit_breaker

    circuit_breaker.UNSTARTABLE.add(naming.service_name(APP, "v3"))
    try:
        with pytest.raises(AssertionError):
            world.deploy_version("v3", 2)  # the breaker fails the service: ROLLBACK_COMPLETE
    finally:
        circuit_breaker.UNSTARTABLE.discard(naming.service_name(APP, "v3"))
    first = _diagnose(world, "v3").findings[0]
    assert first.place == "cloudformation"
    assert "ROLLBACK_COMPLETE" in first.summary
    assert "Circuit Breaker" in first.summary
    # a stack that failed to create can only be deleted: stacker's --recreate-failed does that, cleanup keeps
    # a version this new (it may be about to go live)
    assert first.fix.startswith("fix what the reason names, then deploy web/v3 again: stacker needs --recreate-failed")
    assert "cleanup" not in first.fix


@pytest.mark.parametrize(("status", "fix"), [
    ("UPDATE_ROLLBACK_COMPLETE", "the stack is back on its previous template: fix what the reason names and deploy "
                                 "web/v4 again"),
    ("UPDATE_ROLLBACK_FAILED", "fix what the reason names, then `aws cloudformation continue-update-rollback "
                               "--stack-name ecs-dev-app-web-V-v4` and deploy web/v4 again"),
    ("DELETE_FAILED", "fix what the reason names (a resource still in use or protected), then delete "
                      "ecs-dev-app-web-V-v4 again; CloudFormation's delete may retain the resources that failed"),
])
def test_a_failed_update_or_delete_is_fixed_its_own_way_not_by_recreating_the_stack(status, fix):
    from stacker_ecs.core.ops.diagnose import _Look
    from stacker_ecs.core.ops.diagnose_findings import find_all

    name = naming.version_stack(NAMESPACE, APP, "v4")
    events = [{"LogicalResourceId": "TargetGroup", "ResourceStatus": status.split("_")[0] + "_FAILED",
               "ResourceStatusReason": "Resource handler returned message: invalid"}]
    look = _Look(app=APP, version="v4", role="", namespace=NAMESPACE, state=None, log_lines=5,
                 app_stack={"StackName": naming.application_stack(NAMESPACE, APP), "StackStatus": "UPDATE_COMPLETE"},
                 stack={"StackName": name, "StackStatus": status}, events={name: events})
    (first,) = find_all(look)
    assert first.summary == f"stack {name} is {status}: TargetGroup failed: Resource handler returned message: invalid"
    assert first.fix == fix


def test_a_stack_whose_create_failed_is_explained_by_its_first_failure_not_the_cancellations_after_it():
    from stacker_ecs.core.ops.diagnose import _Look
    from stacker_ecs.core.ops.diagnose_findings import find_all

    name = naming.version_stack(NAMESPACE, APP, "v4")
    events = [  # DescribeStackEvents: newest first
        {"LogicalResourceId": name, "ResourceStatus": "ROLLBACK_IN_PROGRESS",
         "ResourceStatusReason": "The following resource(s) failed to create: [HostRule, Service]."},
        {"LogicalResourceId": "HostRule", "ResourceStatus": "CREATE_FAILED",
         "ResourceStatusReason": "Resource creation cancelled"},
        {"LogicalResourceId": "Service", "ResourceStatus": "CREATE_FAILED",
         "ResourceStatusReason": "Resource handler returned message: subnet-0 does not exist"}]
    look = _Look(app=APP, version="v4", role="", namespace=NAMESPACE, state=None, log_lines=5,
                 app_stack={"StackName": naming.application_stack(NAMESPACE, APP), "StackStatus": "UPDATE_COMPLETE"},
                 stack={"StackName": name, "StackStatus": "ROLLBACK_COMPLETE"}, events={name: events})

    (first,) = find_all(look)

    assert first.summary == (f"stack {name} is ROLLBACK_COMPLETE: Service failed: Resource handler returned message: "
                             "subnet-0 does not exist")


def test_the_default_version_is_the_newest_not_live_and_a_healthy_one_says_so(live_world):
    result = _diagnose(live_world, None)
    assert result.version == "v2"
    assert result.findings[0].severity == "info"
    assert "no fault found" in result.findings[0].summary
    assert set(result.metrics) == {"v1", "v2"}
    assert result.metrics["v1"]["cpu"] is not None


def test_a_failed_verify_ends_with_the_short_findings_and_the_diagnose_command(world, fake_time, aws):
    deploy_live(world, fake_time, new=None)
    world.agent.faults[naming.service_name(APP, "v4")] = "crash"
    world.deploy_version("v4", 0)
    args = VerifyHealthArgs(app=APP, version="v4", namespace=NAMESPACE, start_count=1, timeout_seconds=60)
    with pytest.raises(StackerEcsError) as failed:
        verify_health(aws, args)
    message = str(failed.value)
    assert "diagnose: 3 tasks stopped: container web exited 1" in message
    assert message.endswith(f"see everything: stacker-ecs diagnose web v4 --namespace {NAMESPACE}")


def test_a_version_scaled_back_to_zero_points_at_the_failed_verify_not_at_a_new_start(world, fake_time):
    deploy_live(world, fake_time, new=None)
    world.deploy_version("v4", 0)
    # ECS stops a service's tasks when it is scaled in, as a failed verify does (the agent runs none)
    ecs = world.session.client("ecs")
    definition = ecs.register_task_definition(
        family="scaled-in", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx:1", "memory": 256}])["taskDefinition"]
    cluster = world.cluster_name
    network = {"awsvpcConfiguration": {"subnets": world.seeded.private_subnets.split(",")[:1],
                                       "securityGroups": [world.cluster[contract.CONTAINER_SECURITY_GROUP_ID]]}}
    for _ in range(2):
        task = ecs.run_task(cluster=cluster, taskDefinition=definition["taskDefinitionArn"], launchType="FARGATE",
                            group=f"service:{naming.service_name(APP, 'v4')}", networkConfiguration=network)["tasks"][0]
        ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="Scaling activity initiated by (deployment 1)")

    first = _diagnose(world).findings[0]

    assert first.summary.startswith("web/v4 runs 0 tasks, after 2 stopped (a failed verify scales its version back")
    assert "stacker-ecs verify web v4 --namespace ecs-dev --start-count 1" in first.fix


def test_a_new_version_at_zero_tasks_says_it_starts_at_zero(world, fake_time):
    deploy_live(world, fake_time, new=None)
    world.deploy_version("v4", 0)

    assert _diagnose(world).findings[0].summary == "web/v4 runs 0 tasks (a new version starts at 0)"
