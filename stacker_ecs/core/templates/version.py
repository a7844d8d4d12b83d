"""The version stack: one per build of an app, reachable on its own host before and after it is live.

Resources: ``TaskDefinition``, ``ExecutionRole``, ``TaskRole``, ``TargetGroup``, ``HostRule``
(host header ``<version>.<app>.<domain>`` on the application's HTTPS listener), ``Service``; with
autoscaling also ``ScalableTarget`` and ``CpuTargetTracking``. Outputs ``Version`` and ``Url``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Ref, Sub, Template, applicationautoscaling, ecs, iam

from stacker_ecs.core import naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Spec
from stacker_ecs.core.templates import containers as ctr
from stacker_ecs.core.templates.common import add_output, base_tags, split_list, tags
from stacker_ecs.core.templates.version_iam import build_execution_role, build_task_role
from stacker_ecs.core.templates.version_network import build_host_rule, build_target_group
from stacker_ecs.core.validation import check_name, check_version


class VersionSpec(Spec):
    """Settings of a version stack (the stacker ``variables`` of ``Version``)."""

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
    rule_priority: int = Field(ge=1, le=50000)
    """Priority of the host rule on the listener, 1-50000 (``${alb_rule_priority ...}``)."""
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
    """Default: 1; start at the live version's count with ``${ecs_live_desired_count <app>}``."""
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

    _check_app = field_validator("app")(lambda v: check_name("app", v))
    _check_environment = field_validator("environment")(lambda v: check_name("environment", v))
    _check_version = field_validator("version", mode="before")(lambda v: check_version(str(v)))
    _coerce_lists = field_validator("subnets", "task_role_policy_arns", mode="before")(lambda v: split_list(v))

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} does not start with '/'; write it as '/{value}'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> VersionSpec:
        if len(self.host) > naming.MAX_HOST:
            raise ValueError(f"Version: host {self.host!r} is {len(self.host)} characters, above the load "
                             f"balancer's {naming.MAX_HOST}; shorten the version or the domain")
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


def resolve_task(spec: VersionSpec, *, where: str) -> dict[str, Any]:
    """Return the task definition (inline or from its file), checked; raises :class:`ConfigError`."""
    if spec.task_definition is not None:
        task, source = spec.task_definition, "TaskDefinition"
    else:
        source = "TaskDefinitionFile"
        try:
            task = ctr.load_task_definition(spec.task_definition_file or "", {
                "App": spec.app, "Version": spec.version, "Environment": spec.environment})
        except ValueError as exc:
            raise ConfigError(f"TaskDefinitionFile: {exc}", where=where) from None
    try:
        ctr.check_task_shape(task)
        ctr.check_sizes(task, spec.launch_type)
        ctr.check_environment(task["containerDefinitions"])
        ctr.build_container_definitions(task["containerDefinitions"])
        ctr.build_volumes(task.get("volumes") or [])
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}", where=where) from None
    try:
        ctr.pick_target(task["containerDefinitions"], spec.container_name, spec.container_port)
    except ValueError as exc:
        field = "ContainerName" if spec.container_name else "ContainerPort" if spec.container_port else source
        raise ConfigError(f"{field}: {exc}", where=where) from None
    return task


def build_version(spec: VersionSpec, task: dict[str, Any]) -> Template:
    """Return the version template for ``spec`` and its checked task definition."""
    template = Template(Description=f"stacker_ecs version {spec.version} of {spec.app} ({spec.environment})")
    common = base_tags(spec.environment, spec.app, spec.version, spec.tags)
    fargate = spec.launch_type == "FARGATE"
    container, port = ctr.pick_target(task["containerDefinitions"], spec.container_name, spec.container_port)
    definitions = ctr.prepare(
        task["containerDefinitions"], image=spec.image, target=container, awsvpc=fargate,
        log_group=spec.log_group_name, region=Ref("AWS::Region"),
        stream_prefix=naming.log_stream_prefix(spec.app, spec.version))
    execution_role = template.add_resource(build_execution_role(spec, definitions))
    task_role = template.add_resource(build_task_role(spec))
    task_definition = template.add_resource(_task_definition(spec, task, definitions, execution_role, task_role))
    target_group = template.add_resource(build_target_group(spec, fargate, tags(common)))
    rule = template.add_resource(build_host_rule(spec, target_group))
    service = template.add_resource(_service(spec, task_definition, target_group, container, port, common))
    service.DependsOn = [rule.title]
    if spec.autoscaling:
        _add_autoscaling(template, spec, service)
    add_output(template, "Version", spec.version, "Version of the app in this stack")
    add_output(template, "App", spec.app, "App name")
    add_output(template, "Url", f"https://{spec.host}", "This version's own URL, live or not")
    add_output(template, "ServiceName", GetAtt(service, "Name"), "ECS service name")
    add_output(template, "ClusterName", spec.cluster_name, "Cluster the service runs in")
    add_output(template, "TargetGroupArn", Ref(target_group), "Target group of this version")
    add_output(template, "TaskDefinitionArn", Ref(task_definition), "Task definition revision")
    add_output(template, "HostRuleArn", Ref(rule), "Host-header rule of this version")
    return template


def _task_definition(spec: VersionSpec, task: dict[str, Any], definitions: list[dict[str, Any]],
                     execution_role: iam.Role, task_role: iam.Role) -> ecs.TaskDefinition:
    fargate = spec.launch_type == "FARGATE"
    properties: dict[str, Any] = {
        "Family": task.get("family") or naming.task_family(spec.app, spec.environment),
        "ContainerDefinitions": ctr.build_container_definitions(definitions),
        "NetworkMode": "awsvpc" if fargate else "bridge",
        "RequiresCompatibilities": [spec.launch_type],
        "ExecutionRoleArn": GetAtt(execution_role, "Arn"),
        "TaskRoleArn": GetAtt(task_role, "Arn"),
        "Tags": tags(base_tags(spec.environment, spec.app, spec.version, spec.tags)),
    }
    for key in ("cpu", "memory"):
        if task.get(key) is not None:
            properties[key.capitalize()] = str(task[key])
    if task.get("volumes"):
        properties["Volumes"] = ctr.build_volumes(task["volumes"])
    return ecs.TaskDefinition(naming.TASK_DEFINITION, **properties)


def _service(spec: VersionSpec, task_definition: ecs.TaskDefinition, target_group: Any, container: str,
             port: int, common: dict[str, str]) -> ecs.Service:
    fargate = spec.launch_type == "FARGATE"
    service_tags = {**common, naming.TAG_AUTOSCALING: "on" if spec.autoscaling else "off"}
    properties: dict[str, Any] = {
        "ServiceName": naming.service_name(spec.app, spec.version),
        "Cluster": spec.cluster_name,
        "TaskDefinition": Ref(task_definition),
        "DesiredCount": spec.desired_count,
        "HealthCheckGracePeriodSeconds": spec.health_check_grace_period_seconds,
        "LoadBalancers": [ecs.LoadBalancer(
            ContainerName=container, ContainerPort=port, TargetGroupArn=Ref(target_group))],
        "DeploymentConfiguration": ecs.DeploymentConfiguration(
            MinimumHealthyPercent=100, MaximumPercent=200,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(
                Enable=spec.circuit_breaker, Rollback=spec.circuit_breaker)),
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
        "Tags": tags(service_tags),
    }
    if fargate:
        # Explicit, so a Fargate app runs on Fargate in a cluster whose default capacity is EC2.
        properties["CapacityProviderStrategy"] = [
            ecs.CapacityProviderStrategyItem(CapacityProvider="FARGATE", Base=1, Weight=1)]
        properties["NetworkConfiguration"] = ecs.NetworkConfiguration(
            AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                Subnets=spec.subnets, SecurityGroups=[spec.container_security_group_id],
                AssignPublicIp="DISABLED"))
    else:
        properties["PlacementStrategies"] = [
            ecs.PlacementStrategy(Type="spread", Field="attribute:ecs.availability-zone"),
            ecs.PlacementStrategy(Type="binpack", Field="memory"),
        ]
    # No LaunchType: on EC2 the service uses the cluster's default capacity provider strategy.
    return ecs.Service(naming.SERVICE, **properties)


def _add_autoscaling(template: Template, spec: VersionSpec, service: ecs.Service) -> None:
    target = template.add_resource(applicationautoscaling.ScalableTarget(
        naming.SCALABLE_TARGET,
        ServiceNamespace="ecs",
        ScalableDimension="ecs:service:DesiredCount",
        ResourceId=Sub("service/${Cluster}/${Name}", Cluster=spec.cluster_name, Name=GetAtt(service, "Name")),
        MinCapacity=spec.autoscaling_min_capacity,
        MaxCapacity=spec.autoscaling_max_capacity,
    ))
    template.add_resource(applicationautoscaling.ScalingPolicy(
        naming.SCALING_POLICY,
        PolicyName=Sub("${AWS::StackName}-cpu"),
        PolicyType="TargetTrackingScaling",
        ScalingTargetId=Ref(target),
        TargetTrackingScalingPolicyConfiguration=applicationautoscaling.TargetTrackingScalingPolicyConfiguration(
            TargetValue=float(spec.autoscaling_target_cpu_percent),
            ScaleInCooldown=120, ScaleOutCooldown=60,
            PredefinedMetricSpecification=applicationautoscaling.PredefinedMetricSpecification(
                PredefinedMetricType="ECSServiceAverageCPUUtilization"),
        ),
    ))
