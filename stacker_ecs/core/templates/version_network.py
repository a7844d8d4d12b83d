"""The load-balancer side of a version: its target group, its host-header rule and its test-header rule."""

from __future__ import annotations

from troposphere import Ref, Tags
from troposphere import elasticloadbalancingv2 as elb

from stacker_ecs.core import naming
from stacker_ecs.core.templates.version_spec import VersionSpec


def build_target_group(spec: VersionSpec, fargate: bool, tags: Tags) -> elb.TargetGroup:
    """Return the version's target group with the seed's health-check settings."""
    return elb.TargetGroup(
        naming.TARGET_GROUP,
        VpcId=spec.vpc_id,
        Protocol="HTTP",
        Port=80,  # per target: ECS registers each task's (dynamic) port
        TargetType="ip" if fargate else "instance",
        HealthCheckProtocol="HTTP",
        HealthCheckPort="traffic-port",
        HealthCheckPath=spec.health_check_path,
        HealthCheckIntervalSeconds=spec.health_check_interval_seconds,
        HealthCheckTimeoutSeconds=spec.health_check_timeout_seconds,
        HealthyThresholdCount=spec.healthy_threshold_count,
        UnhealthyThresholdCount=spec.unhealthy_threshold_count,
        Matcher=elb.Matcher(HttpCode=spec.health_check_matcher),
        TargetGroupAttributes=[elb.TargetGroupAttribute(
            Key="deregistration_delay.timeout_seconds", Value=str(spec.deregistration_delay_seconds))],
        Tags=tags,
    )


def build_host_rule(spec: VersionSpec, target_group: elb.TargetGroup) -> elb.ListenerRule:
    """Return the rule that sends ``<version>.<app>.<domain>`` to this version, live or not."""
    return elb.ListenerRule(
        naming.LISTENER_RULE,
        ListenerArn=spec.listener_arn,
        Priority=spec.rule_priority,
        Conditions=[elb.Condition(Field="host-header", HostHeaderConfig=elb.HostHeaderConfig(Values=[spec.host]))],
        Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
    )


def build_test_rule(spec: VersionSpec, target_group: elb.TargetGroup) -> elb.ListenerRule:
    """Return the rule that sends ``<app>.<domain>`` requests carrying ``X-Stacker-Ecs-Version: <version>`` here.

    Test traffic on the live host from deploy until the version is deleted; its priority is next to the
    host rule's (:func:`~stacker_ecs.core.naming.test_rule_priority`), so it is evaluated before the app's
    live rule (priority 50000), which it never touches.
    """
    return elb.ListenerRule(
        naming.TEST_RULE,
        ListenerArn=spec.listener_arn,
        Priority=naming.test_rule_priority(spec.rule_priority),
        Conditions=[
            elb.Condition(Field="host-header", HostHeaderConfig=elb.HostHeaderConfig(
                Values=[naming.app_host(spec.app, spec.domain)])),
            elb.Condition(Field="http-header", HttpHeaderConfig=elb.HttpHeaderConfig(
                HttpHeaderName=naming.TEST_HEADER, Values=[spec.version])),
        ],
        Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
    )
