"""The application builder: one ALB per app, HTTPS only, a 503 until the first cutover, optional DNS."""

from __future__ import annotations

from typing import Any

import pytest
from golden import assert_matches_golden, props_of
from troposphere import Template

from stacker_ecs.core import contract, naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.application import (
    NO_LIVE_VERSION_BODY,
    TLS_POLICY,
    ApplicationSpec,
    build_application,
)

SHARED_LB_SG = "sg-0a1b2c3d4e5f60719"
CERTIFICATE = "arn:aws:acm:ap-southeast-2:123456789012:certificate/4013c1bc-a532-4fcc-9f90-742d90031060"
ZONE = "Z0123456789ABCDEFGHIJ"
BASE = {
    "App": "web",
    "Environment": "dev",
    "ClusterName": "ecs-dev-Cluster-1A2B3C4D5E6F",
    "VpcId": "vpc-0a1b2c3d4e5f60718",
    "Subnets": "subnet-0a1b2c3d4e5f60721,subnet-0a1b2c3d4e5f60722",
    "SharedLoadBalancerSecurityGroupId": SHARED_LB_SG,
    "CertificateArn": CERTIFICATE,
    "Domain": "dev.example.com",
}


def build(**variables: Any) -> Template:
    """Return the application template for BASE plus ``variables``."""
    return build_application(parse(ApplicationSpec, {**BASE, **variables}, where="test application"))


def render(**variables: Any) -> dict[str, Any]:
    """Return the application template for BASE plus ``variables``, as CloudFormation's dict."""
    return build(**variables).to_dict()




def props_by_id(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """Return the properties of the resource ``logical_id``."""
    return template["Resources"][logical_id]["Properties"]


def attributes_of(load_balancer: dict[str, Any]) -> dict[str, str]:
    """Return the load balancer attributes as a plain dict."""
    return {a["Key"]: a["Value"] for a in load_balancer["LoadBalancerAttributes"]}




# ---- listeners ---------------------------------------------------------------------------------

def test_application_https_listener_uses_tls13_and_the_given_certificate():
    listener = props_by_id(render(), naming.HTTPS_LISTENER)

    assert (listener["Port"], listener["Protocol"]) == (443, "HTTPS")
    assert listener["SslPolicy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["Certificates"] == [{"CertificateArn": CERTIFICATE}]
    assert listener["LoadBalancerArn"] == {"Ref": naming.LOAD_BALANCER}


def test_application_https_listener_answers_503_until_a_version_is_cut_over():
    listener = props_by_id(render(), naming.HTTPS_LISTENER)

    assert listener["DefaultActions"] == [{
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain",
                                "MessageBody": NO_LIVE_VERSION_BODY},
    }]


def test_application_http_listener_only_redirects_to_https():
    listener = props_by_id(render(), naming.HTTP_LISTENER)

    assert (listener["Port"], listener["Protocol"]) == (80, "HTTP")
    assert listener["DefaultActions"] == [{
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }]


# ---- load balancer -----------------------------------------------------------------------------

def test_application_load_balancer_drops_invalid_header_fields():
    load_balancer = props_of(render(), "AWS::ElasticLoadBalancingV2::LoadBalancer")

    attributes = attributes_of(load_balancer)
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["deletion_protection.enabled"] == "false"
    assert attributes["access_logs.s3.enabled"] == "false"
    assert "access_logs.s3.bucket" not in attributes


def test_application_access_logs_bucket_turns_on_logs_under_environment_and_app():
    load_balancer = props_of(render(AccessLogsBucket="alb-logs-123456789012", DeletionProtection=True),
                             "AWS::ElasticLoadBalancingV2::LoadBalancer")

    attributes = attributes_of(load_balancer)
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == "alb-logs-123456789012"
    assert attributes["access_logs.s3.prefix"] == "dev/web"
    assert attributes["deletion_protection.enabled"] == "true"


@pytest.mark.parametrize("scheme", ["internet-facing", "internal"])
def test_application_load_balancer_scheme_follows_the_spec(scheme: str):
    load_balancer = props_of(render(Scheme=scheme), "AWS::ElasticLoadBalancingV2::LoadBalancer")

    assert load_balancer["Scheme"] == scheme
    assert load_balancer["Type"] == "application"
    assert load_balancer["Subnets"] == ["subnet-0a1b2c3d4e5f60721", "subnet-0a1b2c3d4e5f60722"]
    assert load_balancer["SecurityGroups"] == [{"Ref": naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP}, SHARED_LB_SG]


def test_application_load_balancer_scheme_defaults_to_internet_facing():
    load_balancer = props_of(render(), "AWS::ElasticLoadBalancingV2::LoadBalancer")

    assert load_balancer["Scheme"] == "internet-facing"


# ---- security groups ---------------------------------------------------------------------------

def test_application_adds_nothing_to_the_container_security_group():
    template = render()

    assert not [r for r in template["Resources"].values()
                if r["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")]
    assert not [key for key, r in template["Resources"].items() if "ContainerSecurityGroupId" in str(r)]


def test_application_load_balancer_carries_its_own_group_and_the_environments_shared_one():
    load_balancer = props_of(render(), "AWS::ElasticLoadBalancingV2::LoadBalancer")

    # 2 of the 5 security groups a load balancer's network interfaces take (VPC quota, default 5)
    assert load_balancer["SecurityGroups"] == [{"Ref": naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP}, SHARED_LB_SG]


def test_application_load_balancer_security_group_admits_80_and_443_and_sends_nothing():
    group = props_by_id(render(IngressCidrs="10.0.0.0/8,192.168.0.0/16"), naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP)

    assert sorted((r["CidrIp"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupIngress"]) == [
        ("10.0.0.0/8", 80, 80), ("10.0.0.0/8", 443, 443),
        ("192.168.0.0/16", 80, 80), ("192.168.0.0/16", 443, 443),
    ]
    # One rule to loopback replaces the default allow-all egress: the shared group alone reaches containers.
    (egress,) = group["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["CidrIp"]) == ("-1", "127.0.0.1/32")


# ---- DNS ---------------------------------------------------------------------------------------

def test_application_without_hosted_zone_creates_no_dns_records():
    template = render()

    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::Route53::RecordSet"]


def test_application_with_hosted_zone_aliases_the_app_and_version_hosts_to_the_load_balancer():
    template = render(HostedZoneId=ZONE, WildcardRecord=True)

    app_record = props_by_id(template, naming.APP_RECORD)
    wildcard = props_by_id(template, naming.WILDCARD_RECORD)
    assert (app_record["Name"], wildcard["Name"]) == ("web.dev.example.com.", "*.web.dev.example.com.")
    for record in (app_record, wildcard):
        assert record["HostedZoneId"] == ZONE
        assert record["Type"] == "A"
        assert record["AliasTarget"] == {
            "DNSName": {"Fn::GetAtt": [naming.LOAD_BALANCER, "DNSName"]},
            "HostedZoneId": {"Fn::GetAtt": [naming.LOAD_BALANCER, "CanonicalHostedZoneID"]},
            "EvaluateTargetHealth": False,
        }


def test_two_apps_records_never_share_a_name_so_apps_share_a_zone():
    """Route 53 refuses a second record of one name: each app's wildcard is its own ``*.<app>.<domain>``."""
    names = [{r["Properties"]["Name"] for r in render(App=app, HostedZoneId=ZONE)["Resources"].values()
              if r["Type"] == "AWS::Route53::RecordSet"} for app in ("web", "api")]

    assert names[0] == {"web.dev.example.com.", "*.web.dev.example.com."}
    assert names[0].isdisjoint(names[1])


@pytest.mark.parametrize("domain", ["dev.example.com", "dev.example.com.", "Dev.Example.COM"])
def test_application_domain_is_normalised_to_lower_case_without_the_root_dot(domain: str):
    template = render(Domain=domain, HostedZoneId=ZONE)

    assert template["Outputs"]["Domain"]["Value"] == "dev.example.com"
    assert props_by_id(template, naming.APP_RECORD)["Name"] == "web.dev.example.com."


# ---- outputs -----------------------------------------------------------------------------------

def test_application_outputs_the_listener_and_names_version_stacks_read():
    outputs = render()["Outputs"]

    assert outputs["ListenerArn"]["Value"] == {"Ref": naming.HTTPS_LISTENER}
    assert outputs["App"]["Value"] == "web"
    assert outputs["Domain"]["Value"] == "dev.example.com"
    assert outputs["ClusterName"]["Value"] == BASE["ClusterName"]
    assert outputs["Url"]["Value"] == "https://web.dev.example.com"
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{name}"}}


def test_application_tags_name_environment_and_app_plus_the_users_own():
    load_balancer = props_of(render(Tags={"team": "payments"}), "AWS::ElasticLoadBalancingV2::LoadBalancer")

    assert {t["Key"]: t["Value"] for t in load_balancer["Tags"]} == {
        contract.TAG_ENVIRONMENT: "dev", contract.TAG_APP: "web", "team": "payments"}


# ---- golden ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variant", "variables"), [
    ("application-dns", {"HostedZoneId": ZONE}),
    ("application-internal", {"Scheme": "internal", "IngressCidrs": "10.0.0.0/8"}),
], ids=["with-hosted-zone", "internal-without-dns"])
def test_application_template_matches_its_golden_file(variant: str, variables: dict[str, Any]):
    assert_matches_golden(build(**variables), variant)


def test_without_a_certificate_arn_the_stack_issues_one_for_the_app_and_its_version_hosts_validated_in_the_zone():
    template = render(CertificateArn=None, HostedZoneId=ZONE)
    certificate = props_by_id(template, naming.CERTIFICATE)
    assert certificate["DomainName"] == "web.dev.example.com"
    assert certificate["SubjectAlternativeNames"] == ["*.web.dev.example.com"]
    assert certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": "web.dev.example.com", "HostedZoneId": ZONE},
        {"DomainName": "*.web.dev.example.com", "HostedZoneId": ZONE}]
    listener = props_by_id(template, naming.HTTPS_LISTENER)
    assert listener["Certificates"] == [{"CertificateArn": {"Ref": naming.CERTIFICATE}}]


def test_a_brought_certificate_arn_issues_none():
    assert naming.CERTIFICATE not in render()["Resources"]


def test_neither_a_certificate_arn_nor_a_hosted_zone_is_refused_naming_both_names():
    with pytest.raises(ConfigError, match=r"CertificateArn/HostedZoneId: neither is given; .* covering "
                                          r"web.dev.example.com and \*.web.dev.example.com"):
        build(CertificateArn=None)
