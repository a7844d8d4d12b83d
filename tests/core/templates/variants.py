"""Every template variant the example config can produce, rendered with realistic ids.

Shared by the template-quality tests (cfn-lint, checkov, IAM): EC2 and Fargate, internet-facing
and internal load balancers, autoscaling on and off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from troposphere import Template

from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.application import ApplicationSpec, build_application
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster
from stacker_ecs.core.templates.version import VersionSpec, render_version

ROOT = Path(__file__).resolve().parents[3]
# The example's region (its ECR image and ACM certificate) and the one most features reach first.
REGIONS = ["ap-southeast-2", "us-east-1"]

# config/dev.env, and what the cluster and application stacks output for it.
VPC_ID = "vpc-0a1b2c3d4e5f60718"
PRIVATE_SUBNETS = "subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60712"
PUBLIC_SUBNETS = "subnet-0a1b2c3d4e5f60721,subnet-0a1b2c3d4e5f60722"
CONTAINER_SG = "sg-0a1b2c3d4e5f60718"
SHARED_LB_SG = "sg-0a1b2c3d4e5f60719"
CLUSTER_NAME = "ecs-dev-cluster-Cluster-1A2B3C4D5E6F"
LISTENER_ARN = ("arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/"
                "ecs-de-LoadB-1A2B3C4D5E6F/50dc6c495c0c9188/f2f7dc8efc522ab2")
CLUSTER = {"Environment": "dev", "VpcId": VPC_ID, "Subnets": PRIVATE_SUBNETS}
APPLICATION = {
    "App": "web", "Environment": "dev", "ClusterName": CLUSTER_NAME, "VpcId": VPC_ID,
    "SharedLoadBalancerSecurityGroupId": SHARED_LB_SG, "Subnets": PUBLIC_SUBNETS, "Scheme": "internet-facing",
    "CertificateArn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/4013c1bc-a532-4fcc-9f90-742d90031060",
    "Domain": "dev.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
}
VERSION = {
    "App": "web", "Version": "v1", "Environment": "dev", "ClusterName": CLUSTER_NAME, "LaunchType": "EC2",
    "VpcId": VPC_ID, "Subnets": PRIVATE_SUBNETS, "ContainerSecurityGroupId": CONTAINER_SG,
    "LogGroupName": "/ecs/ecs-dev-cluster", "ListenerArn": LISTENER_ARN, "Domain": "dev.example.com",
    "RulePriority": "1", "DesiredCount": "1", "TaskDefinitionFile": str(ROOT / "config" / "apps" / "web" / "ecs.json"),
    "HealthCheckPath": "/health",
}
# A fuller task than the example's: a sidecar, a volume, secrets from SSM and Secrets Manager.
RICH_TASK = {
    "containerDefinitions": [
        {"name": "web", "image": "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/web:v1", "essential": True,
         "portMappings": [{"containerPort": 8080}], "memoryReservation": 256,
         "linuxParameters": {"initProcessEnabled": True},
         "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp/scratch"}],
         "secrets": [
             {"name": "DB_PASSWORD", "valueFrom": "/dev/web/db-password"},
             {"name": "API_TOKEN", "valueFrom":
              "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:dev/web/api-AbCdEf:token::"},
         ],
         "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]}},
        {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
         "essential": False, "memoryReservation": 64},
    ],
    "cpu": "512",
    "memory": "1024",
    "volumes": [{"name": "scratch"}],
}


def version(**variables: Any) -> Template:
    """Return a version template for VERSION plus ``variables``."""
    data = {**VERSION, **variables}
    if "TaskDefinition" in variables:
        data.pop("TaskDefinitionFile")
    spec = parse(VersionSpec, data, where="variant")
    return render_version(spec, where="variant")


VARIANTS = {
    "cluster-ec2": lambda: build_cluster(parse(ClusterSpec, CLUSTER, where="variant")),
    "cluster-fargate": lambda: build_cluster(parse(ClusterSpec, {**CLUSTER, "Capacity": "fargate"}, where="variant")),
    "application-with-hosted-zone": lambda: build_application(parse(ApplicationSpec, APPLICATION, where="variant")),
    "application-internal-access-logs": lambda: build_application(parse(ApplicationSpec, {
        **APPLICATION, "Scheme": "internal", "IngressCidrs": "10.0.0.0/8", "HostedZoneId": None,
        "AccessLogsBucket": "example-alb-logs", "DeletionProtection": True}, where="variant")),
    "version-ec2": lambda: version(),
    "version-fargate": lambda: version(LaunchType="FARGATE"),
    "version-ec2-autoscaling": lambda: version(Autoscaling=True),
    "version-fargate-autoscaling": lambda: version(LaunchType="FARGATE", Autoscaling=True,
                                                   AutoscalingMinCapacity=2, AutoscalingMaxCapacity=6),
    "version-fargate-sidecar-volume-secrets": lambda: version(LaunchType="FARGATE", TaskDefinition=RICH_TASK),
}
