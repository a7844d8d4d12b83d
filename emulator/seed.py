"""Create what a real account already has and the example config expects."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import boto3

ECS_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
DOMAIN = "dev.example.com"
APPS = ("web", "web-admin", "api")
"""The apps the seeded certificate covers (``<app>.<domain>`` through ``*.<domain>``, and ``*.<app>.<domain>``)."""


@dataclass(frozen=True)
class World:
    """Ids of the seeded resources, as environment-file values."""

    vpc_id: str
    private_subnets: str
    public_subnets: str
    certificate_arn: str
    hosted_zone_id: str
    domain: str

    def as_env(self) -> dict[str, str]:
        """Return the values as environment-file entries."""
        return asdict(self)


def seed(session: boto3.Session, domain: str = DOMAIN, *, ami_parameter: bool = True,
         apps: tuple[str, ...] = APPS) -> World:
    """Create a VPC with public and private subnets, a certificate, a hosted zone and the AMI parameter.

    ``ami_parameter=False`` skips the parameter (moto takes ~0.5 s to load its public parameters),
    for worlds whose cluster names an AMI id instead.
    """
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = {
        kind: [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{base + i}.0/24", AvailabilityZone=zone)
               ["Subnet"]["SubnetId"] for i, zone in enumerate(zones)]
        for kind, base in (("public", 0), ("private", 10))
    }
    acm = session.client("acm")
    # An ACM wildcard covers one label: each app's version hosts need their own *.<app>.<domain>.
    names = [f"*.{domain}", *(f"*.{app}.{domain}" for app in apps)]
    certificate = acm.request_certificate(DomainName=domain, SubjectAlternativeNames=names,
                                          ValidationMethod="DNS")["CertificateArn"]
    zone = session.client("route53").create_hosted_zone(
        Name=domain, CallerReference=f"stacker-ecs-{vpc}")["HostedZone"]["Id"].split("/")[-1]
    if ami_parameter:
        _ensure_ami_parameter(session)
    return World(vpc_id=vpc, private_subnets=",".join(subnets["private"]),
                 public_subnets=",".join(subnets["public"]), certificate_arn=certificate,
                 hosted_zone_id=zone, domain=domain)


def _ensure_ami_parameter(session: boto3.Session) -> None:
    ssm = session.client("ssm")
    try:
        ssm.get_parameter(Name=ECS_AMI_PARAMETER)
    except ssm.exceptions.ParameterNotFound:
        image = session.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ssm.put_parameter(Name=ECS_AMI_PARAMETER, Value=image, Type="String")
