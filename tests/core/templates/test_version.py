"""The version builder: one stack per build, reachable on its own host before and after it is live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from golden import assert_matches_golden, props_of
from troposphere import Template

from stacker_ecs.core import contract, naming
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.version import VersionSpec, render_version

ROOT = Path(__file__).resolve().parents[3]
ECS_JSON = ROOT / "config" / "apps" / "web" / "ecs.json"
ECR_IMAGE = "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/web"
LISTENER_ARN = ("arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/"
                "ecs-dev-LoadB-1A2B3C4D5E6F/50dc6c495c0c9188/f2f7dc8efc522ab2")
LOG_GROUP = "/ecs/ecs-dev-cluster"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
CONTAINER_SG = "sg-0a1b2c3d4e5f60718"
BASE = {
    "App": "web",
    "Version": "v1",
    "Environment": "dev",
    "ClusterName": "ecs-dev-Cluster-1A2B3C4D5E6F",
    "VpcId": "vpc-0a1b2c3d4e5f60718",
    "LogGroupName": LOG_GROUP,
    "ListenerArn": LISTENER_ARN,
    "Domain": "dev.example.com",
    "RulePriority": 10,
    "TaskDefinitionFile": str(ECS_JSON),
    "HealthCheckPath": "/health",
}
FARGATE = {"LaunchType": "FARGATE", "Subnets": ",".join(SUBNETS), "ContainerSecurityGroupId": CONTAINER_SG}


def build(**variables: Any) -> Template:
    """Return the version template for BASE plus ``variables``, as the blueprint builds it."""
    data = {**BASE, **variables}
    if "TaskDefinition" in variables:
        data.pop("TaskDefinitionFile")
    spec = parse(VersionSpec, data, where="test version")
    return render_version(spec, where="test version")


def render(**variables: Any) -> dict[str, Any]:
    """Return the version template for BASE plus ``variables``, as CloudFormation's dict."""
    return build(**variables).to_dict()




def containers_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the task's container definitions by name."""
    definitions = props_of(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return {c["Name"]: c for c in definitions}


def execution_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the statements of the execution role's one inline policy."""
    (policy,) = template["Resources"][naming.EXECUTION_ROLE]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def statement_with(statements: list[dict[str, Any]], action: str) -> dict[str, Any]:
    """Return the one statement that grants ``action``."""
    (found,) = [s for s in statements if action in s["Action"]]
    return found


def tags_of(properties: dict[str, Any]) -> dict[str, str]:
    """Return a resource's tags as a plain dict."""
    return {t["Key"]: t["Value"] for t in properties["Tags"]}


def task(*containers: dict[str, Any], **task_level: Any) -> dict[str, Any]:
    """Return an inline task definition in ecs.json shape (default: 256 cpu, 512 MiB)."""
    return {"containerDefinitions": list(containers), "cpu": "256", "memory": "512", **task_level}


def web(**properties: Any) -> dict[str, Any]:
    """Return the web container of config/apps/web/ecs.json's shape, with ``properties`` changed."""
    return {"name": "web", "image": f"{ECR_IMAGE}:v1", "essential": True,
            "portMappings": [{"containerPort": 8080}], "memoryReservation": 256, **properties}




# ---- EC2 ---------------------------------------------------------------------------------------

def test_version_ec2_task_uses_bridge_networking_with_dynamic_host_ports():
    template = render()

    task_definition = props_of(template, "AWS::ECS::TaskDefinition")
    assert task_definition["NetworkMode"] == "bridge"
    assert task_definition["RequiresCompatibilities"] == ["EC2"]
    assert task_definition["Family"] == "web_dev"
    assert containers_of(template)["web"]["PortMappings"] == [
        {"ContainerPort": 8080, "HostPort": 0, "Protocol": "tcp"}]


def test_version_ec2_service_spreads_over_zones_then_binpacks_memory_without_awsvpc():
    service = props_of(render(), "AWS::ECS::Service")

    assert service["PlacementStrategies"] == [
        {"Type": "spread", "Field": "attribute:ecs.availability-zone"},
        {"Type": "binpack", "Field": "memory"},
    ]
    assert "NetworkConfiguration" not in service
    assert "LaunchType" not in service  # the cluster's default capacity provider strategy decides


def test_version_service_runs_the_target_container_behind_its_target_group():
    template = render(DesiredCount=3)

    service = props_of(template, "AWS::ECS::Service")
    assert service["ServiceName"] == "web_v1"
    assert service["Cluster"] == BASE["ClusterName"]
    assert service["TaskDefinition"] == {"Ref": naming.TASK_DEFINITION}
    assert service["DesiredCount"] == 3
    assert service["LoadBalancers"] == [
        {"ContainerName": "web", "ContainerPort": 8080, "TargetGroupArn": {"Ref": naming.TARGET_GROUP}}]
    # ECS refuses a target group that no listener rule uses yet.
    assert template["Resources"][naming.SERVICE]["DependsOn"] == [naming.LISTENER_RULE, naming.TEST_RULE]


def test_version_ec2_target_group_registers_instances_with_the_specs_health_check():
    # given health-check settings that differ from every default
    variables = {
        "HealthCheckPath": "/status/ready", "HealthCheckIntervalSeconds": 20, "HealthCheckTimeoutSeconds": 4,
        "HealthyThresholdCount": 3, "UnhealthyThresholdCount": 5, "HealthCheckMatcher": "200",
        "HealthCheckGracePeriodSeconds": 90, "DeregistrationDelaySeconds": 45,
    }

    # when
    template = render(**variables)

    # then
    target_group = props_of(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert target_group["TargetType"] == "instance"
    assert target_group["VpcId"] == BASE["VpcId"]
    assert (target_group["Protocol"], target_group["HealthCheckPort"]) == ("HTTP", "traffic-port")
    assert target_group["HealthCheckPath"] == "/status/ready"
    assert target_group["HealthCheckIntervalSeconds"] == 20
    assert target_group["HealthCheckTimeoutSeconds"] == 4
    assert target_group["HealthyThresholdCount"] == 3
    assert target_group["UnhealthyThresholdCount"] == 5
    assert target_group["Matcher"] == {"HttpCode": "200"}
    assert target_group["TargetGroupAttributes"] == [
        {"Key": "deregistration_delay.timeout_seconds", "Value": "45"}]
    assert props_of(template, "AWS::ECS::Service")["HealthCheckGracePeriodSeconds"] == 90


def test_version_target_group_defaults_deregistration_delay_to_30_seconds():
    target_group = props_of(render(), "AWS::ElasticLoadBalancingV2::TargetGroup")

    assert target_group["TargetGroupAttributes"] == [
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
    assert target_group["HealthCheckPath"] == "/health"


def test_version_host_rule_forwards_the_versions_own_host_at_the_given_priority():
    rule = render(RulePriority=17)["Resources"][naming.LISTENER_RULE]["Properties"]

    assert rule["ListenerArn"] == LISTENER_ARN
    assert rule["Priority"] == 17
    assert rule["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["v1.web.dev.example.com"]}}]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": naming.TARGET_GROUP}}]


@pytest.mark.parametrize(("circuit_breaker", "expected"), [(None, True), (True, True), (False, False)],
                         ids=["default", "on", "off"])
def test_version_circuit_breaker_stops_and_rolls_back_failing_deployments(circuit_breaker: bool | None,
                                                                          expected: bool):
    variables = {} if circuit_breaker is None else {"CircuitBreaker": circuit_breaker}

    deployment = props_of(render(**variables), "AWS::ECS::Service")["DeploymentConfiguration"]

    assert deployment["DeploymentCircuitBreaker"] == {"Enable": expected, "Rollback": expected}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)


def test_version_resources_are_tagged_with_app_environment_and_version():
    template = render(Tags={"team": "payments"})

    expected = {contract.TAG_APP: "web", contract.TAG_ENVIRONMENT: "dev", contract.TAG_VERSION: "v1",
                "team": "payments"}
    assert tags_of(props_of(template, "AWS::ECS::TaskDefinition")) == expected
    assert tags_of(props_of(template, "AWS::ElasticLoadBalancingV2::TargetGroup")) == expected
    service = props_of(template, "AWS::ECS::Service")
    assert tags_of(service) == {**expected, contract.TAG_AUTOSCALING: "off"}
    assert service["PropagateTags"] == "SERVICE"


def test_version_containers_log_to_the_cluster_log_group_with_awslogs():
    container = containers_of(render())["web"]

    assert container["LogConfiguration"] == {
        "LogDriver": "awslogs",
        "Options": {"awslogs-group": LOG_GROUP, "awslogs-region": {"Ref": "AWS::Region"},
                    "awslogs-stream-prefix": "web/v1"},
    }


def test_version_outputs_its_version_and_its_own_url():
    outputs = render()["Outputs"]

    assert outputs["Version"]["Value"] == "v1"
    assert outputs["Url"]["Value"] == "https://v1.web.dev.example.com"
    assert outputs["App"]["Value"] == "web"
    assert outputs["ServiceName"]["Value"] == {"Fn::GetAtt": [naming.SERVICE, "Name"]}
    assert outputs["TargetGroupArn"]["Value"] == {"Ref": naming.TARGET_GROUP}
    assert outputs["HostRuleArn"]["Value"] == {"Ref": naming.LISTENER_RULE}


def test_version_without_autoscaling_has_no_scaling_resources():
    template = render()

    assert not [r for r in template["Resources"].values()
                if r["Type"].startswith("AWS::ApplicationAutoScaling::")]


# ---- Fargate -----------------------------------------------------------------------------------

def test_version_fargate_task_uses_awsvpc_with_host_port_equal_to_container_port():
    # given a host port that awsvpc cannot honour
    containers = [web(portMappings=[{"containerPort": 8080, "hostPort": 0}])]

    # when
    template = render(**FARGATE, TaskDefinition=task(*containers, cpu="512", memory="1024"))

    # then
    task_definition = props_of(template, "AWS::ECS::TaskDefinition")
    assert task_definition["NetworkMode"] == "awsvpc"
    assert task_definition["RequiresCompatibilities"] == ["FARGATE"]
    assert (task_definition["Cpu"], task_definition["Memory"]) == ("512", "1024")
    assert containers_of(template)["web"]["PortMappings"] == [
        {"ContainerPort": 8080, "HostPort": 8080, "Protocol": "tcp"}]


def test_version_fargate_target_group_registers_task_ips():
    target_group = props_of(render(**FARGATE), "AWS::ElasticLoadBalancingV2::TargetGroup")

    assert target_group["TargetType"] == "ip"


def test_version_fargate_service_runs_in_the_cluster_subnets_without_public_ips():
    service = props_of(render(**FARGATE), "AWS::ECS::Service")

    assert service["NetworkConfiguration"] == {"AwsvpcConfiguration": {
        "Subnets": SUBNETS, "SecurityGroups": [CONTAINER_SG], "AssignPublicIp": "DISABLED"}}
    assert "PlacementStrategies" not in service


# ---- autoscaling -------------------------------------------------------------------------------

def test_version_autoscaling_tracks_average_cpu_between_min_and_max_tasks():
    template = render(**FARGATE, Autoscaling=True, AutoscalingMinCapacity=2, AutoscalingMaxCapacity=8,
                      AutoscalingTargetCpuPercent=70)

    target = props_of(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 8)
    assert target["ServiceNamespace"] == "ecs"
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert target["ResourceId"] == {"Fn::Sub": ["service/${Cluster}/${Name}", {
        "Cluster": BASE["ClusterName"], "Name": {"Fn::GetAtt": [naming.SERVICE, "Name"]}}]}
    policy = props_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["ScalingTargetId"] == {"Ref": naming.SCALABLE_TARGET}
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 70.0
    assert tracking["PredefinedMetricSpecification"] == {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert tags_of(props_of(template, "AWS::ECS::Service"))[contract.TAG_AUTOSCALING] == "on"


# ---- task definition input ---------------------------------------------------------------------

def test_version_task_definition_file_substitutes_app_version_and_environment(tmp_path: Path):
    # given an ecs.json with placeholders, and a shell variable that is not ours
    file = tmp_path / "ecs.json"
    file.write_text(json.dumps(task(web(
        image=f"{ECR_IMAGE}:${{Version}}",
        environment=[{"name": "APP", "value": "${App}"}, {"name": "ENV", "value": "${Environment}"},
                     {"name": "SHELL_HOME", "value": "${HOME}"}],
    ))))

    # when
    container = containers_of(render(Version="42-b4c1e", TaskDefinitionFile=str(file)))["web"]

    # then
    assert container["Image"] == f"{ECR_IMAGE}:42-b4c1e"
    assert container["Environment"] == [{"Name": "APP", "Value": "web"}, {"Name": "ENV", "Value": "dev"},
                                        {"Name": "SHELL_HOME", "Value": "${HOME}"}]


def test_version_example_ecs_json_renders_with_the_version_in_image_and_environment():
    container = containers_of(render(Version="v7"))["web"]

    assert container["Image"] == f"{ECR_IMAGE}:v7"
    assert container["Environment"] == [{"Name": "APP_ENV", "Value": "dev"}, {"Name": "APP_VERSION", "Value": "v7"}]
    assert container["MemoryReservation"] == 256


def test_version_container_definitions_turn_ecs_camel_case_into_cloudformation_pascal_case():
    container = web(
        linuxParameters={"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        healthCheck={"command": ["CMD-SHELL", "curl -f http://localhost:8080/health"], "startPeriod": 10},
        readonlyRootFilesystem=True,
        ulimits=[{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
        secrets=[{"name": "DB_PASSWORD", "valueFrom": "/dev/web/db-password"}],
    )

    rendered = containers_of(render(TaskDefinition=task(container)))["web"]

    assert rendered["LinuxParameters"] == {"InitProcessEnabled": True, "Capabilities": {"Drop": ["ALL"]}}
    assert rendered["HealthCheck"] == {"Command": ["CMD-SHELL", "curl -f http://localhost:8080/health"],
                                       "StartPeriod": 10}
    assert rendered["ReadonlyRootFilesystem"] is True
    assert rendered["Ulimits"] == [{"Name": "nofile", "SoftLimit": 1024, "HardLimit": 4096}]
    assert rendered["Secrets"] == [{"Name": "DB_PASSWORD", "ValueFrom": "/dev/web/db-password"}]
    assert rendered["Essential"] is True


def test_version_user_keys_of_log_options_and_docker_labels_are_kept_as_written():
    # given the user's own log configuration and labels, whose keys are not property names
    log_configuration = {"logDriver": "awslogs", "options": {
        "awslogs-group": "/custom/web", "awslogs-region": "ap-southeast-2",
        "awslogs-stream-prefix": "custom", "mode": "non-blocking", "max-buffer-size": "4m"}}
    container = web(logConfiguration=log_configuration, dockerLabels={"com.example.team": "payments"})

    # when
    rendered = containers_of(render(TaskDefinition=task(container)))["web"]

    # then the keys are untouched and the default awslogs configuration does not replace the user's
    assert rendered["LogConfiguration"] == {"LogDriver": "awslogs", "Options": log_configuration["options"]}
    assert rendered["DockerLabels"] == {"com.example.team": "payments"}


def test_version_task_volumes_turn_ecs_camel_case_into_cloudformation_pascal_case():
    definition = task(web(mountPoints=[{"sourceVolume": "scratch", "containerPath": "/data"}]),
                      volumes=[{"name": "scratch", "host": {"sourcePath": "/srv/scratch"}}])

    template = render(TaskDefinition=definition)

    assert props_of(template, "AWS::ECS::TaskDefinition")["Volumes"] == [
        {"Name": "scratch", "Host": {"SourcePath": "/srv/scratch"}}]
    assert containers_of(template)["web"]["MountPoints"] == [{"SourceVolume": "scratch", "ContainerPath": "/data"}]


def test_version_efs_volumes_in_ecs_api_shape_are_accepted():
    volume = {"name": "shared", "efsVolumeConfiguration": {
        "fileSystemId": "fs-0a1b2c3d", "transitEncryption": "ENABLED", "authorizationConfig": {"iam": "ENABLED"}}}

    template = render(TaskDefinition=task(web(), volumes=[volume]))

    (rendered,) = props_of(template, "AWS::ECS::TaskDefinition")["Volumes"]
    assert rendered["EFSVolumeConfiguration"] == {
        "FilesystemId": "fs-0a1b2c3d", "TransitEncryption": "ENABLED", "AuthorizationConfig": {"IAM": "ENABLED"}}


def test_version_image_replaces_only_the_target_containers_image():
    sidecar = {"name": "envoy", "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1", "memoryReservation": 64}

    containers = containers_of(render(Image=f"{ECR_IMAGE}:build-42", TaskDefinition=task(sidecar, web())))

    assert containers["web"]["Image"] == f"{ECR_IMAGE}:build-42"
    assert containers["envoy"]["Image"] == sidecar["image"]


def test_version_load_balancer_targets_the_first_container_with_a_port_mapping():
    # given a sidecar without ports listed before the web container
    sidecar = {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
               "memoryReservation": 64}

    service = props_of(render(TaskDefinition=task(sidecar, web())), "AWS::ECS::Service")

    assert service["LoadBalancers"][0]["ContainerName"] == "web"
    assert service["LoadBalancers"][0]["ContainerPort"] == 8080


def test_version_container_name_and_port_pick_the_load_balancer_target():
    admin = {"name": "admin", "image": "nginx:1.27", "memoryReservation": 64,
             "portMappings": [{"containerPort": 8081}, {"containerPort": 9090}]}

    service = props_of(render(TaskDefinition=task(web(), admin), ContainerName="admin", ContainerPort=9090),
                       "AWS::ECS::Service")

    assert service["LoadBalancers"][0]["ContainerName"] == "admin"
    assert service["LoadBalancers"][0]["ContainerPort"] == 9090


# ---- IAM ---------------------------------------------------------------------------------------

def test_version_execution_role_writes_logs_only_to_the_cluster_log_group():
    statement = statement_with(execution_statements(render()), "logs:PutLogEvents")

    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [{"Fn::Sub": [
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:*",
        {"Group": LOG_GROUP}]}]


def test_version_execution_role_pulls_only_from_the_repository_of_an_ecr_image():
    statements = execution_statements(render())

    pull = statement_with(statements, "ecr:BatchGetImage")
    assert pull["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    assert pull["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:ecr:ap-southeast-2:123456789012:repository/web"}]
    # GetAuthorizationToken has no resource-level permissions; it is the one "*".
    assert statement_with(statements, "ecr:GetAuthorizationToken")["Resource"] == ["*"]


def test_version_execution_role_has_no_ecr_permissions_for_a_public_image():
    statements = execution_statements(render(TaskDefinition=task(web(image="nginx:1.27"))))

    assert not [s for s in statements if any(a.startswith("ecr:") for a in s["Action"])]


def test_version_execution_role_reads_only_the_ssm_parameters_secrets_point_to():
    # given one parameter by name and one by ARN
    arn = "arn:aws:ssm:ap-southeast-2:123456789012:parameter/dev/web/api-key"
    container = web(secrets=[{"name": "DB_PASSWORD", "valueFrom": "/dev/web/db-password"},
                             {"name": "API_KEY", "valueFrom": arn}])

    # when
    statements = execution_statements(render(TaskDefinition=task(container)))

    # then
    statement = statement_with(statements, "ssm:GetParameters")
    assert statement["Action"] == ["ssm:GetParameters"]
    assert sorted(statement["Resource"], key=json.dumps) == sorted([
        arn,
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/dev/web/db-password"},
    ], key=json.dumps)
    assert not [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]


def test_version_execution_role_reads_a_secrets_manager_secret_whatever_json_key_is_named():
    db_credentials_arn = "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:dev/web/db-AbCdEf"
    container = web(secrets=[{"name": "DB_PASSWORD", "valueFrom": f"{db_credentials_arn}:password::"}])

    statements = execution_statements(render(TaskDefinition=task(container)))

    assert statement_with(statements, "secretsmanager:GetSecretValue")["Resource"] == [f"{db_credentials_arn}*"]
    assert not [s for s in statements if "ssm:GetParameters" in s["Action"]]


def test_version_task_role_has_only_the_given_managed_policies():
    policy = "arn:aws:iam::123456789012:policy/web-s3-read"

    template = render(TaskRolePolicyArns=policy)

    role = template["Resources"][naming.TASK_ROLE]["Properties"]
    assert role["ManagedPolicyArns"] == [policy]
    assert "Policies" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


# ---- golden ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variant", "variables"), [
    ("version-ec2", {}),
    ("version-fargate-autoscaling", {**FARGATE, "Autoscaling": True}),
], ids=["ec2", "fargate-autoscaling"])
def test_version_template_matches_its_golden_file(variant: str, variables: dict[str, Any]):
    assert_matches_golden(build(**variables), variant)


def test_a_version_with_a_hosted_zone_gets_its_own_record_so_apps_share_one_zone(session):
    """Two apps' versions on one domain and zone: each version stack creates its own record (Route 53 refuses
    a second ``*.<domain>``, as the emulator now does)."""
    from emulator.world import ExampleWorld

    world = ExampleWorld.create(session)
    zone = world.seeded.hosted_zone_id
    for app in ("web", "api"):
        world.add_app(app)
        world.add_version("v1", app=app, HostedZoneId=zone, LoadBalancerDnsName=world.apps[app]["LoadBalancerDnsName"],
                          LoadBalancerHostedZoneId="Z35SXDOTRQ7X7K")
    records = session.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert {"v1.web.dev.example.com.", "v1.api.dev.example.com."} <= {r["Name"] for r in records}


@pytest.mark.parametrize(("host_priority", "test_priority"), [(3, 4), (49999, 49998)])
def test_version_has_a_test_header_rule_on_the_live_host_next_to_its_host_rule_never_at_the_live_priority(
        host_priority: int, test_priority: int):
    rule = render(RulePriority=host_priority)["Resources"][naming.TEST_RULE]["Properties"]

    assert rule["Priority"] == test_priority
    assert rule["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": [f"web.{BASE['Domain']}"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Stacker-Ecs-Version", "Values": ["v1"]}}]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": naming.TARGET_GROUP}}]
