"""The container group needs no rule per app, and an application stack made with one loses it on update
(``emulator.aws_like.security_groups``; the update test fails on plain moto 5.2.5: ``-p emulator.plain_moto``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from emulator.world import NAMESPACE, ExampleWorld
from stacker_ecs.core import contract, naming


def _inbound(session: boto3.Session, group: str) -> list[dict[str, Any]]:
    rules = session.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    return [rule for rule in rules if not rule["IsEgress"]]


def _groups_of(session: boto3.Session, outputs: dict[str, str]) -> list[str]:
    (balancer,) = session.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[outputs[contract.LOAD_BALANCER_ARN]])["LoadBalancers"]
    return balancer["SecurityGroups"]


def _made_before_the_shared_group(template: dict[str, Any], containers: str) -> dict[str, Any]:
    """Return an application template as made before the shared group: its own group reaching the containers
    (``LoadBalancerSecurityGroup``) and one rule for it on the container group."""
    old = copy.deepcopy(template)
    resources = old["Resources"]
    group = resources.pop(naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP)
    group["Properties"]["SecurityGroupEgress"] = [{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 65535,
                                                   "DestinationSecurityGroupId": containers}]
    resources["LoadBalancerSecurityGroup"] = group
    resources[naming.CONTAINER_INGRESS] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": containers, "IpProtocol": "tcp", "FromPort": 1, "ToPort": 65535,
        "SourceSecurityGroupId": {"Ref": "LoadBalancerSecurityGroup"}}}
    resources[naming.LOAD_BALANCER]["Properties"]["SecurityGroups"] = [{"Ref": "LoadBalancerSecurityGroup"}]
    old["Outputs"][contract.LOAD_BALANCER_SECURITY_GROUP_ID]["Value"] = {"Ref": "LoadBalancerSecurityGroup"}
    return old


def test_three_apps_leave_the_container_group_with_its_one_inbound_rule(session: boto3.Session):
    world = ExampleWorld.create(session)
    containers = world.cluster[contract.CONTAINER_SECURITY_GROUP_ID]
    shared = world.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID]
    # when
    apps = {app: world.add_app(app) for app in ("web", "api", "admin")}
    # then: one rule, from the shared group; each load balancer carries its own group and the shared one
    (rule,) = _inbound(session, containers)
    assert rule["ReferencedGroupInfo"]["GroupId"] == shared
    for outputs in apps.values():
        assert _groups_of(session, outputs) == [outputs[contract.LOAD_BALANCER_SECURITY_GROUP_ID], shared]


def test_updating_an_application_stack_made_with_its_own_container_rule_leaves_only_the_shared_rule(
        session: boto3.Session):
    world = ExampleWorld.create(session)
    containers = world.cluster[contract.CONTAINER_SECURITY_GROUP_ID]
    shared = world.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID]
    current = world.add_app("web")
    cfn = session.client("cloudformation")
    name = naming.application_stack(NAMESPACE, "web")
    template = cfn.get_template(StackName=name)["TemplateBody"]
    world.apps["api"] = outputs = {}
    before = _made_before_the_shared_group(_as_app(template, "web", "api"), containers)
    cfn.create_stack(StackName=naming.application_stack(NAMESPACE, "api"), TemplateBody=json.dumps(before))
    old = contract.outputs_of(cfn.describe_stacks(StackName=naming.application_stack(NAMESPACE, "api"))["Stacks"][0])
    assert len(_inbound(session, containers)) == 2
    assert _groups_of(session, old) == [old[contract.LOAD_BALANCER_SECURITY_GROUP_ID]]
    new_template = _as_app(template, "web", "api")
    change_set = cfn.create_change_set(StackName=naming.application_stack(NAMESPACE, "api"), ChangeSetName="shared",
                                       TemplateBody=json.dumps(new_template), ChangeSetType="UPDATE")
    changes = {(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
               for c in cfn.describe_change_set(ChangeSetName=change_set["Id"])["Changes"]}
    # The old group and its rule are only removed (AWS: in the cleanup phase, after the load balancer holds
    # the new group and the shared one), never modified in place: no moment the containers are unreachable.
    assert changes == {("Add", naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP), ("Modify", naming.LOAD_BALANCER),
                       ("Remove", "LoadBalancerSecurityGroup"), ("Remove", naming.CONTAINER_INGRESS)}
    cfn.delete_change_set(ChangeSetName=change_set["Id"])
    # when
    cfn.update_stack(StackName=naming.application_stack(NAMESPACE, "api"), TemplateBody=json.dumps(new_template))
    # then
    stack = cfn.describe_stacks(StackName=naming.application_stack(NAMESPACE, "api"))["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    outputs.update(contract.outputs_of(stack))
    # moto alone: the load balancer keeps its old group, and the app's rule stays on the container group
    assert _groups_of(session, outputs) == [outputs[contract.LOAD_BALANCER_SECURITY_GROUP_ID], shared]
    (rule,) = _inbound(session, containers)
    assert rule["ReferencedGroupInfo"]["GroupId"] == shared
    assert _groups_of(session, current) == [current[contract.LOAD_BALANCER_SECURITY_GROUP_ID], shared]


def _as_app(template: dict[str, Any], app: str, other: str) -> dict[str, Any]:
    """Return app ``app``'s application template made for app ``other`` (names, hosts and tags)."""
    return json.loads(json.dumps(template).replace(f"{app}.", f"{other}.").replace(f"-{app}-", f"-{other}-")
                      .replace(f'"{app}"', f'"{other}"').replace(f"application {app} ", f"application {other} "))
