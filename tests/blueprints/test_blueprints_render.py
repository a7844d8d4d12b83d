"""The stacker blueprints, rendered through stacker's own Context, Stack and Blueprint machinery (no AWS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import PydanticUndefined
from stacker.config import Config, render_parse_load
from stacker.context import Context
from stacker.environment import parse_environment
from stacker.stack import Stack
from stacker.variables import Variable

from stacker_ecs.blueprints.application import Application
from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.blueprints.cluster import Cluster
from stacker_ecs.blueprints.version import Version
from stacker_ecs.core import contract, naming
from stacker_ecs.core.blueprint import ADAPTER_VARIABLES, BLUEPRINTS
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.fingerprint import fingerprint
from stacker_ecs.core.model import field_docs
from stacker_ecs.core.ownership import read_sources

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "ecs-dev"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
CONTAINER_SG = "sg-0a1b2c3d4e5f60718"
SHARED_LB_SG = "sg-0a1b2c3d4e5f60719"
LISTENER_ARN = ("arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/"
                "ecs-de-LoadB-1A2B3C4D5E6F/50dc6c495c0c9188/f2f7dc8efc522ab2")
CLUSTER_VARIABLES = {"Environment": "dev", "VpcId": VPC_ID,
                     "Subnets": "subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60712", "Capacity": "ec2"}
APPLICATION_VARIABLES = {
    "App": "web", "Environment": "dev", "ClusterName": "ecs-dev-cluster-Cluster-1A2B3C4D5E6F", "VpcId": VPC_ID,
    "SharedLoadBalancerSecurityGroupId": SHARED_LB_SG, "Subnets": "subnet-0a1b2c3d4e5f60721,subnet-0a1b2c3d4e5f60722",
    "CertificateArn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/4013c1bc-a532-4fcc-9f90-742d90031060",
    "Domain": "dev.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
}


def sources(namespace: str = NAMESPACE, app: str = "web", **outputs: str) -> str:
    """Return the ``${ecs_sources <app>}`` answer for a namespace whose stacks hold these constants."""
    cluster = {"ClusterName": "ecs-dev-cluster-Cluster-1A2B3C4D5E6F", "VpcId": VPC_ID,
               "Subnets": "subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60712", "ContainerSecurityGroupId": CONTAINER_SG,
               "LogGroupName": "/ecs/ecs-dev-cluster", "Namespace": namespace}
    application = {"ListenerArn": LISTENER_ARN, "Domain": "dev.example.com", "App": app, "Namespace": namespace}
    for name, value in outputs.items():
        (application if name in application else cluster)[name] = value
    return json.dumps(read_sources([], cluster, application, namespace=namespace, app=app))


VERSION_VARIABLES = {
    "App": "web", "Version": "v1", "Environment": "dev", "ClusterName": "ecs-dev-cluster-Cluster-1A2B3C4D5E6F",
    "LaunchType": "EC2", "VpcId": VPC_ID, "LogGroupName": "/ecs/ecs-dev-cluster", "ListenerArn": LISTENER_ARN,
    "Domain": "dev.example.com", "RulePriority": "3", "DesiredCount": "2",
    "TaskDefinitionFile": str(ROOT / "config" / "apps" / "web" / "ecs.json"), "HealthCheckPath": "/health",
    "Sources": sources(),
}
CLASS_PATHS = {
    Cluster: "stacker_ecs.blueprints.cluster.Cluster",
    Application: "stacker_ecs.blueprints.application.Application",
    Version: "stacker_ecs.blueprints.version.Version",
}
# What the example config's ${output ...} and stacker_ecs lookups would return for config/dev.env.
RESOLVED_LOOKUPS = {
    "ClusterName": "ecs-dev-cluster-Cluster-1A2B3C4D5E6F",
    "LaunchType": "EC2",
    "VpcId": VPC_ID,
    "Subnets": "subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60712",
    "ContainerSecurityGroupId": CONTAINER_SG,
    "SharedLoadBalancerSecurityGroupId": SHARED_LB_SG,
    "LogGroupName": "/ecs/ecs-dev-cluster",
    "ListenerArn": LISTENER_ARN,
    "Domain": "dev.example.com",
    "RulePriority": "1",
    "DesiredCount": "0",
    "Deployed": "absent:",
    "Sources": sources(),
}


def stack_definition(name: str, blueprint: type[SpecBlueprint], variables: dict[str, Any],
                     **extra: Any) -> dict[str, Any]:
    """Return one ``stacks:`` entry of a stacker config."""
    return {"name": name, "class_path": CLASS_PATHS[blueprint], "variables": variables, **extra}


def stacker_stack(definition: dict[str, Any], namespace: str = NAMESPACE) -> Stack:
    """Return the stacker Stack of ``definition`` in a config holding only it."""
    config = Config({"namespace": namespace, "stacker_bucket": "", "stacks": [definition]})
    context = Context(environment={"namespace": namespace, "environment": "dev"}, config=config)
    return Stack(config.stacks[0], context)


def render(definition: dict[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """Resolve the stack's variables and render its blueprint, as ``stacker build`` does; return the template."""
    stack = stacker_stack(definition, namespace)
    stack.blueprint.resolve_variables(stack.variables)
    _version, rendered = stack.blueprint.render_template()
    return json.loads(rendered)


def types_of(template: dict[str, Any]) -> dict[str, str]:
    """Return logical ID -> resource type."""
    return {logical_id: r["Type"] for logical_id, r in template["Resources"].items()}


# ---- rendering ---------------------------------------------------------------------------------

def test_blueprint_cluster_renders_ec2_capacity_through_stacker():
    template = render(stack_definition("cluster", Cluster, CLUSTER_VARIABLES))

    assert types_of(template) == {
        naming.CLUSTER: "AWS::ECS::Cluster",
        naming.CLUSTER_LOG_GROUP: "AWS::Logs::LogGroup",
        naming.CONTAINER_SECURITY_GROUP: "AWS::EC2::SecurityGroup",
        naming.SHARED_LOAD_BALANCER_SECURITY_GROUP: "AWS::EC2::SecurityGroup",
        naming.CONTAINER_INGRESS: "AWS::EC2::SecurityGroupIngress",
        naming.INSTANCE_ROLE: "AWS::IAM::Role",
        naming.INSTANCE_PROFILE: "AWS::IAM::InstanceProfile",
        naming.LAUNCH_TEMPLATE: "AWS::EC2::LaunchTemplate",
        naming.AUTO_SCALING_GROUP: "AWS::AutoScaling::AutoScalingGroup",
        naming.CAPACITY_PROVIDER: "AWS::ECS::CapacityProvider",
        naming.CAPACITY_PROVIDER_ASSOCIATIONS: "AWS::ECS::ClusterCapacityProviderAssociations",
        naming.COORDINATION_TABLE: "AWS::DynamoDB::Table",
    }
    assert template["Outputs"]["LaunchType"]["Value"] == "EC2"


def test_blueprint_cluster_renders_fargate_without_instances():
    template = render(stack_definition("cluster", Cluster, {**CLUSTER_VARIABLES, "Capacity": "fargate"}))

    assert set(types_of(template)) == {naming.CLUSTER, naming.CLUSTER_LOG_GROUP, naming.CONTAINER_SECURITY_GROUP,
                                       naming.SHARED_LOAD_BALANCER_SECURITY_GROUP, naming.CONTAINER_INGRESS,
                                       naming.CAPACITY_PROVIDER_ASSOCIATIONS, naming.COORDINATION_TABLE}
    assert template["Outputs"]["LaunchType"]["Value"] == "FARGATE"


def test_blueprint_application_renders_load_balancer_listeners_and_dns():
    template = render(stack_definition("app-web", Application, APPLICATION_VARIABLES))

    assert types_of(template) == {
        naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP: "AWS::EC2::SecurityGroup",
        naming.LOAD_BALANCER: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        naming.HTTPS_LISTENER: "AWS::ElasticLoadBalancingV2::Listener",
        naming.HTTP_LISTENER: "AWS::ElasticLoadBalancingV2::Listener",
        naming.APP_RECORD: "AWS::Route53::RecordSet",
        naming.WILDCARD_RECORD: "AWS::Route53::RecordSet",
    }
    # nothing on the cluster's container group: the load balancer carries the environment's shared group
    assert CONTAINER_SG not in json.dumps(template)
    assert template["Resources"][naming.LOAD_BALANCER]["Properties"]["SecurityGroups"] == [
        {"Ref": naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP}, SHARED_LB_SG]


def test_blueprint_version_renders_task_service_and_host_rule_from_lookup_strings():
    # given RulePriority and DesiredCount as the strings lookups return
    template = render(stack_definition("app-web-V-v1", Version, VERSION_VARIABLES))

    assert types_of(template) == {
        naming.TASK_DEFINITION: "AWS::ECS::TaskDefinition",
        naming.EXECUTION_ROLE: "AWS::IAM::Role",
        naming.TASK_ROLE: "AWS::IAM::Role",
        naming.TARGET_GROUP: "AWS::ElasticLoadBalancingV2::TargetGroup",
        naming.LISTENER_RULE: "AWS::ElasticLoadBalancingV2::ListenerRule",
        naming.TEST_RULE: "AWS::ElasticLoadBalancingV2::ListenerRule",
        naming.SERVICE: "AWS::ECS::Service",
    }
    assert template["Resources"][naming.LISTENER_RULE]["Properties"]["Priority"] == 3
    assert template["Resources"][naming.TEST_RULE]["Properties"]["Priority"] == 4
    assert template["Resources"][naming.SERVICE]["Properties"]["DesiredCount"] == 2


def test_blueprint_version_with_autoscaling_adds_the_scaling_resources():
    template = render(stack_definition("app-web-V-v1", Version, {**VERSION_VARIABLES, "Autoscaling": True}))

    assert types_of(template)[naming.SCALABLE_TARGET] == "AWS::ApplicationAutoScaling::ScalableTarget"
    assert types_of(template)[naming.SCALING_POLICY] == "AWS::ApplicationAutoScaling::ScalingPolicy"


def test_blueprint_stack_name_set_with_stack_name_is_accepted():
    template = render(stack_definition("web", Version, VERSION_VARIABLES, stack_name="app-web-V-v1"))

    assert naming.SERVICE in template["Resources"]


def test_blueprint_example_config_renders_every_stack_once_lookups_are_resolved(monkeypatch: pytest.MonkeyPatch):
    # given config/stacker-Dev.yml with config/dev.env, run from the repository root as the README says,
    # as web-admin's pipeline runs it (-e app=web-admin -e version=v1)
    monkeypatch.chdir(ROOT)
    environment = parse_environment((ROOT / "config" / "dev.env").read_text())
    environment.update(app="web-admin", version="v1", deploy="true")
    config = render_parse_load((ROOT / "config" / "stacker-Dev.yml").read_text(), environment)
    context = Context(environment=environment, config=config)

    # when every ${output ...} and stacker_ecs lookup is replaced by what it would return
    rendered = {}
    for stack in context.get_stacks():
        app = "web-admin" if "web-admin" in stack.name else "web"
        answers = {**RESOLVED_LOOKUPS, "Sources": sources(app=app)}
        variables = [v if v.resolved else Variable(v.name, answers[v.name]) for v in stack.variables]
        stack.blueprint.resolve_variables(variables)
        rendered[stack.fqn] = json.loads(stack.blueprint.render_template()[1])

    # then the stacks carry the names hooks and lookups look for, and each renders its resources
    assert list(rendered) == [naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, "web"),
                              naming.application_stack(NAMESPACE, "web-admin"),
                              naming.version_stack(NAMESPACE, "web-admin", "v1")]
    assert naming.CAPACITY_PROVIDER in rendered["ecs-dev-cluster"]["Resources"]
    assert naming.APP_RECORD in rendered["ecs-dev-app-web"]["Resources"]
    version = rendered["ecs-dev-app-web-admin-V-v1"]["Resources"]
    rule = version[naming.LISTENER_RULE]["Properties"]
    assert rule["Conditions"][0]["HostHeaderConfig"]["Values"] == ["v1.web-admin.dev.example.com"]
    # and web-admin's config/apps/web-admin/version.yaml wins over the cluster's launch type
    assert version[naming.TASK_DEFINITION]["Properties"]["RequiresCompatibilities"] == ["FARGATE"]
    assert version[naming.TARGET_GROUP]["Properties"]["HealthCheckPath"] == "/admin/health"
    assert "Fingerprint" in rendered["ecs-dev-app-web-admin-V-v1"]["Outputs"]
    assert version[naming.SERVICE]["Properties"]["DesiredCount"] == 0


# ---- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("blueprint", "variables", "typo"), [
    (Cluster, CLUSTER_VARIABLES, "Capacityy"),
    (Application, APPLICATION_VARIABLES, "HostedZone"),
    (Version, VERSION_VARIABLES, "HealthCheckPth"),
], ids=["cluster", "application", "version"])
def test_blueprint_unknown_variable_is_refused_naming_it(blueprint: type[SpecBlueprint], variables: dict[str, Any],
                                                        typo: str):
    # given a variable stacker itself would silently drop
    stack = stacker_stack(stack_definition("any", blueprint, {**variables, typo: "x"}))

    # when
    with pytest.raises(ConfigError) as caught:
        stack.blueprint.resolve_variables(stack.variables)

    # then
    message = str(caught.value)
    assert f"{typo}: unknown variable" in message
    assert "check the spelling" in message
    assert f"({blueprint.__name__} blueprint)" in message


def test_blueprint_missing_required_variable_is_refused_naming_it_and_the_fix():
    variables = {k: v for k, v in VERSION_VARIABLES.items() if k != "ListenerArn"}
    stack = stacker_stack(stack_definition("app-web-V-v1", Version, variables))

    with pytest.raises(ConfigError, match="ListenerArn: required but not given; set it in the stack's variables"):
        stack.blueprint.resolve_variables(stack.variables)


def test_blueprint_invalid_value_is_refused_when_rendering_with_the_stack_named():
    stack = stacker_stack(stack_definition("app-web-V-12_b4c", Version, {**VERSION_VARIABLES, "Version": "12_b4c"}))
    stack.blueprint.resolve_variables(stack.variables)

    with pytest.raises(ConfigError) as caught:
        stack.blueprint.render_template()

    assert str(caught.value).startswith("stack 'app-web-V-12_b4c' (Version blueprint): Version: '12_b4c' has '_'")


@pytest.mark.parametrize(("name", "blueprint", "variables", "expected"), [
    ("web-V-v1", Version, VERSION_VARIABLES, "app-web-V-v1"),
    ("app-web-V-v2", Version, VERSION_VARIABLES, "app-web-V-v1"),
    ("web", Application, APPLICATION_VARIABLES, "app-web"),
    ("ecs-cluster", Cluster, CLUSTER_VARIABLES, "cluster"),
], ids=["version-without-app-prefix", "version-name-of-another-version", "application", "cluster"])
def test_blueprint_stack_named_otherwise_is_refused_with_the_name_to_use(
        name: str, blueprint: type[SpecBlueprint], variables: dict[str, Any], expected: str):
    # given a stack whose CloudFormation name hooks and lookups would not find
    stack = stacker_stack(stack_definition(name, blueprint, variables))
    stack.blueprint.resolve_variables(stack.variables)

    # when
    with pytest.raises(ConfigError) as caught:
        stack.blueprint.render_template()

    # then
    message = str(caught.value)
    assert f"deployed as '{NAMESPACE}-{name}'" in message
    assert f"find this stack as '{NAMESPACE}-{expected}'" in message
    assert f"name the stack '{expected}' in the config" in message


def test_blueprint_without_namespace_is_refused_saying_to_set_it():
    stack = stacker_stack(stack_definition("cluster", Cluster, CLUSTER_VARIABLES), namespace="")
    stack.blueprint.resolve_variables(stack.variables)

    with pytest.raises(ConfigError, match=r"namespace: empty; .* set 'namespace' in the config"):
        stack.blueprint.render_template()


# ---- VARIABLES ---------------------------------------------------------------------------------

@pytest.mark.parametrize("blueprint", [Cluster, Application, Version])
def test_blueprint_variables_are_one_per_spec_field_described_and_defaulted_by_the_spec(
        blueprint: type[SpecBlueprint]):
    spec = BLUEPRINTS[blueprint.KIND].spec
    fields = {(f.alias or name): f for name, f in spec.model_fields.items()}
    docs = {(f.alias or name): field_docs(spec)[name] for name, f in spec.model_fields.items()}

    own = set(ADAPTER_VARIABLES.get(blueprint.KIND, ()))
    assert set(blueprint.VARIABLES) - own == set(fields)
    for name, definition in blueprint.VARIABLES.items():
        if name in own:
            assert definition.get("default") is None, name
            assert definition["description"].strip(), name
            continue
        field = fields[name]
        assert definition["type"] is object, name
        assert definition["description"].strip(), name
        assert definition["description"] == docs[name], name  # the docstring under the spec's field
        if field.is_required():
            assert "default" not in definition, f"{name} is required, so stacker must not default it"
        else:
            default = field.get_default(call_default_factory=True)
            assert definition["default"] == (None if default is PydanticUndefined else default), name


@pytest.mark.parametrize(("blueprint", "name", "default"), [
    (Cluster, "Capacity", "ec2"),
    (Cluster, "InstanceTypes", ["t3.medium", "t3a.medium", "m5.large"]),
    (Application, "Scheme", "internet-facing"),
    (Application, "SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
    (Application, "HostedZoneId", None),
    (Version, "LaunchType", "EC2"),
    (Version, "HealthCheckPath", "/"),
    (Version, "DeregistrationDelaySeconds", 30),
    (Version, "Autoscaling", False),
    (Version, "CircuitBreaker", True),
])
def test_blueprint_optional_variable_defaults_to_what_its_description_promises(
        blueprint: type[SpecBlueprint], name: str, default: Any):
    definition = blueprint.VARIABLES[name]

    assert definition["default"] == default
    assert definition["description"].startswith("Default:")


@pytest.mark.parametrize(("blueprint", "required"), [
    (Cluster, {"Environment", "VpcId", "Subnets"}),
    (Application, {"App", "Environment", "ClusterName", "VpcId", "Subnets", "SharedLoadBalancerSecurityGroupId",
                   "Domain"}),
    (Version, {"App", "Version", "Environment", "ClusterName", "VpcId", "LogGroupName", "ListenerArn",
               "Domain", "RulePriority", "Sources"}),
])
def test_blueprint_required_variables_have_no_default(blueprint: type[SpecBlueprint], required: set[str]):
    assert {name for name, d in blueprint.VARIABLES.items() if "default" not in d} == required


# ---- a deployed version is never changed in place; per-app settings --------------------------

def _fingerprint(variables: dict[str, Any]) -> str:
    return render(stack_definition("app-web-V-v1", Version, variables))["Outputs"]["Fingerprint"]["Value"]


@pytest.mark.parametrize("role", ["live", "previous", "serving"])
def test_a_changed_template_of_a_version_that_takes_traffic_is_refused_naming_the_fix(role: str):
    deployed = _fingerprint(VERSION_VARIABLES)
    changed = {**VERSION_VARIABLES, "HealthCheckPath": "/other"}
    stack = stacker_stack(stack_definition("app-web-V-v1", Version, {**changed, "Deployed": f"{role}:{deployed}"}))
    stack.blueprint.resolve_variables(stack.variables)

    with pytest.raises(ConfigError) as caught:
        stack.blueprint.render_template()

    assert str(caught.value) == (
        f"stack 'app-web-V-v1' (Version blueprint): web/v1 is {role} and this build would change its stack in place "
        "(its template differs from the deployed one); deploy the change as a new version (-e version=<new>) "
        "and cut over to it")


@pytest.mark.parametrize("deployed", ["live:{same}", "idle:0123456789abcdef", "absent:"])
def test_an_unchanged_rerun_or_a_version_without_traffic_renders(deployed: str):
    same = _fingerprint(VERSION_VARIABLES)
    changed = VERSION_VARIABLES if "same" in deployed else {**VERSION_VARIABLES, "HealthCheckPath": "/other"}
    template = render(stack_definition("app-web-V-v1", Version,
                                       {**changed, "Deployed": deployed.format(same=same)}))

    assert naming.SERVICE in template["Resources"]


def test_the_desired_count_is_not_part_of_the_fingerprint():
    assert _fingerprint(VERSION_VARIABLES) == _fingerprint({**VERSION_VARIABLES, "DesiredCount": "7"})
    assert _fingerprint(VERSION_VARIABLES) != _fingerprint({**VERSION_VARIABLES, "HealthCheckPath": "/x"})


def test_the_desired_count_output_is_not_part_of_the_fingerprint_so_earlier_stacks_keep_theirs():
    template = render(stack_definition("app-web-V-v1", Version, VERSION_VARIABLES))
    earlier = json.loads(json.dumps(template))
    del earlier["Outputs"][contract.DESIRED_COUNT]

    assert template["Outputs"][contract.DESIRED_COUNT]["Value"] == VERSION_VARIABLES["DesiredCount"]
    assert fingerprint(earlier) == fingerprint(template) == template["Outputs"]["Fingerprint"]["Value"]


@pytest.mark.parametrize("role", ["live", "previous", "serving"])
def test_a_serving_version_deployed_with_another_desired_count_is_refused(role: str):
    same = _fingerprint(VERSION_VARIABLES)
    stack = stacker_stack(stack_definition("app-web-V-v1", Version, {
        **VERSION_VARIABLES, "DesiredCount": "1", "Deployed": f"{role}:{same}:4"}))
    stack.blueprint.resolve_variables(stack.variables)

    with pytest.raises(ConfigError) as caught:
        stack.blueprint.render_template()

    assert str(caught.value) == (
        f"stack 'app-web-V-v1' (Version blueprint): DesiredCount: 1, but web/v1 is {role} and was deployed with 4; "
        "CloudFormation would scale its running service to the new count in place; pass DesiredCount: "
        "${ecs_version_desired_count web::version=v1}, which keeps the deployed value (scale a serving version with "
        "autoscaling or ECS, never through its stack)")


@pytest.mark.parametrize("deployed", ["live:{same}:1", "idle:{same}:4", "live:{same}"])
def test_a_desired_count_as_deployed_or_of_an_idle_or_earlier_stack_renders(deployed: str):
    same = _fingerprint(VERSION_VARIABLES)
    template = render(stack_definition("app-web-V-v1", Version, {
        **VERSION_VARIABLES, "DesiredCount": "1", "Deployed": deployed.format(same=same)}))

    assert template["Resources"][naming.SERVICE]["Properties"]["DesiredCount"] == 1


def test_a_deployed_count_that_is_not_a_number_is_refused():
    with pytest.raises(ConfigError, match=r"Deployed: .live:abc:many. is not what"):
        render(stack_definition("app-web-V-v1", Version, {**VERSION_VARIABLES, "Deployed": "live:abc:many"}))


def test_a_settings_file_wins_over_the_configs_variables(tmp_path):
    settings = tmp_path / "version.yaml"
    settings.write_text("LaunchType: FARGATE\nHealthCheckPath: /admin/health\n")

    template = render(stack_definition("app-web-V-v1", Version, {
        **VERSION_VARIABLES, "LaunchType": "EC2", "Subnets": RESOLVED_LOOKUPS["Subnets"],
        "ContainerSecurityGroupId": CONTAINER_SG, "SettingsFile": str(settings)}))

    assert template["Resources"][naming.TASK_DEFINITION]["Properties"]["RequiresCompatibilities"] == ["FARGATE"]
    assert template["Resources"][naming.TARGET_GROUP]["Properties"]["HealthCheckPath"] == "/admin/health"


@pytest.mark.parametrize(("content", "expected"), [
    (None, "is not a file"),
    ("[1, 2]", "is not a mapping of variable names to values"),
    ("HealthCheckPth: /x", "HealthCheckPth: unknown name"),
], ids=["missing", "not-a-mapping", "typo"])
def test_a_bad_settings_file_is_refused_naming_it(tmp_path, content: str | None, expected: str):
    settings = tmp_path / "version.yaml"
    if content is not None:
        settings.write_text(content)
    variables = {**VERSION_VARIABLES, "SettingsFile": str(settings)}
    stack = stacker_stack(stack_definition("app-web-V-v1", Version, variables))
    stack.blueprint.resolve_variables(stack.variables)

    with pytest.raises(ConfigError, match=expected):
        stack.blueprint.render_template()
