"""``check_build``, the example config's pre_build hook: switches, app, version and every enabled
lifecycle hook's arguments, checked from the config stacker loaded, then what AWS can tell (reads only),
before any change. The account is an in-process moto world with the cluster deployed."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from stacker.config import render_parse_load
from stacker.context import Context
from stacker.environment import parse_environment

from emulator.world import ExampleWorld
from stacker_ecs import hooks
from tests.core.ops.conftest import ReadsOfOneWorld

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = SimpleNamespace(region="us-east-1")
ACCOUNT: dict[str, str] = {}
"""The seeded account's values for the environment file (VPC, subnets, certificate, zone)."""


@pytest.fixture(autouse=True)
def world() -> Any:
    """An in-process account with the example's network, certificate, zone and cluster stack."""
    with mock_aws():
        example = ExampleWorld.create(boto3.Session(region_name="us-east-1"))
        ACCOUNT.clear()
        ACCOUNT.update(example.seeded.as_env())
        yield example


def dev_environment(**settings: str) -> dict[str, str]:
    """Return config/dev.env with the seeded account's values and ``settings`` (as ``-e``)."""
    environment = parse_environment((ROOT / "config" / "dev.env").read_text())
    environment.update(ACCOUNT)
    environment.update(settings)
    return environment


def run_check(caplog: pytest.LogCaptureFixture, variables: dict[str, dict[str, Any]] | None = None,
              **settings: str) -> tuple[Any, list[str]]:
    """Load config/stacker-Dev.yml with config/dev.env and ``settings`` (as ``-e``), run the pre_build hook.

    ``variables``: stack name -> variables set on that stack of the config, as its file would."""
    environment = dev_environment(**settings)
    config = render_parse_load((ROOT / "config" / "stacker-Dev.yml").read_text(), environment)
    for stack in config.stacks:
        stack.variables.update((variables or {}).get(stack.name, {}))
    context = Context(environment=environment, config=config)
    (check,) = [h for h in config.pre_build if h.path == "stacker_ecs.hooks.check_build"]
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        result = hooks.check_build(provider=PROVIDER, context=context, **check.args)
    return result, [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# What AWS can tell before any change (reads only): each refusal names its cause and its fix.

@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Lower the emulator's ELB limits or Service Quotas values for one test."""
    from emulator.aws_like import quotas

    monkeypatch.setattr(quotas, "LIMITS", dict(quotas.DEFAULTS))
    monkeypatch.setattr(quotas, "SERVICE_QUOTAS", {})
    return quotas


def test_an_existing_alarm_of_a_stepped_cutover_passes(caplog, world):
    world.session.client("cloudwatch").put_metric_alarm(
        AlarmName="web-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    result, errors = run_check(caplog, app="web", version="v2", deploy="true", cutover="true",
                               cutover_steps_percent="[10]", alarm_names="[web-5xx]")
    assert errors == []
    assert result["switches"] == ["deploy", "cutover"]


def test_a_stack_with_the_application_stacks_name_that_is_not_ours_is_refused(caplog, world):
    world.session.client("cloudformation").create_stack(
        StackName="ecs-dev-app-web", TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    result, errors = run_check(caplog, app="web", version="v2", deploy="true")
    assert result is False
    (message,) = errors
    assert ("app 'web': stack 'ecs-dev-app-web' exists but is not the application stack of 'web'") in message
    assert "rename the namespace, or delete or rename that stack" in message


def test_cluster_subnets_in_a_zone_the_load_balancer_does_not_serve_are_refused(caplog, world):
    ec2 = world.session.client("ec2")
    zone = ec2.describe_availability_zones()["AvailabilityZones"][2]["ZoneName"]
    extra = ec2.create_subnet(VpcId=world.seeded.vpc_id, CidrBlock="10.42.30.0/24",
                              AvailabilityZone=zone)["Subnet"]["SubnetId"]
    result, errors = run_check(caplog, private_subnets=f"{world.seeded.private_subnets},{extra}")
    assert result is False
    (message,) = errors
    assert f"app 'web': the cluster's subnets {extra} ({zone}) are in zones its load balancer does not serve" in message
    assert "(Target.NotInUse)" in message
    assert "give the application stack a subnet in each of those zones" in message


def test_a_certificate_that_covers_the_domain_but_not_the_apps_version_hosts_is_refused(caplog, world):
    acm = world.session.client("acm")
    arn = acm.request_certificate(DomainName="dev.example.com", SubjectAlternativeNames=["*.dev.example.com"],
                                  ValidationMethod="DNS")["CertificateArn"]
    result, errors = run_check(caplog, certificate_arn=arn)
    assert result is False
    (message,) = errors
    assert f"app 'web': CertificateArn: {arn} does not cover *.web.dev.example.com" in message
    assert f"app 'web-admin': CertificateArn: {arn} does not cover *.web-admin.dev.example.com" in message
    assert "a wildcard covers one label" in message


def test_a_certificate_not_yet_issued_is_refused_naming_its_status(caplog, world):
    from moto.acm.models import acm_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    hosts = [name for app in ("web", "web-admin") for name in (f"{app}.dev.example.com", f"*.{app}.dev.example.com")]
    arn = world.session.client("acm").request_certificate(
        DomainName=hosts[0], SubjectAlternativeNames=hosts, ValidationMethod="DNS")["CertificateArn"]
    # its validation records are not in place yet (the emulator issues a requested certificate at once)
    acm_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]._certificates[arn].status = "PENDING_VALIDATION"

    result, errors = run_check(caplog, certificate_arn=arn)

    assert result is False
    (message,) = errors
    assert f"app 'web': CertificateArn: {arn} is PENDING_VALIDATION, not ISSUED; finish its validation first" in message
    assert "does not cover" not in message


def test_a_deploy_that_would_pass_the_rules_quota_is_refused_naming_the_quota(caplog, world, limits):
    world.add_app("web")
    world.add_version("v1")
    world.add_version("v2")
    limits.set_limit("rules-per-application-load-balancer", 6)
    result, errors = run_check(caplog, app="web", version="v3", deploy="true")
    assert errors == []  # 2 rules per version (preview host, test header) + v3's two: at the quota
    assert result["switches"] == ["deploy"]
    caplog.clear()
    result, errors = run_check(caplog, app="web", version="v3", deploy="true", cutover="true")
    assert result is False
    (message,) = errors
    assert ("app 'web': its load balancer has 4 rules of its quota of 6 (rules-per-application-load-balancer), "
            "and this run adds the host and test-header rules of web/v3 and the live rule of the first cutover"
            ) in message
    assert "'stacker-ecs cleanup web'" in message


def test_new_apps_add_no_rule_to_the_container_security_group(caplog, world, limits):
    # given the container group holding its one inbound rule (from the shared load balancer group), at its quota
    world.add_app("web")
    limits.SERVICE_QUOTAS["vpc", "L-0EA8095F"] = 1
    # when web-admin's application stack would be created
    result, errors = run_check(caplog)
    # then nothing on the container group grows: the new load balancer carries the shared group
    assert errors == []
    assert result == {"app": None, "switches": []}


def test_a_cluster_update_adding_the_shared_rule_to_a_full_container_group_is_refused(caplog, world, limits):
    # given a cluster stack made before the shared load balancer group, its container group at its quota
    # (an app's own rule, as application stacks made before it each added)
    cfn = world.session.client("cloudformation")
    name = f"{world.namespace}-cluster"
    template = cfn.get_template(StackName=name)["TemplateBody"]
    for key in ("SharedLoadBalancerSecurityGroup", "ContainerIngressFromLoadBalancer"):
        del template["Resources"][key]
    del template["Outputs"]["SharedLoadBalancerSecurityGroupId"]
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template))
    containers = world.cluster["ContainerSecurityGroupId"]
    ec2 = world.session.client("ec2")
    assert not [r for r in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [containers]}])[
        "SecurityGroupRules"] if not r["IsEgress"]]
    own = ec2.create_security_group(GroupName="web-alb", Description="web", VpcId=world.seeded.vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=containers, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 1, "ToPort": 65535, "UserIdGroupPairs": [{"GroupId": own}]}])
    limits.SERVICE_QUOTAS["vpc", "L-0EA8095F"] = 1
    # when the platform's plain build would update the cluster stack
    result, errors = run_check(caplog)
    # then
    assert result is False
    (message,) = errors
    assert (f"cluster: its container security group {containers} has 1 inbound rules of its quota of 1 "
            "(vpc/L-0EA8095F), and this build adds one (from the environment's shared load balancer group") in message


def test_a_scheme_change_that_would_replace_an_apps_load_balancer_is_refused(caplog, world):
    # given web's application stack exists with an internet-facing load balancer
    world.add_app("web")
    # when the platform's plain build asks for an internal one (CloudFormation would replace the load balancer)
    result, errors = run_check(caplog, alb_scheme="internal")
    # then it is refused before any change, naming the app, both schemes and the way to move
    assert result is False
    (message,) = errors
    assert ("app 'web': Scheme internal would replace its internet-facing load balancer (CloudFormation replaces a "
            "load balancer whose Scheme changes): the new listener would have no live rule") in message
    assert "Keep Scheme internet-facing; to change it, build the app under a new name" in message
    assert "web-admin" not in message  # a new app's first build may choose any scheme
    caplog.clear()
    # the same scheme passes
    assert run_check(caplog)[1] == []


def test_a_scheme_known_only_during_the_run_is_not_judged_against_the_default(caplog, world):
    # given web's load balancer is internal, while the Application blueprint's default is internet-facing
    world.add_app("web", Scheme="internal")
    assert run_check(caplog, alb_scheme="internal")[1] == []
    # when the run's Scheme is a lookup's value, it is not taken for the default: nothing is refused
    assert run_check(caplog, variables={"app-web": {"Scheme": "${output cluster::Scheme}"}})[1] == []


class TestChecksOfOneAccount(ReadsOfOneWorld):
    """Checks that only read: one account (network, certificate, zone, cluster stack) for the class."""

    def build(self, session: boto3.Session) -> ExampleWorld:
        """Return the account :func:`world` makes, shared by the class."""
        example = ExampleWorld.create(session)
        ACCOUNT.clear()
        ACCOUNT.update(example.seeded.as_env())
        return example

    def test_a_plain_build_passes_without_naming_an_app(self, caplog):
        result, errors = run_check(caplog)
        assert result == {"app": None, "switches": []}
        assert errors == []

    def test_a_pipeline_build_of_a_hyphenated_app_passes(self, caplog):
        result, errors = run_check(caplog, app="web-admin", version="42-b4c1e", deploy="true", cutover="true")
        assert result == {"app": "web-admin", "version": "42-b4c1e", "switches": ["deploy", "cutover"]}
        assert errors == []

    def test_an_app_not_in_the_config_is_refused_naming_the_apps_it_has(self, caplog):
        result, errors = run_check(caplog, app="api", version="v1", cutover="true")
        assert result is False
        assert errors == ["check_build failed: stacker build: app: 'api' is not an app of this config (apps: web, "
                          "web-admin); pass -e app=<app> with cutover, or add the app's stack to the config"]

    def test_a_bad_argument_of_an_enabled_hook_is_refused_before_any_stack_changes(self, caplog):
        result, errors = run_check(caplog, app="web", version="v2", deploy="true", cutover="true",
                                   health_timeout_seconds="0", cutover_steps_percent="[50, 10]")
        assert result is False
        (message,) = errors
        assert message.startswith("check_build failed: stacker build: hook stacker_ecs.hooks.cutover "
                                  "args: 2 problems")
        assert "timeout_seconds: 0 is not accepted" in message
        assert "steps_percent: [50, 10] is not a rising list of percentages" in message

    def test_a_disabled_hooks_arguments_are_not_judged(self, caplog):
        # rollback is off: its (bad) timeout does not matter to a deploy
        result, errors = run_check(caplog, app="web", version="v2", deploy="true", health_timeout_seconds="0")
        assert result["switches"] == ["deploy"]
        assert errors == []

    def test_a_bad_start_count_of_verify_health_is_refused_before_any_stack_changes(self, caplog):
        # the example config passes first_desired_count to verify_health's start_count (new versions start at 0)
        result, errors = run_check(caplog, app="web", version="v2", deploy="true", verify="true",
                                   first_desired_count="0")
        assert result is False
        assert len(errors) == 1
        assert errors[0].startswith("check_build failed: stacker build: ")
        assert "start_count: 0 is not accepted" in errors[0]

    def test_a_bad_application_variable_is_refused_before_the_cluster_stack_changes(self, caplog):
        # a plain build: the cluster stack would be built first, so the app stacks' variables are judged now
        result, errors = run_check(caplog, alb_scheme="publik")
        assert result is False
        (message,) = errors
        assert "stack 'app-web' (Application blueprint): Scheme: 'publik' is not accepted" in message
        assert "stack 'app-web-admin' (Application blueprint): Scheme: 'publik' is not accepted" in message

    def test_a_bad_value_in_an_apps_settings_file_is_refused_before_its_version_stack_exists(self, caplog, tmp_path):
        settings = tmp_path / "version.yaml"
        settings.write_text("HealthCheckPath: health\nHealthCheckTimeoutSeconds: 500\n")
        config = (ROOT / "config" / "stacker-Dev.yml").read_text().replace(
            "config/apps/${app}/version.yaml", str(settings))
        environment = dev_environment(app="web", version="v2", deploy="true")
        context = Context(environment=environment, config=render_parse_load(config, environment))
        (check,) = context.config.pre_build
        with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
            assert hooks.check_build(provider=PROVIDER, context=context, **check.args) is False
        (message,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert "stack 'app-${app}-V-${version}'" not in message
        assert "(Version blueprint): 2 problems" in message
        assert "HealthCheckPath:" in message

    def test_values_that_only_a_lookup_or_an_output_can_give_are_left_to_the_render(self, caplog):
        # ListenerArn, DesiredCount, ... hold ${...}: they are judged when the version stack renders
        result, errors = run_check(caplog, app="web-admin", version="v3", deploy="true")
        assert errors == []
        assert result["switches"] == ["deploy"]

    def test_an_unknown_alarm_of_a_stepped_cutover_is_refused_before_the_version_is_deployed(self, caplog, world):
        result, errors = run_check(caplog, app="web", version="v2", deploy="true", cutover="true",
                                   cutover_steps_percent="[10]", alarm_names="[web-5xx]")
        assert result is False
        (message,) = errors
        assert "alarm_names: 'web-5xx' not found in CloudWatch" in message

    def test_new_apps_past_the_regions_load_balancers_are_refused(self, caplog, world, limits):
        limits.set_limit("application-load-balancers", 1)
        result, errors = run_check(caplog)
        assert result is False
        (message,) = errors
        assert ("apps web, web-admin: this Region has 0 Application Load Balancers of the account's quota of 1 "
                "(application-load-balancers)") in message

    def test_ingress_cidrs_whose_rules_pass_the_groups_quota_are_refused(self, caplog, world, limits):
        cidrs = [f"10.{n}.0.0/16" for n in range(31)]  # 62 inbound rules (80 and 443 each)
        result, errors = run_check(caplog, variables={"app-web": {"IngressCidrs": cidrs}})
        assert result is False
        (message,) = errors
        assert ("app 'web': IngressCidrs: 31 networks make 62 IPv4 inbound rules (80 and 443 each) on its load "
                "balancer's group, past the quota of 60 per group (vpc/L-0EA8095F)") in message
        assert "a managed prefix list is one rule" in message
        caplog.clear()
        limits.SERVICE_QUOTAS["vpc", "L-0EA8095F"] = 100  # after an increase
        result, errors = run_check(caplog, variables={"app-web": {"IngressCidrs": cidrs}})
        assert errors == []

    def test_new_apps_past_the_regions_security_groups_are_refused(self, caplog, world, limits):
        groups = len(world.session.client("ec2").describe_security_groups()["SecurityGroups"])
        limits.SERVICE_QUOTAS["vpc", "L-E79EC296"] = groups + 1
        result, errors = run_check(caplog)
        assert result is False
        (message,) = errors
        assert (f"apps web, web-admin: this Region has {groups} security groups of the account's quota of {groups + 1} "
                "(vpc/L-E79EC296), and each new app adds one (its load balancer's)") in message
