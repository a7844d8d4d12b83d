"""Bad blueprint input is refused before anything is deployed, with a message naming the field and the fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.application import ApplicationSpec
from stacker_ecs.core.templates.cluster import ClusterSpec
from stacker_ecs.core.templates.version import VersionSpec, check_task, load_task

WHERE = "stack 'app-web-V-v1' (Version blueprint)"
TASK = {
    "containerDefinitions": [{"name": "web", "image": "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/web:v1",
                              "portMappings": [{"containerPort": 8080}], "memoryReservation": 256}],
    "cpu": "256",
    "memory": "512",
}
VERSION = {
    "App": "web", "Version": "v1", "Environment": "dev", "ClusterName": "ecs-dev-Cluster-1A2B3C4D5E6F",
    "VpcId": "vpc-0a1b2c3d4e5f60718", "LogGroupName": "/ecs/ecs-dev-cluster",
    "ListenerArn": "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/lb/1/2",
    "Domain": "dev.example.com", "RulePriority": 10, "TaskDefinition": TASK,
}
FARGATE = {"LaunchType": "FARGATE", "Subnets": "subnet-0a1b2c3d4e5f60711",
           "ContainerSecurityGroupId": "sg-0a1b2c3d4e5f60718"}
APPLICATION = {
    "App": "web", "Environment": "dev", "ClusterName": "ecs-dev-Cluster-1A2B3C4D5E6F",
    "VpcId": "vpc-0a1b2c3d4e5f60718", "Subnets": "subnet-0a1b2c3d4e5f60721,subnet-0a1b2c3d4e5f60722",
    "SharedLoadBalancerSecurityGroupId": "sg-0a1b2c3d4e5f60719",
    "CertificateArn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/4013c1bc-a532-4fcc-9f90-742d90031060",
    "Domain": "dev.example.com",
}
CLUSTER = {"Environment": "dev", "VpcId": "vpc-0a1b2c3d4e5f60718", "Subnets": "subnet-0a1b2c3d4e5f60711"}
DROP = object()  # a variable value meaning "leave this variable out"


def task_with(task: dict[str, Any] | None = None, **container: Any) -> dict[str, Any]:
    """Return TASK with task-level keys from ``task`` and the web container's keys from ``container``."""
    result = copy.deepcopy(TASK)
    for key, value in (task or {}).items():
        if value is DROP:
            del result[key]
        else:
            result[key] = value
    result["containerDefinitions"][0].update(container)
    return result


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``changes`` applied; a DROP value removes the variable."""
    result = {**base, **changes}
    return {k: v for k, v in result.items() if v is not DROP}


def check_version(changes: dict[str, Any]) -> Callable[[Path], Any]:
    """Return an attempt to validate a version stack: its spec, then its task definition."""
    def attempt(tmp_path: Path) -> Any:
        data = merged(VERSION, {k: (v(tmp_path) if callable(v) else v) for k, v in changes.items()})
        return check_task(spec := parse(VersionSpec, data, where=WHERE), load_task(spec, where=WHERE), where=WHERE)
    return attempt


def check_application(changes: dict[str, Any]) -> Callable[[Path], Any]:
    """Return an attempt to validate an application stack's spec."""
    return lambda _tmp_path: parse(ApplicationSpec, merged(APPLICATION, changes), where=WHERE)


def check_cluster(changes: dict[str, Any]) -> Callable[[Path], Any]:
    """Return an attempt to validate a cluster stack's spec."""
    return lambda _tmp_path: parse(ClusterSpec, merged(CLUSTER, changes), where=WHERE)


def missing_file(tmp_path: Path) -> str:
    """Return the path of a file that does not exist."""
    return str(tmp_path / "apps" / "web" / "ecs.json")


def invalid_json_file(tmp_path: Path) -> str:
    """Return the path of an ecs.json cut off in the middle."""
    file = tmp_path / "ecs.json"
    file.write_text('{"containerDefinitions": [{"name": "web",')
    return str(file)


@dataclass(frozen=True)
class Bad:
    """One row of the table: the input, the field the message must name, and a hint of the fix."""

    id: str
    attempt: Callable[[Path], Any]
    names: tuple[str, ...]
    hint: str
    marks: tuple[Any, ...] = field(default=())



CASES = [
    # ---- names that end up in stack, service and host names
    Bad("version-with-underscore", check_version({"Version": "12_b4c"}),
        ("Version", "'_'"), "use lower-case letters, digits and '-'"),
    Bad("version-with-upper-case", check_version({"Version": "V42"}),
        ("Version", "'V'"), "lower-case"),
    Bad("version-with-double-dash", check_version({"Version": "42--b4c"}),
        ("Version", "'--'"), "use single '-'"),
    Bad("version-ending-with-dash", check_version({"Version": "42-"}),
        ("Version",), "end it with a letter or digit"),
    Bad("version-over-40-characters", check_version({"Version": "v" * 41}),
        ("Version",), "at most 40"),
    Bad("app-starting-with-digit", check_application({"App": "1web"}),
        ("App", "'1'"), "start it with a letter"),
    Bad("app-starting-with-digit-in-version-stack", check_version({"App": "1web"}),
        ("App",), "start it with a letter"),
    Bad("host-over-128-characters", check_version({"App": "b" * 40, "Version": "a" * 40,
                                                   "Domain": "d" * 50 + ".example.com"}),
        ("Version", "144 characters", "128"), "shorten the version or the domain"),
    # ---- health check, priority
    Bad("health-check-path-without-slash", check_version({"HealthCheckPath": "health"}),
        ("HealthCheckPath",), "write it as '/health'"),
    Bad("health-check-timeout-not-below-interval", check_version({"HealthCheckTimeoutSeconds": 15}),
        ("HealthCheckTimeoutSeconds", "HealthCheckIntervalSeconds"), "lower it"),
    Bad("rule-priority-0", check_version({"RulePriority": 0}),
        ("RulePriority",), "greater than or equal to 1"),
    Bad("rule-priority-of-the-live-rule", check_version({"RulePriority": 50000}),
        ("RulePriority",), "less than 50000"),
    # ---- which task definition
    Bad("task-definition-and-file", check_version({"TaskDefinitionFile": "config/apps/web/ecs.json"}),
        ("TaskDefinition", "TaskDefinitionFile"), "give exactly one"),
    Bad("neither-task-definition-nor-file", check_version({"TaskDefinition": DROP}),
        ("TaskDefinition", "TaskDefinitionFile"), "give exactly one"),
    Bad("task-definition-file-missing", check_version({"TaskDefinition": DROP, "TaskDefinitionFile": missing_file}),
        ("TaskDefinitionFile", "is not a file"), "fix the path"),
    Bad("task-definition-file-invalid-json",
        check_version({"TaskDefinition": DROP, "TaskDefinitionFile": invalid_json_file}),
        ("TaskDefinitionFile", "not valid JSON"), "fix the file"),
    Bad("task-definition-key-the-blueprint-sets",
        check_version({"TaskDefinition": task_with({"networkMode": "awsvpc"})}),
        ("TaskDefinition", "networkMode"), "keep only containerDefinitions"),
    # ---- variables themselves
    Bad("unknown-variable-typo", check_version({"HealthCheckPth": "/health"}),
        ("HealthCheckPth",), "check the spelling"),
    Bad("missing-required-variable", check_version({"ListenerArn": DROP}),
        ("ListenerArn", "required"), "set it"),
    # ---- sizes
    Bad("container-memory-above-task-memory", check_version({"TaskDefinition": task_with(memory=1024)}),
        ("TaskDefinition", "memory 1024 MiB"), "raise the task's 'memory'"),
    Bad("fargate-cpu-256-with-memory-4096",
        check_version({**FARGATE, "TaskDefinition": task_with({"memory": "4096"}, memoryReservation=256)}),
        ("TaskDefinition", "memory 4096", "cpu 256"), "use 512, 1024, 2048 MiB"),
    Bad("fargate-without-task-cpu", check_version({**FARGATE, "TaskDefinition": task_with({"cpu": DROP})}),
        ("TaskDefinition", "'cpu'"), "add both"),
    Bad("fargate-without-subnets", check_version({"LaunchType": "FARGATE"}),
        ("Subnets", "ContainerSecurityGroupId"), "${output cluster::Subnets}"),
    # ---- containers
    Bad("container-without-port-mapping", check_version({"TaskDefinition": task_with(portMappings=[])}),
        ("TaskDefinition", "port mapping"), "add a portMappings entry with containerPort"),
    Bad("container-name-not-in-task", check_version({"ContainerName": "api"}),
        ("ContainerName", "'api'"), "web"),
    Bad("plain-env-var-db-password",
        check_version({"TaskDefinition": task_with(environment=[{"name": "DB_PASSWORD", "value": "hunter2"}])}),
        ("TaskDefinition", "DB_PASSWORD"), "move it to 'secrets'"),
    Bad("unknown-container-property-imagee", check_version({"TaskDefinition": task_with(imagee="nginx:1.27")}),
        ("TaskDefinition", "imagee"), "ECS API's property names"),
    Bad("port-mapping-without-container-port",
        check_version({"TaskDefinition": task_with(portMappings=[{"hostPort": 8080}])}),
        ("TaskDefinition", "containerPort"), "add"),
    Bad("secret-without-value-from",
        check_version({"TaskDefinition": task_with(secrets=[{"name": "DB_PASSWORD"}])}),
        ("TaskDefinition", "valueFrom"), "add"),
    # ---- application and cluster
    Bad("domain-without-dot", check_application({"Domain": "localhost"}),
        ("Domain", "not a DNS domain"), "'dev.example.com'"),
    Bad("certificate-arn-not-from-acm",
        check_application({"CertificateArn": "arn:aws:iam::123456789012:server-certificate/web"}),
        ("CertificateArn",), ":acm:"),
    Bad("shared-load-balancer-group-not-a-group-id",
        check_application({"SharedLoadBalancerSecurityGroupId": "vpc-0a1b2c3d4e5f60718"}),
        ("SharedLoadBalancerSecurityGroupId", "'vpc-0a1b2c3d4e5f60718' is not a security group id"),
        "${output cluster::SharedLoadBalancerSecurityGroupId}"),
    Bad("application-without-shared-load-balancer-group",
        check_application({"SharedLoadBalancerSecurityGroupId": DROP}),
        ("SharedLoadBalancerSecurityGroupId", "required"), "set it"),
    Bad("application-with-the-container-group-of-an-earlier-release",
        check_application({"ContainerSecurityGroupId": "sg-0a1b2c3d4e5f60718"}),
        ("ContainerSecurityGroupId", "no longer taken"), "${output cluster::SharedLoadBalancerSecurityGroupId}"),
    Bad("application-with-container-ports-of-an-earlier-release", check_application({"ContainerPorts": [1, 65535]}),
        ("ContainerPorts", "no longer taken"), "on the cluster stack"),
    Bad("container-ports-reversed", check_cluster({"ContainerPorts": [9000, 8000]}),
        ("ContainerPorts", "not a port range"), "1 <= from <= to <= 65535"),
    Bad("capacity-ecs", check_cluster({"Capacity": "ecs"}),
        ("Capacity", "'ecs'"), "'ec2' or 'fargate'"),
]


@pytest.mark.parametrize("case", [pytest.param(c, marks=c.marks) for c in CASES], ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_config_error_naming_the_field_and_the_fix(case: Bad, tmp_path: Path):
    # when
    with pytest.raises(ConfigError) as caught:
        case.attempt(tmp_path)

    # then the message says where, then names the field and the fix (checked without the "where" part)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: "), message
    problem = message.removeprefix(f"{WHERE}: ")
    for name in case.names:
        assert name in problem, f"{name!r} not in: {message}"
    assert case.hint in problem, f"hint {case.hint!r} not in: {message}"


def test_bad_input_problems_are_all_reported_at_once():
    data = {**VERSION, "Version": "12_b4c", "RulePriority": 0, "HealthCheckPth": "/health"}

    with pytest.raises(ConfigError) as caught:
        parse(VersionSpec, data, where=WHERE)

    assert len(caught.value.problems) == 3
    assert "3 problems" in str(caught.value)
    assert [p.split(":", 1)[0] for p in caught.value.problems] == ["Version", "RulePriority", "HealthCheckPth"]


@pytest.mark.parametrize(("variable", "value"), [("Version", 42), ("RulePriority", "12"), ("DesiredCount", "3")],
                         ids=["numeric-version", "priority-from-lookup", "desired-count-from-lookup"])
def test_bad_input_strings_lookups_return_are_not_mistaken_for_bad_input(variable: str, value: Any):
    spec = parse(VersionSpec, {**VERSION, variable: value}, where=WHERE)

    assert str(getattr(spec, {"Version": "version", "RulePriority": "rule_priority",
                              "DesiredCount": "desired_count"}[variable])) == str(value)


def test_a_version_host_longer_than_a_load_balancer_rule_takes_is_refused():
    domain = ".".join(["d" * 60, "e" * 60, "example.com"])  # 60 + 60 + 11 + dots: the host passes 128
    with pytest.raises(ConfigError, match=r"host '.*' is 1\d\d characters, above the load balancer's 128"):
        parse(VersionSpec, {"App": "web", "Version": "v1", "Environment": "dev", "ClusterName": "c", "VpcId": "vpc-1",
                            "LogGroupName": "l", "ListenerArn": "arn", "Domain": domain, "RulePriority": 1,
                            "TaskDefinition": {"containerDefinitions": []}}, where="v1")


def test_ipv6_ingress_ranges_become_cidr_ipv6_rules():
    from stacker_ecs.core.templates.application import build_application

    spec = parse(ApplicationSpec, {"App": "web", "Environment": "dev", "ClusterName": "c", "VpcId": "vpc-1",
                                   "Subnets": "subnet-1,subnet-2",
                                   "SharedLoadBalancerSecurityGroupId": "sg-0a1b2c3d4e5f60719",
                                   "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                                   "Domain": "dev.example.com", "IngressCidrs": "0.0.0.0/0,::/0"}, where="web")
    rules = build_application(spec).to_dict()["Resources"]["LoadBalancerInboundSecurityGroup"]["Properties"][
        "SecurityGroupIngress"]
    assert sorted((r.get("CidrIp", "-"), r.get("CidrIpv6", "-"), r["FromPort"]) for r in rules) == [
        ("-", "::/0", 80), ("-", "::/0", 443), ("0.0.0.0/0", "-", 80), ("0.0.0.0/0", "-", 443)]
