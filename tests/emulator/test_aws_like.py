"""The emulator fails where AWS fails (``emulator.aws_like``; each test fails on plain moto 5.2.5).

Rows of docs/fidelity.md: each test names the behaviour and reads the outcome back from moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.aws_like import circuit_breaker
from emulator.world import NAMESPACE, ExampleWorld
from stacker_ecs.core import naming

APP = "web"


@pytest.fixture
def world(session: boto3.Session) -> ExampleWorld:
    """A seeded account with the cluster and app ``web``."""
    example = ExampleWorld.create(session)
    example.add_app(APP)
    return example


def _stack(session: boto3.Session, name: str) -> dict:
    return session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _services(session: boto3.Session, world: ExampleWorld, name: str) -> list[dict]:
    found = session.client("ecs").describe_services(cluster=world.cluster["ClusterName"], services=[name])
    return [s for s in found["services"] if s["status"] == "ACTIVE"]


def test_deleting_a_version_stack_deletes_its_service_rule_and_target_group(session, world):
    outputs = world.add_version("v1")
    # when
    session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, "v1"))
    # then
    elbv2 = session.client("elbv2")
    assert _services(session, world, "web_v1") == []
    rules = elbv2.describe_rules(ListenerArn=world.apps[APP]["ListenerArn"])["Rules"]
    assert [r for r in rules if not r["IsDefault"]] == []
    with pytest.raises(ClientError, match="TargetGroupNotFound"):
        elbv2.describe_target_groups(TargetGroupArns=[outputs["TargetGroupArn"]])


def test_a_version_deleted_then_deployed_again_gets_its_rule_priority_back(session, world):
    world.add_version("v1")
    session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, "v1"))
    # when (moto alone: PriorityInUse, the old rule is still there)
    outputs = world.add_version("v1")
    # then
    assert outputs["Version"] == "v1"


def test_deleting_a_stack_whose_target_group_the_listener_uses_fails_and_keeps_the_stack(session, world):
    outputs = world.add_version("v1")
    elbv2 = session.client("elbv2")
    elbv2.modify_listener(ListenerArn=world.apps[APP]["ListenerArn"], DefaultActions=[
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": outputs["TargetGroupArn"],
                                                                "Weight": 0}]}}])
    name = naming.version_stack(NAMESPACE, APP, "v1")
    # when
    session.client("cloudformation").delete_stack(StackName=name)
    # then
    stack = _stack(session, name)
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert "TargetGroup" in stack["StackStatusReason"]
    assert elbv2.describe_target_groups(TargetGroupArns=[outputs["TargetGroupArn"]])["TargetGroups"]
    # and once the listener lets go, deleting again succeeds
    elbv2.modify_listener(ListenerArn=world.apps[APP]["ListenerArn"], DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])
    session.client("cloudformation").delete_stack(StackName=stack["StackId"])
    assert _stack(session, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_modify_listener_refuses_a_target_group_that_does_not_exist(session, world):
    outputs = world.add_version("v1")
    elbv2 = session.client("elbv2")
    session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, "v1"))
    listener_arn = world.apps[APP]["ListenerArn"]
    before = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"]
    # when / then
    with pytest.raises(ClientError, match="TargetGroupNotFound"):
        elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=[
            {"Type": "forward", "ForwardConfig": {"TargetGroups": [
                {"TargetGroupArn": outputs["TargetGroupArn"], "Weight": 1}]}}])
    assert elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"] == before


def test_an_update_that_changes_nothing_is_refused_with_no_updates_are_to_be_performed(session, world):
    cfn = session.client("cloudformation")
    name = naming.application_stack(NAMESPACE, APP)
    body = json.dumps(cfn.get_template(StackName=name)["TemplateBody"])
    # when / then
    with pytest.raises(ClientError, match=r"No updates are to be performed\."):
        cfn.update_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    assert _stack(session, name)["StackStatus"] == "CREATE_COMPLETE"


def test_an_update_that_changes_something_still_updates(session, world):
    cfn = session.client("cloudformation")
    name = naming.application_stack(NAMESPACE, APP)
    template = cfn.get_template(StackName=name)["TemplateBody"]
    template["Description"] += " (changed)"
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    assert _stack(session, name)["StackStatus"] == "UPDATE_COMPLETE"


def test_route53_create_of_an_existing_record_fails_through_the_api_and_cloudformation(session, world):
    zone = world.seeded.hosted_zone_id
    route53 = session.client("route53")
    change = {"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"*.{world.seeded.domain}", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "a.example"}]}}
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [change]})
    # when / then (the API)
    change["ResourceRecordSet"]["ResourceRecords"] = [{"Value": "b.example"}]
    with pytest.raises(ClientError, match="already exists"):
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [change]})
    # and (CloudFormation): the stack rolls back
    template = {"Resources": {"Wildcard": {"Type": "AWS::Route53::RecordSet", "Properties": {
        "HostedZoneId": zone, "Name": f"*.{world.seeded.domain}.", "Type": "CNAME", "TTL": "60",
        "ResourceRecords": ["c.example"]}}}}
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName="second-app-dns", TemplateBody=json.dumps(template))
    stack = _stack(session, "second-app-dns")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "[Wildcard]" in stack["StackStatusReason"]
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert [r["ResourceRecords"] for r in records if r["Name"].startswith("*")] == [[{"Value": "a.example"}]]


def test_a_version_whose_tasks_cannot_start_rolls_back_its_stack_with_the_circuit_breaker(session, world,
                                                                                         monkeypatch):
    monkeypatch.setattr(circuit_breaker, "UNSTARTABLE", {"web_v3"})
    cfn = session.client("cloudformation")
    # when
    with pytest.raises(KeyError):  # no outputs: the stack rolled back
        world.add_version("v3", desired_count=1)["TargetGroupArn"]
    # then
    stack = _stack(session, naming.version_stack(NAMESPACE, APP, "v3"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Outputs" not in stack
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Service"]
    assert "Circuit Breaker was triggered" in failed[0]["ResourceStatusReason"]
    assert _services(session, world, "web_v3") == []
    rules = session.client("elbv2").describe_rules(ListenerArn=world.apps[APP]["ListenerArn"])["Rules"]
    assert [r for r in rules if not r["IsDefault"]] == []


def test_a_version_created_at_zero_tasks_is_stable_even_if_its_tasks_cannot_start(session, world, monkeypatch):
    monkeypatch.setattr(circuit_breaker, "UNSTARTABLE", {"web_v3"})
    # when
    outputs = world.add_version("v3", desired_count=0)
    # then
    assert outputs["Version"] == "v3"
    assert _stack(session, naming.version_stack(NAMESPACE, APP, "v3"))["StackStatus"] == "CREATE_COMPLETE"


def test_a_change_set_of_a_changed_stack_names_the_scope_and_replacement_of_each_modify(session, world):
    cfn = session.client("cloudformation")
    name = naming.application_stack(NAMESPACE, APP)
    template = cfn.get_template(StackName=name)["TemplateBody"]
    listener = template["Resources"][naming.HTTPS_LISTENER]["Properties"]
    listener["SslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    change_set = cfn.create_change_set(StackName=name, ChangeSetName="tls", TemplateBody=json.dumps(template),
                                       Capabilities=["CAPABILITY_IAM"], ChangeSetType="UPDATE")
    # when
    changes = cfn.describe_change_set(ChangeSetName=change_set["Id"])["Changes"]
    # then
    modified = [c["ResourceChange"] for c in changes if c["ResourceChange"]["Action"] == "Modify"]
    assert modified
    assert all(c["Scope"] == ["Properties"] and c["Replacement"] == "Conditional" for c in modified)


def test_a_stack_with_termination_protection_is_not_deleted(session, world):
    outputs = world.add_version("v1")
    cfn = session.client("cloudformation")
    name = naming.version_stack(NAMESPACE, APP, "v1")
    # when (moto alone: no UpdateTerminationProtection, and the stack is deleted)
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=True)
    with pytest.raises(ClientError, match="cannot be deleted while TerminationProtection is enabled"):
        cfn.delete_stack(StackName=name)
    # then
    assert _stack(session, name)["EnableTerminationProtection"] is True
    assert _services(session, world, "web_v1")
    assert session.client("elbv2").describe_target_groups(TargetGroupArns=[outputs["TargetGroupArn"]])
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=name)
    assert _services(session, world, "web_v1") == []


def test_deleting_a_live_version_by_hand_deletes_its_service_then_fails_on_its_target_group(session, world):
    outputs = world.add_version("v1")
    elbv2 = session.client("elbv2")
    elbv2.modify_listener(ListenerArn=world.apps[APP]["ListenerArn"], DefaultActions=[
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": outputs["TargetGroupArn"],
                                                                "Weight": 1}]}}])
    name = naming.version_stack(NAMESPACE, APP, "v1")
    # when (moto alone: the stack is gone and its service kept)
    session.client("cloudformation").delete_stack(StackName=name)
    # then: the traffic's target group stays, with nothing behind it
    assert _stack(session, name)["StackStatus"] == "DELETE_FAILED"
    assert _services(session, world, "web_v1") == []
    assert elbv2.describe_target_groups(TargetGroupArns=[outputs["TargetGroupArn"]])["TargetGroups"]


def test_get_metric_data_answers_percentiles_from_the_published_values(session):
    # moto 5.2.5: TypeError (HTTP 500 from its server) for any pNN statistic
    from datetime import UTC, datetime, timedelta

    cloudwatch = session.client("cloudwatch")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dims = [{"Name": "TargetGroup", "Value": "targetgroup/web-v1/1"}, {"Name": "LoadBalancer", "Value": "app/web/2"}]
    cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "TargetResponseTime", "Dimensions": dims, "Timestamp": now - timedelta(seconds=60),
         "Values": [0.04, 0.5], "Counts": [97, 3], "Unit": "Seconds"}])

    def stat(name: str) -> dict:
        return {"Id": name, "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB",
                                                      "MetricName": "TargetResponseTime", "Dimensions": dims},
                                           "Period": 120, "Stat": name}}

    answer = cloudwatch.get_metric_data(MetricDataQueries=[stat("p95"), stat("p99"), stat("Average")],
                                        StartTime=now - timedelta(seconds=120), EndTime=now)
    values = {r["Id"]: r["Values"] for r in answer["MetricDataResults"]}

    assert values["p95"] == [0.04]
    assert values["p99"] == [0.5]
    assert values["Average"] == [pytest.approx(0.0538)]


def _scalable_targets(session: boto3.Session, world: ExampleWorld, service: str) -> list[dict]:
    return session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{world.cluster['ClusterName']}/{service}"])["ScalableTargets"]


def test_an_autoscaled_version_created_at_zero_tasks_runs_its_minimum_once_its_stack_completes(session, world):
    # AWS: the stack's ScalableTarget registers MinCapacity 2, which moves the service's current capacity into range
    world.add_version("v1", desired_count=0, Autoscaling=True, AutoscalingMinCapacity=2, AutoscalingMaxCapacity=4)

    (service,) = _services(session, world, naming.service_name(APP, "v1"))
    (target,) = _scalable_targets(session, world, naming.service_name(APP, "v1"))
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 4)
    assert service["desiredCount"] == 2

    session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, "v1"))
    assert _scalable_targets(session, world, naming.service_name(APP, "v1")) == []


def test_registering_a_scalable_target_moves_the_service_into_its_bounds(session, world):
    world.add_version("v1", desired_count=5)
    scaling = session.client("application-autoscaling")
    resource_id = f"service/{world.cluster['ClusterName']}/{naming.service_name(APP, 'v1')}"

    def register(minimum: int, maximum: int) -> int:
        scaling.register_scalable_target(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
                                         ResourceId=resource_id, MinCapacity=minimum, MaxCapacity=maximum)
        (service,) = _services(session, world, naming.service_name(APP, "v1"))
        return int(service["desiredCount"])

    assert register(1, 3) == 3  # a maximum below the current count lowers it
    assert register(0, 3) == 3  # inside the range: unchanged
    assert register(4, 6) == 4  # a minimum above it raises it


def _service_by_hand(session: boto3.Session, cluster: str, name: str = "by-hand") -> None:
    ecs = session.client("ecs")
    ecs.register_task_definition(family=name, containerDefinitions=[{"name": "c", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=name, desiredCount=0)


def test_deleting_a_cluster_that_still_has_a_service_is_refused_until_the_service_is_deleted(session):
    world = ExampleWorld.create(session)
    cluster = world.cluster["ClusterName"]
    _service_by_hand(session, cluster)
    ecs = session.client("ecs")
    # when / then (moto alone: the cluster is deleted)
    with pytest.raises(ClientError, match=r"ClusterContainsServicesException.*cannot be deleted while Services are "
                                          "active"):
        ecs.delete_cluster(cluster=cluster)
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "ACTIVE"
    # and once the service is deleted, the cluster goes
    ecs.delete_service(cluster=cluster, service="by-hand", force=True)
    assert ecs.delete_cluster(cluster=cluster)["cluster"]["status"] == "INACTIVE"


def test_deleting_the_cluster_stack_while_a_service_runs_fails_naming_the_cluster_and_the_reason(session):
    world = ExampleWorld.create(session)
    _service_by_hand(session, world.cluster["ClusterName"])
    cfn = session.client("cloudformation")
    name = naming.cluster_stack(NAMESPACE)
    # when (moto alone: DELETE_COMPLETE, and the cluster is not even deleted)
    cfn.delete_stack(StackName=name)
    # then
    stack = _stack(session, name)
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to delete: [Cluster].")
    failed = [e for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
              if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Cluster"]
    assert [e["ResourceStatusReason"] for e in failed] == ["The Cluster cannot be deleted while Services are active."]
