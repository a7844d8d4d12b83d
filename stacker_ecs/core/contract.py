"""The contract between the templates and the operations: stack outputs, descriptions, tags.

The builders write these; the operations (and the emulator) read them. Renaming one breaks every
stack already deployed, so they are written once, here.
"""

from __future__ import annotations

import re
from typing import Any

# Outputs of the cluster stack (read by the config through ``${output cluster::...}``).
CLUSTER_NAME = "ClusterName"
CLUSTER_ARN = "ClusterArn"
LAUNCH_TYPE = "LaunchType"
VPC_ID = "VpcId"
SUBNETS = "Subnets"
CONTAINER_SECURITY_GROUP_ID = "ContainerSecurityGroupId"
SHARED_LOAD_BALANCER_SECURITY_GROUP_ID = "SharedLoadBalancerSecurityGroupId"
"""The group every application stack's load balancer carries: the containers admit its members, and only them."""
LOG_GROUP_NAME = "LogGroupName"
ENVIRONMENT = "Environment"
COORDINATION_TABLE_NAME = "CoordinationTableName"
NAMESPACE = "Namespace"
"""The namespace a cluster or application stack serves (also an application's); version stacks check it."""

# Outputs of the application stack (the operations read the first three).
LISTENER_ARN = "ListenerArn"
DOMAIN = "Domain"
# CLUSTER_NAME, as in the cluster stack
LOAD_BALANCER_ARN = "LoadBalancerArn"
LOAD_BALANCER_DNS_NAME = "LoadBalancerDnsName"
LOAD_BALANCER_HOSTED_ZONE_ID = "LoadBalancerHostedZoneId"
LOAD_BALANCER_SECURITY_GROUP_ID = "LoadBalancerSecurityGroupId"
APPLICATION_OUTPUTS_READ = (LISTENER_ARN, CLUSTER_NAME, DOMAIN)

# Outputs of a version stack.
APP = "App"
VERSION = "Version"
URL = "Url"
SERVICE_NAME = "ServiceName"
TARGET_GROUP_ARN = "TargetGroupArn"
TASK_DEFINITION_ARN = "TaskDefinitionArn"
HOST_RULE_ARN = "HostRuleArn"
FINGERPRINT = "Fingerprint"
"""A hash of the version template without the service's ``DesiredCount`` (:mod:`stacker_ecs.core.fingerprint`)."""
DESIRED_COUNT = "DesiredCount"
"""The ``DesiredCount`` the version template was deployed with (not the service's current count): the
``ecs_version_desired_count`` lookup returns it, so a re-run renders the same template and no stack is updated."""
# CLUSTER_NAME, as in the cluster stack
VERSION_OUTPUTS_READ = (SERVICE_NAME, CLUSTER_NAME, TARGET_GROUP_ARN)

# Stack descriptions. A version stack whose create failed has no outputs left; its description
# still says whose it is.
CLUSTER_DESCRIPTION = "stacker_ecs cluster of environment {environment}"
APPLICATION_DESCRIPTION = "stacker_ecs application {app} ({environment})"
VERSION_DESCRIPTION = "stacker_ecs version {version} of {app} ({environment})"
_VERSION_DESCRIPTION_RE = re.compile(r"^stacker_ecs version (?P<version>\S+) of (?P<app>\S+) \(")

# Tags every version resource carries.
TAG_APP = "stacker-ecs:app"
TAG_VERSION = "stacker-ecs:version"
TAG_ENVIRONMENT = "stacker-ecs:environment"
TAG_AUTOSCALING = "stacker-ecs:autoscaling"
"""On the ECS service: ``on`` when target tracking owns its desired count (cutover raises the minimum)."""


def version_stack_tags(app: str) -> dict[str, str]:
    """Return the stack-level tags a version stack carries (stacker: the stack's ``tags:``), found by cleanup."""
    return {TAG_APP: app}


def version_description(app: str, version: str, environment: str) -> str:
    """Return the description of a version stack."""
    return VERSION_DESCRIPTION.format(app=app, version=version, environment=environment)


def parse_version_description(description: str | None) -> tuple[str, str] | None:
    """Return ``(app, version)`` named by a version stack's description, or None if it is not one."""
    match = _VERSION_DESCRIPTION_RE.match(description or "")
    return (match["app"], match["version"]) if match else None


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    """Return output key -> value of a ``DescribeStacks`` stack (empty when it has none)."""
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
