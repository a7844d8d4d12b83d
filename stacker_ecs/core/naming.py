"""Every stack, service, export, host and logical-ID name, in one place.

What templates and operations exchange (output keys, stack descriptions, tags) is in
:mod:`stacker_ecs.core.contract`.

The three stacks of one environment (a namespace: stacker's and CFNgin's, or Sceptre's
``<project_code>-<group path>``) are named::

    <namespace>-cluster                     the ECS cluster
    <namespace>-app-<app>                   the application stack (ALB, listeners, DNS)
    <namespace>-app-<app>-V-<version>       one stack per build of <app>

Names cannot collide. Apps and versions are lower-case letters, digits and single ``-``
(:mod:`stacker_ecs.core.validation`), so every name joins them with something neither can
contain: ``-V-`` in stack names (CloudFormation stack names are case-sensitive), ``_`` in ECS
service names and task families, ``.`` in host names (``<version>.<app>.<domain>``) and ``/`` in
log stream prefixes. ``tests/core/test_naming.py`` proves it with Hypothesis over every accepted
name. Target groups and load balancers have no explicit name: CloudFormation derives one (at most
32 characters, with a random suffix) from the stack name, so they cannot collide either, and
no name may contain ``--``, which AWS refuses in those derived names.

Lookups and hooks find everything from these names, the application listener's rules and the
version host names, never by scanning the account.
"""

from __future__ import annotations

import re

# Logical IDs are a public contract: renaming one replaces the resource in every user's stack.
CLUSTER = "Cluster"
CLUSTER_LOG_GROUP = "LogGroup"
CONTAINER_SECURITY_GROUP = "ContainerSecurityGroup"
SHARED_LOAD_BALANCER_SECURITY_GROUP = "SharedLoadBalancerSecurityGroup"
"""The cluster's group whose members are the environment's load balancers: the one source the containers admit."""
CONTAINER_INGRESS = "ContainerIngressFromLoadBalancer"
"""The cluster's one inbound rule of the container group: from :data:`SHARED_LOAD_BALANCER_SECURITY_GROUP`.
(Application stacks made before it held a rule of this name each, from their own load balancer's group.)"""
INSTANCE_ROLE = "InstanceRole"
INSTANCE_PROFILE = "InstanceProfile"
LAUNCH_TEMPLATE = "LaunchTemplate"
AUTO_SCALING_GROUP = "AutoScalingGroup"
CAPACITY_PROVIDER = "CapacityProvider"
CAPACITY_PROVIDER_ASSOCIATIONS = "CapacityProviderAssociations"
COORDINATION_TABLE = "CoordinationTable"

LOAD_BALANCER = "LoadBalancer"
LOAD_BALANCER_INBOUND_SECURITY_GROUP = "LoadBalancerInboundSecurityGroup"
"""An app's own group: inbound 80/443 from its ``IngressCidrs``, no egress. It replaced ``LoadBalancerSecurityGroup``
(which also reached the containers) under a new name, so that an update creates it, switches the load balancer to it
and the shared group at once, and only then deletes the old group and its rule on the container group."""
HTTPS_LISTENER = "HttpsListener"
CERTIFICATE = "Certificate"
HTTP_LISTENER = "HttpRedirectListener"
APP_RECORD = "AppRecord"
WILDCARD_RECORD = "VersionWildcardRecord"
VERSION_RECORD = "VersionRecord"

TASK_DEFINITION = "TaskDefinition"
TASK_ROLE = "TaskRole"
EXECUTION_ROLE = "ExecutionRole"
SERVICE = "Service"
TARGET_GROUP = "TargetGroup"
LISTENER_RULE = "HostRule"
TEST_RULE = "TestHeaderRule"
"""The version's second rule: the app's own host with the test header (:data:`TEST_HEADER`) reaches it."""
SCALABLE_TARGET = "ScalableTarget"
SCALING_POLICY = "CpuTargetTracking"

# Stack name parts.
CLUSTER_SUFFIX = "cluster"
COORDINATION_SUFFIX = "coordination"
APP_PREFIX = "app"
VERSION_SEPARATOR = "-V-"
SERVICE_SEPARATOR = "_"
FORBIDDEN = "--"
# The hook-owned rule that forwards the app's live traffic (see core/ops/listener.py): the last
# priority, below every version's host rule; a version's rule never takes it.
LIVE_RULE_PRIORITY = 50000
LIVE_RULE_PATH = "/*"
TEST_HEADER = "X-Stacker-Ecs-Version"
"""Requests to the app's own host carrying this header with a version's name reach that version (test traffic)."""

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
VERSION_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_HOST_LABEL = 63  # a DNS label (the version, the first label of its host)
MAX_HOST = 128  # ALB host-header values


def cluster_stack(namespace: str) -> str:
    """Return the CloudFormation name of an environment's cluster stack."""
    return f"{namespace}-{CLUSTER_SUFFIX}"


def coordination_table(namespace: str) -> str:
    """Return the DynamoDB table of the environment's leases and records (the cluster stack makes it)."""
    return f"{cluster_stack(namespace)}-{COORDINATION_SUFFIX}"


def application_stack(namespace: str, app: str) -> str:
    """Return the CloudFormation name of an app's application stack."""
    return f"{namespace}-{APP_PREFIX}-{app}"


def version_stack(namespace: str, app: str, version: str) -> str:
    """Return the CloudFormation name of one version's stack."""
    return f"{application_stack(namespace, app)}{VERSION_SEPARATOR}{version}"


def version_stack_prefix(namespace: str, app: str) -> str:
    """Return the prefix every version stack of ``app`` starts with."""
    return f"{application_stack(namespace, app)}{VERSION_SEPARATOR}"


def version_from_stack(namespace: str, app: str, stack_name: str) -> str | None:
    """Return the version a stack name belongs to, or None if it is not a version of ``app``."""
    prefix = version_stack_prefix(namespace, app)
    if not stack_name.startswith(prefix):
        return None
    version = stack_name[len(prefix):]
    return version if VERSION_RE.match(version) and FORBIDDEN not in version else None


def service_name(app: str, version: str) -> str:
    """Return the ECS service name of a version (unique within the environment's cluster)."""
    return f"{app}{SERVICE_SEPARATOR}{version}"


def task_family(app: str, environment: str) -> str:
    """Return the task definition family of an app's versions in one environment."""
    return f"{app}{SERVICE_SEPARATOR}{environment}"


def version_host(app: str, version: str, domain: str) -> str:
    """Return the host name a version answers on before and after it is live: ``<version>.<app>.<domain>``."""
    return f"{version}.{app_host(app, domain)}"


def version_wildcard(app: str, domain: str) -> str:
    """Return the DNS name that covers every version host of ``app`` (``*.<app>.<domain>``)."""
    return f"*.{app_host(app, domain)}"


def version_from_host(app: str, host: str) -> str | None:
    """Return the version a host-header value names, or None if it is not one of ``app``'s."""
    label, _, rest = host.partition(".")
    owner = rest.split(".", 1)[0]
    return label if label and owner == app else None


def test_rule_priority(host_rule_priority: int) -> int:
    """Return the test-header rule's priority: next to the host rule's, never the live rule's (pure)."""
    after = host_rule_priority + 1
    return after if after < LIVE_RULE_PRIORITY else host_rule_priority - 1


def app_host(app: str, domain: str) -> str:
    """Return the host name the live version of ``app`` answers on."""
    return f"{app}.{domain.rstrip('.')}"


def export_name(stack_name: str, output: str) -> str:
    """Return the CloudFormation export name of a stack output, for tools outside the engine."""
    return f"{stack_name}-{output}"


def log_stream_prefix(app: str, version: str) -> str:
    """Return the awslogs stream prefix of a version's containers."""
    return f"{app}/{version}"
