"""Finding a namespace's apps and an app's versions: by tag, never by listing the account's stacks, and a
deleted stack the tagging API still returns is skipped."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from emulator.calls import CallCounter
from emulator.world import NAMESPACE, ExampleWorld
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.inventory import find_apps, list_version_stacks


def test_apps_are_found_by_tag_with_or_without_versions_and_never_by_listing_the_account(session: boto3.Session):
    world = ExampleWorld.create(session)
    world.add_app("web")
    world.add_app("web-admin")  # no version yet: found by the namespace tag stacker puts on its stacks
    world.add_version("v1")
    world.add_filler_stacks(5)
    counter = CallCounter(session)

    assert find_apps(AwsContext.create(session), NAMESPACE) == ["web", "web-admin"]
    assert counter.calls["cloudformation.DescribeStacks"] == 2  # one per app, by name
    assert "cloudformation.ListStacks" not in counter.calls


def test_a_deleted_stack_the_tagging_api_still_returns_is_skipped(session: boto3.Session):
    world = ExampleWorld.create(session)
    world.add_app("web")
    world.add_version("v1")
    aws = AwsContext.create(session)
    tagging = aws.client("resourcegroupstaggingapi")
    live = tagging.get_resources(ResourceTypeFilters=["cloudformation:stack"])["ResourceTagMappingList"]
    gone = (f"arn:aws:cloudformation:us-east-1:123456789012:stack/{naming.version_stack(NAMESPACE, 'web', 'v0')}/"
            "0f0e0d0c-0000-4000-8000-000000000000")
    version_arns = [m for m in live if "-V-" in m["ResourceARN"]]
    with Stubber(tagging) as stub:  # the "previously tagged" answer moto cannot give
        stub.add_response("get_resources", {"ResourceTagMappingList": [
            *version_arns, {"ResourceARN": gone, "Tags": [{"Key": "stacker-ecs:app", "Value": "web"}]}]})
        versions = list_version_stacks(aws, NAMESPACE, "web")
    assert [v.version for v in versions] == ["v1"]


def with_an_untagged_version(session: boto3.Session) -> AwsContext:
    """App ``web`` with ``v2`` and ``v1``, made by an earlier release: no ``stacker-ecs:app`` tag on v1's stack."""
    from emulator.world import TASK, create_stack, next_free_priority
    from stacker_ecs.core import contract
    from stacker_ecs.core.model import parse
    from stacker_ecs.core.templates.version import VersionSpec, render_version

    world = ExampleWorld.create(session)
    outputs = world.add_app("web")
    world.add_version("v2")
    spec = parse(VersionSpec, {  # an earlier release: no stacker-ecs:app tag on the stack
        "App": "web", "Version": "v1", "Environment": "dev", "ClusterName": world.cluster[contract.CLUSTER_NAME],
        "VpcId": world.cluster[contract.VPC_ID], "LogGroupName": world.cluster[contract.LOG_GROUP_NAME],
        "ListenerArn": outputs[contract.LISTENER_ARN], "Domain": outputs[contract.DOMAIN], "DesiredCount": 0,
        "RulePriority": next_free_priority(session, outputs[contract.LISTENER_ARN]), "TaskDefinition": TASK},
        where="v1")
    create_stack(session, naming.version_stack(NAMESPACE, "web", "v1"), render_version(spec, where="v1").to_json())
    aws = AwsContext.create(session)
    assert [v.version for v in list_version_stacks(aws, NAMESPACE, "web")] == ["v2"]  # invisible
    return aws


def test_adopt_tags_an_untagged_version_so_cleanup_and_teardown_find_it_and_a_rerun_tags_nothing(
        session: boto3.Session):
    from stacker_ecs.core.ops.adopt import AdoptArgs, adopt

    aws = with_an_untagged_version(session)

    result = adopt(aws, AdoptArgs(app="web", namespace=NAMESPACE))

    assert result["tagged"] == [naming.application_stack(NAMESPACE, "web"),
                                naming.version_stack(NAMESPACE, "web", "v1")]
    assert result["already_tagged"] == [naming.version_stack(NAMESPACE, "web", "v2")]
    assert sorted(v.version for v in list_version_stacks(aws, NAMESPACE, "web")) == ["v1", "v2"]
    assert adopt(aws, AdoptArgs(app="web", namespace=NAMESPACE))["tagged"] == []


def test_adopt_dry_run_lists_what_it_would_tag_and_tags_nothing(session: boto3.Session):
    from stacker_ecs.core.ops.adopt import AdoptArgs, adopt

    aws = with_an_untagged_version(session)
    counter = CallCounter(session)

    result = adopt(aws, AdoptArgs(app="web", namespace=NAMESPACE, dry_run=True))

    assert result["tagged"] == [naming.application_stack(NAMESPACE, "web"),
                                naming.version_stack(NAMESPACE, "web", "v1")]
    assert not [call for call in counter.mutating() if call.startswith("cloudformation.")]
    assert [v.version for v in list_version_stacks(aws, NAMESPACE, "web")] == ["v2"], "v1 is still untagged"


def test_adopt_whose_tag_update_is_rolled_back_names_the_resource_and_why_and_a_rerun_tags_it(
        session: boto3.Session):
    from emulator.states import fail_update
    from stacker_ecs.core.errors import AwsStateError
    from stacker_ecs.core.ops.adopt import AdoptArgs, adopt

    aws = with_an_untagged_version(session)
    v1 = naming.version_stack(NAMESPACE, "web", "v1")
    before = session.client("cloudformation").describe_stacks(StackName=v1)["Stacks"][0]["Tags"]
    refusal = ("User: arn:aws:sts::123456789012:assumed-role/web-pipeline/ci is not authorized to perform: "
               "ecs:TagResource on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/web-dev:1")

    updated: list[str] = []

    def rolled_back(**_: object) -> None:  # AWS rolls a refused tag back; moto applies every update
        if updated[-1].split("/")[1] == v1:
            fail_update(v1, "TaskDefinition", "AWS::ECS::TaskDefinition", refusal,
                        {t["Key"]: t["Value"] for t in before})

    events = aws.client("cloudformation").meta.events  # the operation's client (made before this test's hooks)
    events.register("provide-client-params.cloudformation.UpdateStack",
                    lambda params, **_: updated.append(params["StackName"]))
    events.register("after-call.cloudformation.UpdateStack", rolled_back, unique_id="rolled-back")
    with pytest.raises(AwsStateError, match=rf"{v1}: CloudFormation did not apply the tag, the stack is "
                                            r"UPDATE_ROLLBACK_COMPLETE; failed: TaskDefinition "
                                            r"\(AWS::ECS::TaskDefinition\): User: .* ecs:TagResource on .*\. Fix "
                                            r"what refused it .* then run adopt again"):
        adopt(aws, AdoptArgs(app="web", namespace=NAMESPACE))
    assert [v.version for v in list_version_stacks(aws, NAMESPACE, "web")] == ["v2"], "v1 is still untagged"

    events.unregister("after-call.cloudformation.UpdateStack", unique_id="rolled-back")
    again = adopt(aws, AdoptArgs(app="web", namespace=NAMESPACE))

    assert again["tagged"] == [v1]  # the application stack was tagged by the first run
    assert sorted(v.version for v in list_version_stacks(aws, NAMESPACE, "web")) == ["v1", "v2"]
