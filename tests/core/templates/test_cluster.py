"""The cluster builder: EC2 capacity (spot + on-demand behind a capacity provider) or Fargate."""

from __future__ import annotations

from typing import Any

import pytest
from golden import assert_matches_golden, props_of

from stacker_ecs.core import naming
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.cluster import AMI_PARAMETER, ECS_AMI_PARAMETER, ClusterSpec, build_cluster

VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
BASE = {"Environment": "dev", "VpcId": VPC_ID, "Subnets": ",".join(SUBNETS)}
EC2_ONLY = {naming.INSTANCE_ROLE, naming.INSTANCE_PROFILE, naming.LAUNCH_TEMPLATE, naming.AUTO_SCALING_GROUP,
            naming.CAPACITY_PROVIDER}


def render(**variables: Any) -> dict[str, Any]:
    """Return the cluster template for BASE plus ``variables``, as CloudFormation's dict."""
    return build_cluster(parse(ClusterSpec, {**BASE, **variables}, where="test cluster")).to_dict()






# ---- EC2 capacity ------------------------------------------------------------------------------

def test_cluster_ec2_runs_instances_from_a_mixed_spot_and_on_demand_group():
    # when
    group = props_of(render(), "AWS::AutoScaling::AutoScalingGroup")

    # then
    assert group["VPCZoneIdentifier"] == SUBNETS
    assert (group["MinSize"], group["MaxSize"]) == ("0", "10")
    assert group["NewInstancesProtectedFromScaleIn"] is True  # required by managed termination protection
    policy = group["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"] == {
        "OnDemandBaseCapacity": 1,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": "price-capacity-optimized",
    }
    launch = policy["LaunchTemplate"]
    assert launch["LaunchTemplateSpecification"] == {
        "LaunchTemplateId": {"Ref": naming.LAUNCH_TEMPLATE},
        "Version": {"Fn::GetAtt": [naming.LAUNCH_TEMPLATE, "LatestVersionNumber"]},
    }
    assert [o["InstanceType"] for o in launch["Overrides"]] == ["t3.medium", "t3a.medium", "m5.large"]


def test_cluster_ec2_group_sizes_and_instance_types_come_from_the_spec():
    group = props_of(render(InstanceTypes="c6i.large, c5.large", MinSize=1, MaxSize=3,
                            OnDemandBaseCapacity=0, OnDemandPercentageAboveBase=50),
                     "AWS::AutoScaling::AutoScalingGroup")

    assert (group["MinSize"], group["MaxSize"]) == ("1", "3")
    distribution = group["MixedInstancesPolicy"]["InstancesDistribution"]
    assert distribution["OnDemandBaseCapacity"] == 0
    assert distribution["OnDemandPercentageAboveBaseCapacity"] == 50
    overrides = group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == ["c6i.large", "c5.large"]


def test_cluster_ec2_launch_template_requires_imdsv2_and_encrypts_the_root_volume():
    data = props_of(render(), "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]

    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpEndpoint"] == "enabled"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1  # containers cannot reach the instance role
    (root,) = data["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/xvda"
    assert root["Ebs"] == {"Encrypted": True, "VolumeSize": 30, "VolumeType": "gp3", "DeleteOnTermination": True}
    assert data["SecurityGroupIds"] == [{"Ref": naming.CONTAINER_SECURITY_GROUP}]
    assert data["IamInstanceProfile"] == {"Arn": {"Fn::GetAtt": [naming.INSTANCE_PROFILE, "Arn"]}}


def test_cluster_ec2_instances_join_the_cluster_and_drain_on_spot_interruption():
    user_data = props_of(render(), "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["UserData"]

    parts = user_data["Fn::Base64"]["Fn::Join"][1]
    assert parts[parts.index("ECS_CLUSTER=") + 1] == {"Ref": naming.CLUSTER}
    assert "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n" in parts


def test_cluster_ec2_image_defaults_to_the_public_ecs_optimised_ami_parameter():
    template = render()

    parameter = template["Parameters"][AMI_PARAMETER]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameter["Default"] == ECS_AMI_PARAMETER
    assert props_of(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["ImageId"] == {"Ref": AMI_PARAMETER}


def test_cluster_ec2_pinned_ami_is_used_as_is_without_a_parameter():
    template = render(ImageId="ami-0123456789abcdef0")

    assert "Parameters" not in template
    assert props_of(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["ImageId"] == "ami-0123456789abcdef0"


def test_cluster_ec2_capacity_provider_scales_the_group_with_managed_scaling():
    template = render(TargetCapacityPercent=90)

    provider = props_of(template, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["AutoScalingGroupArn"] == {"Ref": naming.AUTO_SCALING_GROUP}
    assert provider["ManagedScaling"] == {"Status": "ENABLED", "TargetCapacity": 90}
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    associations = props_of(template, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert associations["Cluster"] == {"Ref": naming.CLUSTER}
    assert associations["CapacityProviders"] == [{"Ref": naming.CAPACITY_PROVIDER}, "FARGATE", "FARGATE_SPOT"]
    assert associations["DefaultCapacityProviderStrategy"] == [
        {"CapacityProvider": {"Ref": naming.CAPACITY_PROVIDER}, "Base": 0, "Weight": 1}]


def test_cluster_ec2_capacity_provider_name_never_starts_with_a_prefix_ecs_reserves():
    provider = props_of(render(), "AWS::ECS::CapacityProvider")

    name = provider.get("Name")
    assert name is not None, "no Name: CloudFormation generates one from the stack name ('ecs-dev-cluster-...')"
    text = name["Fn::Sub"] if isinstance(name, dict) else name
    assert not text.lower().startswith(("aws", "ecs", "fargate", "${aws::stackname}"))


def test_cluster_ec2_instances_may_write_logs_only_to_the_cluster_log_group():
    role = props_of(render(), "AWS::IAM::Role")

    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [{"Fn::GetAtt": [naming.CLUSTER_LOG_GROUP, "Arn"]}]


# ---- Fargate capacity --------------------------------------------------------------------------

def test_cluster_fargate_uses_fargate_and_fargate_spot_without_any_instances():
    template = render(Capacity="fargate")

    associations = props_of(template, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert associations["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert associations["DefaultCapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    assert EC2_ONLY.isdisjoint(template["Resources"])
    assert not any(r["Type"].startswith("AWS::AutoScaling::") for r in template["Resources"].values())
    assert "Parameters" not in template  # no AMI to look up


# ---- both --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("capacity", "launch_type"), [("ec2", "EC2"), ("fargate", "FARGATE")])
def test_cluster_outputs_the_launch_type_version_stacks_must_use(capacity: str, launch_type: str):
    outputs = render(Capacity=capacity)["Outputs"]

    assert outputs["LaunchType"]["Value"] == launch_type


def test_cluster_exports_every_output_version_and_application_stacks_read():
    outputs = render()["Outputs"]

    assert set(outputs) == {"ClusterName", "ClusterArn", "LaunchType", "VpcId", "Subnets",
                            "ContainerSecurityGroupId", "SharedLoadBalancerSecurityGroupId", "LogGroupName",
                            "Environment", "CoordinationTableName"}
    assert outputs["ClusterName"]["Value"] == {"Ref": naming.CLUSTER}
    assert outputs["Subnets"]["Value"] == {"Fn::Join": [",", SUBNETS]}
    assert outputs["LogGroupName"]["Value"] == {"Ref": naming.CLUSTER_LOG_GROUP}
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{name}"}}


def test_cluster_log_group_is_named_after_the_stack_and_keeps_logs_for_the_given_days():
    log_group = props_of(render(LogRetentionDays=14), "AWS::Logs::LogGroup")

    assert log_group == {"LogGroupName": {"Fn::Sub": "/ecs/${AWS::StackName}"}, "RetentionInDays": 14}


def test_cluster_containers_admit_the_environments_load_balancers_by_one_rule_from_their_shared_group():
    template = render(ContainerPorts=[8000, 9000])
    resources = template["Resources"]

    (ingress,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert ingress["GroupId"] == {"Ref": naming.CONTAINER_SECURITY_GROUP}
    assert ingress["SourceSecurityGroupId"] == {"Ref": naming.SHARED_LOAD_BALANCER_SECURITY_GROUP}
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 8000, 9000)
    shared = resources[naming.SHARED_LOAD_BALANCER_SECURITY_GROUP]["Properties"]
    assert "SecurityGroupIngress" not in shared  # its members are load balancers; their own groups let clients in
    (egress,) = shared["SecurityGroupEgress"]  # given egress replaces the default allow-all
    assert egress["DestinationSecurityGroupId"] == {"Ref": naming.CONTAINER_SECURITY_GROUP}
    assert (egress["FromPort"], egress["ToPort"]) == (8000, 9000)
    assert template["Outputs"]["SharedLoadBalancerSecurityGroupId"]["Value"] == {
        "Ref": naming.SHARED_LOAD_BALANCER_SECURITY_GROUP}


@pytest.mark.parametrize(("insights", "setting"), [(True, "enabled"), (False, "disabled")])
def test_cluster_container_insights_follow_the_spec(insights: bool, setting: str):
    cluster = props_of(render(ContainerInsights=insights), "AWS::ECS::Cluster")

    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": setting}]


@pytest.mark.parametrize("subnets", [",".join(SUBNETS), " , ".join(SUBNETS) + ",", SUBNETS],
                         ids=["comma-separated", "spaces-and-trailing-comma", "list"])
def test_cluster_subnets_accept_a_list_or_the_comma_separated_string_outputs_return(subnets: Any):
    group = props_of(render(Subnets=subnets), "AWS::AutoScaling::AutoScalingGroup")

    assert group["VPCZoneIdentifier"] == SUBNETS


@pytest.mark.parametrize("capacity", ["ec2", "fargate"])
def test_cluster_template_matches_its_golden_file(capacity: str):
    template = build_cluster(parse(ClusterSpec, {**BASE, "Capacity": capacity}, where="test cluster"))

    assert_matches_golden(template, f"cluster-{capacity}")


def test_cluster_creates_the_coordination_table_the_operations_find_by_name():
    template = render()
    table = template["Resources"][naming.COORDINATION_TABLE]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["Properties"]["TableName"] == {"Fn::Sub": "${AWS::StackName}-coordination"}
    assert naming.coordination_table("ecs-dev") == f"{naming.cluster_stack('ecs-dev')}-coordination"
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
