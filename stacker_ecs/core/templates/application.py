"""The application stack: one per app and environment; the ALB whose listener picks the live version.

Resources: ``LoadBalancerInboundSecurityGroup`` (80 and 443 from ``IngressCidrs``, no egress), ``LoadBalancer``
(carrying that group and the cluster's shared load balancer group, which alone reaches the containers: the
app adds no rule to the cluster's container group), ``HttpsListener`` (default action: a fixed 503
"no live version" until the first cutover), ``HttpRedirectListener`` (HTTP -> HTTPS); without a
``CertificateArn``, ``Certificate`` (ACM, ``<app>.<domain>`` and ``*.<app>.<domain>``, validated by DNS
in the hosted zone: one environment-wide wildcard cannot cover every app's version hosts); with a
hosted zone also ``AppRecord`` (``<app>.<domain>``) and ``VersionWildcardRecord``
(``*.<app>.<domain>``, for the per-version hosts ``<version>.<app>.<domain>``; one per app, so
many apps share one domain and zone).
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Ref, Template, certificatemanager, ec2, route53
from troposphere import elasticloadbalancingv2 as elb

from stacker_ecs.core import contract, naming
from stacker_ecs.core.model import Spec
from stacker_ecs.core.templates.common import add_output, base_tags, skip_checks, split_list, tags
from stacker_ecs.core.validation import check_name

NO_LIVE_VERSION_BODY = "no live version: this app has not been cut over to any version yet"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SECURITY_GROUP_RE = re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$")


def no_egress() -> ec2.SecurityGroupRule:
    """Return the one rule that replaces a new group's default allow-all egress with none (loopback is never routed)."""
    return ec2.SecurityGroupRule(
        IpProtocol="-1", CidrIp="127.0.0.1/32",
        Description="No egress: the shared load balancer group reaches the containers")


class ApplicationSpec(Spec):
    """Settings of an application stack (the variables of the ``Application`` blueprint)."""

    RETIRED: ClassVar[dict[str, str]] = {
        "ContainerSecurityGroupId": "pass SharedLoadBalancerSecurityGroupId: "
        "${output cluster::SharedLoadBalancerSecurityGroupId} (the load balancer carries the cluster's shared "
        "group, so the app adds no rule to the container group; docs/security.md)",
        "ContainerPorts": "set ContainerPorts on the cluster stack (its shared load balancer group's one rule)",
    }

    app: str
    """App name: lower-case letters, digits and single '-'; part of stack and host names."""
    environment: str
    """Environment name, e.g. ``dev``; used in tags."""
    cluster_name: str
    """Cluster the app's versions run in (``${output cluster::ClusterName}``)."""
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]+$")
    """VPC of the load balancer (``${output cluster::VpcId}``)."""
    subnets: list[str] = Field(min_length=2)
    """Load balancer subnets in at least two availability zones (a list, or ``a,b``)."""
    shared_load_balancer_security_group_id: str
    """The cluster's group of the environment's load balancers
    (``${output cluster::SharedLoadBalancerSecurityGroupId}``): the load balancer carries it beside its own,
    and the containers admit its members, so no app adds a rule to the cluster's container group."""
    certificate_arn: str | None = None
    """Default: none; the stack issues its own ACM certificate for ``<app>.<domain>`` and ``*.<app>.<domain>``,
    validated by DNS in ``HostedZoneId`` (so adding an app needs nothing in the environment files). An ARN
    brings a certificate instead; it must cover both names (the pre-build check reads it)."""
    domain: str
    """DNS domain of the app, e.g. ``dev.example.com``: the app answers on ``<app>.<domain>`` and
    each version on ``<version>.<app>.<domain>``."""
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    """Default: ``internet-facing``; ``internal`` keeps the load balancer inside the VPC."""
    ingress_cidrs: list[str] = Field(default=["0.0.0.0/0"], min_length=1)
    """Default: everyone over IPv4; the networks allowed to reach the load balancer on 80 and 443 (IPv6
    ranges such as ``::/0`` become ``CidrIpv6`` rules)."""
    ssl_policy: str = TLS_POLICY
    """Default: TLS 1.3 with TLS 1.2 fallback."""
    hosted_zone_id: str | None = None
    """Default: none, no DNS records; with a Route 53 zone id the stack creates ``<app>.<domain>``
    and ``*.<app>.<domain>`` alias records (one wildcard per app, so many apps share one domain and zone)."""
    wildcard_record: bool = True
    """Default: on (with a hosted zone); turn off when per-version names are managed elsewhere (a Version
    stack's own ``HostedZoneId`` record, for instance)."""
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    """Default: 60; connections idle longer are closed by the load balancer."""
    access_logs_bucket: str | None = None
    """Default: none; an S3 bucket name turns on load balancer access logs."""
    deletion_protection: bool = False
    """Default: off; on stops the load balancer being deleted with the stack."""
    tags: dict[str, str] = {}
    """Extra tags for every resource."""

    _check_app = field_validator("app")(lambda v: check_name("app", v))
    _check_environment = field_validator("environment")(lambda v: check_name("environment", v))
    _coerce_lists = field_validator("subnets", "ingress_cidrs", mode="before")(lambda v: split_list(v))

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/", value):
            raise ValueError(f"{value!r} is not an ACM certificate ARN; give one such as "
                             "arn:aws:acm:<region>:<account>:certificate/<id> (aws acm list-certificates)")
        return value

    @field_validator("shared_load_balancer_security_group_id")
    @classmethod
    def _shared_group(cls, value: str) -> str:
        if not SECURITY_GROUP_RE.match(value):
            raise ValueError(f"{value!r} is not a security group id; pass "
                             "${output cluster::SharedLoadBalancerSecurityGroupId} (build the cluster stack first: "
                             "its load balancers' group is what reaches the containers)")
        return value

    @model_validator(mode="after")
    def _certificate_or_zone(self) -> ApplicationSpec:
        if not self.certificate_arn and not self.hosted_zone_id:
            names = f"{naming.app_host(self.app, self.domain)} and {naming.version_wildcard(self.app, self.domain)}"
            raise ValueError("CertificateArn/HostedZoneId: neither is given; give HostedZoneId (the stack then issues "
                             f"and validates its own certificate) or a CertificateArn covering {names}")
        return self

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.rstrip(".")
        if "." not in value or value.startswith("*"):
            raise ValueError(f"{value!r} is not a DNS domain; give one such as 'dev.example.com'")
        return value.lower()


def build_application(spec: ApplicationSpec) -> Template:
    """Return the application template for ``spec``."""
    template = Template(Description=contract.APPLICATION_DESCRIPTION.format(app=spec.app, environment=spec.environment))
    common = base_tags(spec.environment, spec.app, extra=spec.tags)
    security_group = template.add_resource(skip_checks(ec2.SecurityGroup(
        naming.LOAD_BALANCER_INBOUND_SECURITY_GROUP,
        GroupDescription=f"Load balancer of {spec.app}: HTTP and HTTPS in; no egress",
        VpcId=spec.vpc_id,
        SecurityGroupIngress=[
            ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=port, ToPort=port,
                                  **{"CidrIpv6" if ":" in cidr else "CidrIp": cidr},
                                  Description=f"{'HTTPS' if port == 443 else 'HTTP, redirected'} from {cidr}")
            for cidr in spec.ingress_cidrs for port in (80, 443)
        ],
        SecurityGroupEgress=[no_egress()],
        Tags=tags({**common, "Name": f"{spec.environment}-{spec.app}-alb"}),
    ), {"CKV_AWS_260": "port 80 only answers with a redirect to HTTPS"} if "0.0.0.0/0" in spec.ingress_cidrs else {}))
    load_balancer = template.add_resource(skip_checks(elb.LoadBalancer(
        naming.LOAD_BALANCER,
        Type="application",
        Scheme=spec.scheme,
        Subnets=spec.subnets,
        # Its own group (inbound) and the environment's (egress to containers). Updating a stack made before
        # the shared group: CloudFormation creates the inbound group, sets both groups on the load balancer in
        # one SetSecurityGroups, and deletes the old group and its rule on the container group only in the
        # cleanup phase, after; so the load balancer always holds a group the containers admit.
        SecurityGroups=[Ref(security_group), spec.shared_load_balancer_security_group_id],
        LoadBalancerAttributes=_load_balancer_attributes(spec),
        Tags=tags(common),
    ), {} if spec.access_logs_bucket else {
        "CKV_AWS_91": "access logs need an S3 bucket; set AccessLogsBucket to turn them on"}))
    listener = template.add_resource(elb.Listener(
        naming.HTTPS_LISTENER,
        LoadBalancerArn=Ref(load_balancer),
        Port=443, Protocol="HTTPS", SslPolicy=spec.ssl_policy,
        Certificates=[elb.Certificate(CertificateArn=spec.certificate_arn or Ref(_add_certificate(template, spec)))],
        DefaultActions=[elb.Action(Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(
            StatusCode="503", ContentType="text/plain", MessageBody=NO_LIVE_VERSION_BODY))],
    ))
    template.add_resource(elb.Listener(
        naming.HTTP_LISTENER,
        LoadBalancerArn=Ref(load_balancer),
        Port=80, Protocol="HTTP",
        DefaultActions=[elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(
            Protocol="HTTPS", Port="443", StatusCode="HTTP_301"))],
    ))
    if spec.hosted_zone_id:
        _add_records(template, spec, load_balancer)
    _add_outputs(template, spec, load_balancer, listener, security_group)
    return template


def _add_certificate(template: Template, spec: ApplicationSpec) -> certificatemanager.Certificate:
    """Add the app's own certificate: its host and its version hosts, validated by DNS in its hosted zone."""
    names = [naming.app_host(spec.app, spec.domain), naming.version_wildcard(spec.app, spec.domain)]
    return template.add_resource(certificatemanager.Certificate(
        naming.CERTIFICATE,
        DomainName=names[0], SubjectAlternativeNames=names[1:], ValidationMethod="DNS",
        DomainValidationOptions=[certificatemanager.DomainValidationOption(
            DomainName=name, HostedZoneId=spec.hosted_zone_id) for name in names],
        Tags=tags(base_tags(spec.environment, spec.app, extra=spec.tags)),
    ))


def _load_balancer_attributes(spec: ApplicationSpec) -> list[elb.LoadBalancerAttributes]:
    values = {
        "idle_timeout.timeout_seconds": str(spec.idle_timeout_seconds),
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": str(spec.deletion_protection).lower(),
        "access_logs.s3.enabled": str(bool(spec.access_logs_bucket)).lower(),
    }
    if spec.access_logs_bucket:
        values["access_logs.s3.bucket"] = spec.access_logs_bucket
        values["access_logs.s3.prefix"] = f"{spec.environment}/{spec.app}"
    return [elb.LoadBalancerAttributes(Key=k, Value=v) for k, v in values.items()]


def _add_records(template: Template, spec: ApplicationSpec, load_balancer: elb.LoadBalancer) -> None:
    alias = route53.AliasTarget(
        HostedZoneId=GetAtt(load_balancer, "CanonicalHostedZoneID"),
        DNSName=GetAtt(load_balancer, "DNSName"),
        EvaluateTargetHealth=False,
    )
    template.add_resource(route53.RecordSetType(
        naming.APP_RECORD, HostedZoneId=spec.hosted_zone_id,
        Name=naming.app_host(spec.app, spec.domain) + ".", Type="A", AliasTarget=alias))
    if spec.wildcard_record:
        template.add_resource(route53.RecordSetType(
            naming.WILDCARD_RECORD, HostedZoneId=spec.hosted_zone_id,
            Name=naming.version_wildcard(spec.app, spec.domain) + ".", Type="A", AliasTarget=alias))


def _add_outputs(template: Template, spec: ApplicationSpec, load_balancer: elb.LoadBalancer,
                 listener: elb.Listener, security_group: ec2.SecurityGroup) -> None:
    add_output(template, contract.LISTENER_ARN, Ref(listener),
               "HTTPS listener; its live rule forwards to the live version")
    add_output(template, contract.LOAD_BALANCER_ARN, Ref(load_balancer), "Application load balancer ARN")
    add_output(template, contract.LOAD_BALANCER_DNS_NAME, GetAtt(load_balancer, "DNSName"), "Load balancer DNS name")
    add_output(template, contract.LOAD_BALANCER_HOSTED_ZONE_ID, GetAtt(load_balancer, "CanonicalHostedZoneID"),
               "Route 53 zone of the load balancer, for alias records")
    add_output(template, contract.LOAD_BALANCER_SECURITY_GROUP_ID, Ref(security_group),
               "The load balancer's own security group (inbound from IngressCidrs)")
    add_output(template, contract.APP, spec.app, "App name")
    add_output(template, contract.DOMAIN, spec.domain, "Domain of the app and version host names")
    add_output(template, contract.CLUSTER_NAME, spec.cluster_name, "Cluster the app's versions run in")
    add_output(template, contract.URL, f"https://{naming.app_host(spec.app, spec.domain)}", "URL of the live version")
