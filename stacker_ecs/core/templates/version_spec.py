"""Settings of a version stack: the variables of the ``Version`` blueprint, validated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stacker_ecs.core import naming
from stacker_ecs.core.model import Spec
from stacker_ecs.core.templates.common import split_list
from stacker_ecs.core.validation import check_name, check_version


class VersionSpec(Spec):
    """Settings of a version stack (the variables of the ``Version`` blueprint)."""

    app: str
    """App name, as in the application stack."""
    version: str
    """This build's version: lower-case letters, digits and '-', e.g. ``42-b4c1e``."""
    environment: str
    """Environment name, e.g. ``dev``; used in tags and the task family."""
    cluster_name: str
    """Cluster to run in (``${output cluster::ClusterName}``)."""
    launch_type: Literal["EC2", "FARGATE"] = "EC2"
    """Default: ``EC2`` (bridge networking, dynamic host ports); ``FARGATE`` uses awsvpc. Take it
    from the cluster: ``${output cluster::LaunchType}``."""
    vpc_id: str
    """VPC of the target group (``${output cluster::VpcId}``)."""
    subnets: list[str] = []
    """Default: none (EC2). Subnets of Fargate tasks (``${output cluster::Subnets}``); unused on EC2."""
    container_security_group_id: str = ""
    """Default: none (EC2). Security group of Fargate tasks (``${output cluster::ContainerSecurityGroupId}``)."""
    log_group_name: str
    """Log group of the containers (``${output cluster::LogGroupName}``)."""
    listener_arn: str
    """The application's HTTPS listener (``${output app-<app>::ListenerArn}``)."""
    domain: str
    """The application's domain (``${output app-<app>::Domain}``)."""
    rule_priority: int = Field(ge=1, lt=naming.LIVE_RULE_PRIORITY)
    """Priority of the host rule on the listener, 1-49999 (``${alb_rule_priority ...}``); 50000 is the
    app's live rule."""
    task_definition: dict[str, Any] | None = None
    """The task definition in the seed's ecs.json shape (containerDefinitions, cpu, memory,
    volumes); give this or ``TaskDefinitionFile``."""
    task_definition_file: str | None = None
    """Path of an ecs.json file; ``${App}``, ``${Version}`` and ``${Environment}`` in it are replaced."""
    image: str | None = None
    """Default: the image in the task definition; otherwise the image of this build for the
    target container."""
    container_name: str | None = None
    """Default: the first container with a port mapping; the container behind the load balancer."""
    container_port: int | None = Field(default=None, ge=1, le=65535)
    """Default: that container's first port mapping."""
    desired_count: int = Field(default=1, ge=0, le=1000)
    """Default: 1; the example configs pass ``${ecs_version_desired_count <app>::version=<v>}``: 0 for a new
    version (``verify_health`` scales it), the deployed count afterwards."""
    health_check_path: str = "/"
    """Default: ``/``; the path the load balancer checks (seed: ``lb_health_check``)."""
    health_check_grace_period_seconds: int = Field(default=60, ge=0, le=2147483647)
    """Default: 60; ECS ignores failing checks this long after a task starts."""
    health_check_timeout_seconds: int = Field(default=5, ge=2, le=120)
    """Default: 5; a check slower than this fails."""
    health_check_interval_seconds: int = Field(default=15, ge=5, le=300)
    """Default: 15 seconds between checks."""
    healthy_threshold_count: int = Field(default=2, ge=2, le=10)
    """Default: 2 passing checks make a target healthy."""
    unhealthy_threshold_count: int = Field(default=2, ge=2, le=10)
    """Default: 2 failing checks make a target unhealthy."""
    health_check_matcher: str = "200-399"
    """Default: any 2xx or 3xx answer is healthy."""
    deregistration_delay_seconds: int = Field(default=30, ge=0, le=3600)
    """Default: 30; connections to a stopping task get this long to finish."""
    autoscaling: bool = False
    """Default: off; on adds CPU target tracking between the min and max capacity."""
    autoscaling_target_cpu_percent: int = Field(default=60, ge=1, le=100)
    """Default: 60% average CPU."""
    autoscaling_min_capacity: int = Field(default=1, ge=0)
    """Default: 1 task at least (cutover raises it to the live count)."""
    autoscaling_max_capacity: int = Field(default=4, ge=1)
    """Default: 4 tasks at most."""
    circuit_breaker: bool = True
    """Default: on; ECS stops a deployment whose tasks keep failing and CloudFormation reports it."""
    task_role_policy_arns: list[str] = []
    """Default: none. Managed policies for the containers' own AWS access (the task role has none otherwise)."""
    tags: dict[str, str] = {}
    """Default: none. Extra tags for every resource."""
    secrets_kms_key_arns: list[str] = []
    """Default: none (secrets under AWS-managed keys). Customer-managed KMS keys the task's ``secrets`` are
    encrypted with: the execution role may ``kms:Decrypt`` with exactly these."""
    hosted_zone_id: str | None = None
    """Default: none, no DNS record (the application's ``*.<app>.<domain>`` covers every version). A
    Route 53 zone id: the stack also creates this version's own ``<version>.<app>.<domain>`` alias record;
    give ``LoadBalancerDnsName`` and ``LoadBalancerHostedZoneId`` too
    (``${output app-<app>::LoadBalancerDnsName}``, ...)."""
    load_balancer_dns_name: str | None = None
    """Default: none. The application's load balancer DNS name, for the version's record."""
    load_balancer_hosted_zone_id: str | None = None
    """Default: none. The load balancer's Route 53 zone, for the version's alias record."""

    _check_app = field_validator("app")(lambda v: check_name("app", v))
    _check_environment = field_validator("environment")(lambda v: check_name("environment", v))
    _check_version = field_validator("version", mode="before")(lambda v: check_version(str(v)))
    _coerce_lists = field_validator("subnets", "task_role_policy_arns", "secrets_kms_key_arns",
                                    mode="before")(lambda v: split_list(v))

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} does not start with '/'; write it as '/{value}'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> VersionSpec:
        if len(self.version) > naming.MAX_HOST_LABEL:
            raise ValueError(f"Version: {self.version!r} is {len(self.version)} characters, above the "
                             f"{naming.MAX_HOST_LABEL} a DNS label takes; shorten the version")
        if len(self.host) > naming.MAX_HOST:
            raise ValueError(f"Version: host {self.host!r} is {len(self.host)} characters, above the load "
                             f"balancer's {naming.MAX_HOST}; shorten the version or the domain")
        if self.hosted_zone_id and not (self.load_balancer_dns_name and self.load_balancer_hosted_zone_id):
            raise ValueError("LoadBalancerDnsName/LoadBalancerHostedZoneId: a version record needs both; pass "
                             "${output app-<app>::LoadBalancerDnsName} and "
                             "${output app-<app>::LoadBalancerHostedZoneId}")
        if (self.task_definition is None) == (self.task_definition_file is None):
            raise ValueError("TaskDefinition/TaskDefinitionFile: give exactly one of them")
        if self.autoscaling and self.autoscaling_min_capacity > self.autoscaling_max_capacity:
            raise ValueError(f"AutoscalingMinCapacity: {self.autoscaling_min_capacity} is above "
                             f"AutoscalingMaxCapacity {self.autoscaling_max_capacity}; lower it")
        if self.launch_type == "FARGATE" and not (self.subnets and self.container_security_group_id):
            raise ValueError("Subnets/ContainerSecurityGroupId: Fargate tasks need both; pass "
                             "${output cluster::Subnets} and ${output cluster::ContainerSecurityGroupId}")
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(f"HealthCheckTimeoutSeconds: {self.health_check_timeout_seconds} is not below "
                             f"HealthCheckIntervalSeconds {self.health_check_interval_seconds}; lower it")
        return self

    @property
    def host(self) -> str:
        """Return this version's own host name."""
        return naming.version_host(self.app, self.version, self.domain)
