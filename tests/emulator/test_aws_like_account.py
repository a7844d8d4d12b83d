"""The emulator's certificates and quotas behave as AWS's (``emulator.aws_like.certificates`` and ``quotas``;
each test fails on plain moto 5.2.5: ``-p emulator.plain_moto``). Rows of docs/fidelity.md."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.world import ExampleWorld


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator's ELB limits and applied Service Quotas, restored after the test."""
    from emulator.aws_like import quotas

    monkeypatch.setattr(quotas, "LIMITS", dict(quotas.DEFAULTS))
    monkeypatch.setattr(quotas, "SERVICE_QUOTAS", {})
    return quotas


def test_a_dns_validated_certificate_is_issued(session: boto3.Session):
    acm = session.client("acm")
    arn = acm.request_certificate(DomainName="web.dev.example.com", SubjectAlternativeNames=["*.web.dev.example.com"],
                                  ValidationMethod="DNS")["CertificateArn"]
    # moto alone: PENDING_VALIDATION for MOTO_ACM_VALIDATION_WAIT seconds
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"


def test_elb_reports_awss_default_limits(session: boto3.Session):
    limits = {limit["Name"]: int(limit["Max"]) for limit in session.client("elbv2").describe_account_limits()["Limits"]}
    # moto alone: 20 load balancers
    assert limits["application-load-balancers"] == 50
    assert limits["rules-per-application-load-balancer"] == 100


def test_create_rule_past_the_rules_quota_is_refused_with_too_many_rules(session: boto3.Session, limits):
    world = ExampleWorld.create(session)
    world.add_app("web")
    world.add_version("v1")
    limits.set_limit("rules-per-application-load-balancer", 1)
    elbv2 = session.client("elbv2")
    target_group = elbv2.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    # moto alone: the second rule is created
    with pytest.raises(ClientError, match="TooManyRules"):
        elbv2.create_rule(ListenerArn=world.apps["web"]["ListenerArn"], Priority=2,
                          Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                          Actions=[{"Type": "forward", "TargetGroupArn": target_group}])


def test_create_load_balancer_past_the_regions_quota_is_refused(session: boto3.Session, limits):
    world = ExampleWorld.create(session)
    world.add_app("web")
    limits.set_limit("application-load-balancers", 1)
    subnets = world.seeded.public_subnets.split(",")
    # moto alone: created
    with pytest.raises(ClientError, match="TooManyLoadBalancers"):
        session.client("elbv2").create_load_balancer(Name="second", Subnets=subnets)


def test_service_quotas_answers_the_applied_value(session: boto3.Session, limits):
    limits.SERVICE_QUOTAS["vpc", "L-0EA8095F"] = 5
    quota = session.client("service-quotas").get_service_quota(ServiceCode="vpc", QuotaCode="L-0EA8095F")
    assert quota["Quota"]["Value"] == 5


def test_an_application_stack_without_a_certificate_arn_issues_its_own_for_both_names(session: boto3.Session):
    from stacker_ecs.core import contract, naming
    from stacker_ecs.core.model import parse
    from stacker_ecs.core.templates.application import ApplicationSpec, build_application

    world = ExampleWorld.create(session)
    spec = parse(ApplicationSpec, {
        "App": "api", "Environment": "dev", "ClusterName": world.cluster[contract.CLUSTER_NAME],
        "VpcId": world.seeded.vpc_id, "Subnets": world.seeded.public_subnets, "Domain": world.seeded.domain,
        "SharedLoadBalancerSecurityGroupId": world.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID],
        "HostedZoneId": world.seeded.hosted_zone_id}, where="api")
    cfn = session.client("cloudformation")
    # moto alone: the certificate resource is skipped and the listener fails (CertificateNotFound)
    name = naming.application_stack("ecs-dev", "api")
    cfn.create_stack(StackName=name, TemplateBody=build_application(spec).to_json())
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    listener = contract.outputs_of(stack)[contract.LISTENER_ARN]
    (certificate,) = session.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["Certificates"]
    issued = session.client("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert issued["Status"] == "ISSUED"
    assert sorted(issued["SubjectAlternativeNames"]) == ["*.api.dev.example.com", "api.dev.example.com"]
