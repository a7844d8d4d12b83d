"""teardown-environment never reports success while a service of the cluster still runs, and names what blocks
``DeleteCluster``: each service with its counts, the stack that owns it, and the fix (notes/aws-fidelity.md #22, #27).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.adopt import AdoptArgs, adopt
from stacker_ecs.core.ops.cluster_services import failed_resources
from stacker_ecs.core.ops.teardown import (
    DestroyCheckArgs,
    TeardownEnvironmentArgs,
    check_destroy,
    teardown_environment,
)
from stacker_ecs.core.templates.version import render_version
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def _tear_down(world: World, fake_time: FakeTime, **args: Any) -> dict[str, Any]:
    return teardown_environment(AwsContext.create(world.session, clock=fake_time.clock),
                                TeardownEnvironmentArgs(namespace=NAMESPACE, **args))


def _untagged_version(world: World, version: str) -> None:
    """Deploy ``version`` as an earlier release did: no ``stacker-ecs:app`` tag on its stack."""
    body = render_version(world.version_spec(version, 1), where=version).to_json()
    world.session.client("cloudformation").create_stack(
        StackName=naming.version_stack(NAMESPACE, APP, version), TemplateBody=body, Capabilities=["CAPABILITY_IAM"])


def _service_by_hand(world: World, name: str) -> None:
    ecs = world.session.client("ecs")
    ecs.register_task_definition(family=name, containerDefinitions=[{"name": "c", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster=world.cluster_name, serviceName=name, taskDefinition=name, desiredCount=1)


def _named_stack_reads_only(world: World) -> list[dict[str, Any]]:
    """Record every DescribeStacks' parameters: none may list the account (no StackName)."""
    seen: list[dict[str, Any]] = []
    world.session.events.register("before-parameter-build.cloudformation.DescribeStacks",
                                  lambda params, **_: seen.append(dict(params)))
    return seen


def _cluster_status(world: World) -> str:
    return world.session.client("ecs").describe_clusters(clusters=[world.cluster_name])["clusters"][0]["status"]


def test_a_version_stack_without_the_app_tag_is_refused_up_front_naming_its_service_stack_and_adopt(
        world: World, fake_time: FakeTime):
    world.deploy_version("v1")
    _untagged_version(world, "v0")
    world.sync()
    before = world.stack_names()
    reads = _named_stack_reads_only(world)

    with pytest.raises(AwsStateError) as caught:
        _tear_down(world, fake_time)
    ours = list(reads)

    assert str(caught.value) == (
        f"environment ecs-dev: the cluster {world.cluster_name} still has 1 service(s) no teardown deletes, and ECS "
        "refuses to delete a cluster that contains services (nothing was deleted):\n"
        "  - web_v0 (1 desired, 1 running; stack ecs-dev-app-web-V-v0): its stack has no stacker-ecs:app tag (made "
        "by an earlier release, or by hand), so teardown cannot find it; tag it once with `stacker-ecs adopt web "
        "--namespace ecs-dev --version v0`, then run teardown-environment again")
    assert world.stack_names() == before
    assert ours
    assert all(params.get("StackName") for params in ours), "no DescribeStacks lists the account"

    adopt(AwsContext.create(world.session, clock=fake_time.clock),
          AdoptArgs(app=APP, namespace=NAMESPACE, versions=["v0"]))  # the fix it names
    result = _tear_down(world, fake_time)

    assert result["apps"][0]["versions"] == ["v0", "v1"]
    assert world.stack_names() == set()
    assert _cluster_status(world) == "INACTIVE"


def test_a_service_made_by_hand_is_refused_naming_the_command_that_deletes_it(world: World, fake_time: FakeTime):
    _service_by_hand(world, "debug-shell")
    before = world.stack_names()

    with pytest.raises(AwsStateError) as caught:
        _tear_down(world, fake_time, dry_run=True)

    assert str(caught.value).endswith(
        "  - debug-shell (1 desired, 0 running; no stack): no stack owns it (made by hand, or its stack is gone); "
        f"delete it: `aws ecs delete-service --cluster {world.cluster_name} --service debug-shell --force`")
    assert world.stack_names() == before


def test_a_service_that_appears_while_the_apps_are_torn_down_stops_the_cluster_delete_and_says_what_was_done(
        world: World, fake_time: FakeTime):
    application = naming.application_stack(NAMESPACE, APP)
    world.session.events.register(
        "before-parameter-build.cloudformation.DeleteStack",
        lambda params, **_: _service_by_hand(world, "web_v9") if f"/{application}/" in params["StackName"] else None)

    with pytest.raises(AwsStateError) as caught:
        _tear_down(world, fake_time)

    message = str(caught.value)
    assert "(the apps web were removed, the cluster stack was not deleted)" in message
    assert message.endswith("  - web_v9 (1 desired, 0 running; no stack): no stack owns it (made by hand, or its "
                            "stack is gone); delete it: `aws ecs delete-service --cluster "
                            f"{world.cluster_name} --service web_v9 --force`")
    assert world.stack_names() == {naming.cluster_stack(NAMESPACE)}
    assert _cluster_status(world) == "ACTIVE"


def test_a_cluster_stack_delete_that_fails_names_the_failed_resource_and_its_reason(world: World,
                                                                                    fake_time: FakeTime):
    cluster_stack = naming.cluster_stack(NAMESPACE)
    world.session.events.register(
        "before-parameter-build.cloudformation.DeleteStack",
        lambda params, **_: _service_by_hand(world, "late") if f"/{cluster_stack}/" in params["StackName"] else None)

    with pytest.raises(AwsStateError) as caught:
        _tear_down(world, fake_time)

    assert str(caught.value) == (
        "teardown could not delete the stacks cluster: The following resource(s) failed to delete: [Cluster]. The "
        "Cluster cannot be deleted while Services are active; failed: Cluster (AWS::ECS::Cluster): The Cluster cannot "
        "be deleted while Services are active. Fix the cause, and run it again. Services in the cluster now:\n"
        "  - late (1 desired, 0 running; no stack): no stack owns it (made by hand, or its stack is gone); delete it: "
        f"`aws ecs delete-service --cluster {world.cluster_name} --service late --force`")
    assert world.stack_names() == {naming.cluster_stack(NAMESPACE)}


def test_a_destroy_of_the_cluster_is_refused_while_a_version_stack_without_the_app_tag_runs_a_service(
        world: World, fake_time: FakeTime):
    world.deploy_version("v1")
    _untagged_version(world, "v0")
    everything = [naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, APP),
                  naming.version_stack(NAMESPACE, APP, "v1")]

    with pytest.raises(AwsStateError) as caught:
        check_destroy(AwsContext.create(world.session), DestroyCheckArgs(namespace=NAMESPACE, stacks=everything))

    assert str(caught.value).startswith(
        "destroy of ecs-dev refused: the cluster's service web_v0 (1 desired, 0 running; stack ecs-dev-app-web-V-v0): "
        "its stack has no stacker-ecs:app tag (made by an earlier release, or by hand), so teardown cannot find it; "
        "tag it once with `stacker-ecs adopt web --namespace ecs-dev --version v0`, then run teardown-environment "
        "again. Remove each app with teardown first")
    # once adopted, the destroy check sees v0 as a version the destroy would leave behind, as for any tagged one
    adopt(AwsContext.create(world.session, clock=fake_time.clock),
          AdoptArgs(app=APP, namespace=NAMESPACE, versions=["v0"]))
    with pytest.raises(AwsStateError, match=r"destroy of ecs-dev refused: web: its versions v0 would be left behind\."):
        check_destroy(AwsContext.create(world.session), DestroyCheckArgs(namespace=NAMESPACE, stacks=everything))
    assert check_destroy(AwsContext.create(world.session), DestroyCheckArgs(
        namespace=NAMESPACE, stacks=[*everything, naming.version_stack(NAMESPACE, APP, "v0")]))["stacks"]


def test_a_failed_delete_is_explained_by_its_own_failures_not_by_an_earlier_deletes():
    stack_id = ("arn:aws:cloudformation:us-east-1:123456789012:stack/ecs-dev-cluster/"
                "0f0e0d0c-0000-4000-8000-000000000000")
    start = datetime(2026, 12, 7, tzinfo=UTC)

    def event(minute: int, logical_id: str, kind: str, status: str, reason: str = "") -> dict[str, Any]:
        return {"StackId": stack_id, "EventId": f"e{minute}", "StackName": "ecs-dev-cluster", "LogicalResourceId":
                logical_id, "ResourceType": kind, "ResourceStatus": status, "ResourceStatusReason": reason,
                "Timestamp": start + timedelta(minutes=minute)}

    stack = "AWS::CloudFormation::Stack"
    events = [  # newest first, as DescribeStackEvents answers: the last delete, then an earlier one
        event(9, "ecs-dev-cluster", stack, "DELETE_FAILED", "The following resource(s) failed to delete: [Cluster]."),
        event(8, "Cluster", "AWS::ECS::Cluster", "DELETE_FAILED", "The Cluster cannot be deleted while Services are "
                                                                   "active"),
        event(7, "ecs-dev-cluster", stack, "DELETE_IN_PROGRESS", "User Initiated"),
        event(2, "ecs-dev-cluster", stack, "DELETE_FAILED", "The following resource(s) failed to delete: [LogGroup]."),
        event(1, "LogGroup", "AWS::Logs::LogGroup", "DELETE_FAILED", "fixed by hand since"),
        event(0, "ecs-dev-cluster", stack, "DELETE_IN_PROGRESS", "User Initiated"),
    ]
    aws = AwsContext.create(boto3.Session(region_name="us-east-1"))
    with Stubber(aws.client("cloudformation")) as stub:  # an earlier failed delete: a history moto cannot give
        stub.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": stack_id})
        failed = failed_resources(aws, stack_id)

    assert failed == ["Cluster (AWS::ECS::Cluster): The Cluster cannot be deleted while Services are active"]
