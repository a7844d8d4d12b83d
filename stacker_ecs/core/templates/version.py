"""The version stack: one per build of an app, reachable on its own host before and after it is live.

Resources: ``TaskDefinition``, ``ExecutionRole``, ``TaskRole``, ``TargetGroup``, ``HostRule``
(host header ``<version>.<app>.<domain>`` on the application's HTTPS listener), ``Service``; with
autoscaling also ``ScalableTarget`` and ``CpuTargetTracking``; with a hosted zone ``VersionRecord``
(``<version>.<app>.<domain>``, beside the application's ``*.<app>.<domain>``). Outputs: ``Version``, ``App``, ``Url``,
``ServiceName``, ``ClusterName``, ``TargetGroupArn``, ``TaskDefinitionArn``, ``HostRuleArn``, ``DesiredCount``
(:mod:`stacker_ecs.core.contract`). Settings: :class:`VersionSpec`; task: :mod:`.version_task`.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Template, applicationautoscaling, ecs, iam, route53

from stacker_ecs.core import contract, naming
from stacker_ecs.core.templates.common import add_output, base_tags, tags
from stacker_ecs.core.templates.version_iam import build_execution_role, build_task_role
from stacker_ecs.core.templates.version_network import build_host_rule, build_target_group, build_test_rule
from stacker_ecs.core.templates.version_spec import VersionSpec
from stacker_ecs.core.templates.version_task import CheckedTask, check_task, load_task

__all__ = ["CheckedTask", "VersionSpec", "build_version", "check_task", "load_task", "render_version"]


def render_version(spec: VersionSpec, *, where: str) -> Template:
    """Return the version template for ``spec``: its task definition loaded and checked, then built."""
    return build_version(spec, check_task(spec, load_task(spec, where=where), where=where))


def build_version(spec: VersionSpec, task: CheckedTask) -> Template:
    """Return the version template for ``spec`` and its checked task definition (:func:`check_task`)."""
    template = Template(Description=contract.version_description(spec.app, spec.version, spec.environment))
    common = base_tags(spec.environment, spec.app, spec.version, spec.tags)
    fargate = spec.launch_type == "FARGATE"
    execution_role = template.add_resource(build_execution_role(spec, task.containers))
    task_role = template.add_resource(build_task_role(spec))
    task_definition = template.add_resource(_task_definition(spec, task, execution_role, task_role))
    target_group = template.add_resource(build_target_group(spec, fargate, tags(common)))
    rule = template.add_resource(build_host_rule(spec, target_group))
    test_rule = template.add_resource(build_test_rule(spec, target_group))
    service = template.add_resource(_service(spec, task_definition, target_group, task.container, task.port,
                                                   common))
    service.DependsOn = [rule.title, test_rule.title]
    if spec.autoscaling:
        _add_autoscaling(template, spec, service)
    if spec.hosted_zone_id:
        template.add_resource(route53.RecordSetType(
            naming.VERSION_RECORD, HostedZoneId=spec.hosted_zone_id, Name=spec.host + ".", Type="A",
            AliasTarget=route53.AliasTarget(HostedZoneId=spec.load_balancer_hosted_zone_id,
                                            DNSName=spec.load_balancer_dns_name, EvaluateTargetHealth=False)))
    add_output(template, contract.VERSION, spec.version, "Version of the app in this stack")
    add_output(template, contract.APP, spec.app, "App name")
    add_output(template, contract.URL, f"https://{spec.host}", "This version's own URL, live or not")
    add_output(template, contract.SERVICE_NAME, GetAtt(service, "Name"), "ECS service name")
    add_output(template, contract.CLUSTER_NAME, spec.cluster_name, "Cluster the service runs in")
    add_output(template, contract.TARGET_GROUP_ARN, Ref(target_group), "Target group of this version")
    add_output(template, contract.TASK_DEFINITION_ARN, Ref(task_definition), "Task definition revision")
    add_output(template, contract.HOST_RULE_ARN, Ref(rule), "Host-header rule of this version")
    # Not exported: only the ecs_version_desired_count lookup reads it, so a re-run renders this template again.
    template.add_output(Output(contract.DESIRED_COUNT, Value=str(spec.desired_count),
                               Description="The service's DesiredCount in this template (not its current count)"))
    return template


def _task_definition(spec: VersionSpec, checked: CheckedTask, execution_role: iam.Role,
                     task_role: iam.Role) -> ecs.TaskDefinition:
    fargate = spec.launch_type == "FARGATE"
    task = checked.task
    properties: dict[str, Any] = {
        "Family": task.get("family") or naming.task_family(spec.app, spec.environment),
        "ContainerDefinitions": checked.definitions,
        "NetworkMode": "awsvpc" if fargate else "bridge",
        "RequiresCompatibilities": [spec.launch_type],
        "ExecutionRoleArn": GetAtt(execution_role, "Arn"),
        "TaskRoleArn": GetAtt(task_role, "Arn"),
        "Tags": tags(base_tags(spec.environment, spec.app, spec.version, spec.tags)),
    }
    for key in ("cpu", "memory"):
        if task.get(key) is not None:
            properties[key.capitalize()] = str(task[key])
    if checked.volumes:
        properties["Volumes"] = checked.volumes
    return ecs.TaskDefinition(naming.TASK_DEFINITION, **properties)


def _service(spec: VersionSpec, task_definition: ecs.TaskDefinition, target_group: Any, container: str,
             port: int, common: dict[str, str]) -> ecs.Service:
    fargate = spec.launch_type == "FARGATE"
    service_tags = {**common, contract.TAG_AUTOSCALING: "on" if spec.autoscaling else "off"}
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
