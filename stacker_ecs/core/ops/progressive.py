"""Shift live traffic to a new version in weighted steps, baking each step while watching alarms.

Each step is one write of the app's live rule forwarding ``percent`` of requests to the new
version and the rest to the live one. During the bake the given CloudWatch alarms are read (one
``DescribeAlarms`` call per poll); if one goes off, the live rule gets back exactly the weights
it had before the cutover began, and the cutover fails naming the alarm and the step.
"""

from __future__ import annotations

import logging

import boto3

from stacker_ecs.core import naming
from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsCallError, UnhealthyVersionError
from stacker_ecs.core.ops.live import ListenerState, describe_listener
from stacker_ecs.core.ops.wait import Clock, poll_intervals

LOGGER = logging.getLogger(__name__)


def shift_in_steps(session: boto3.Session, state: ListenerState, target_group_arn: str, *, version: str,
                   steps_percent: list[int], bake_seconds: float, alarm_names: list[str], clock: Clock) -> None:
    """Forward ``steps_percent`` of traffic to ``target_group_arn`` in turn; restore and raise on an alarm."""
    live = state.live_target_group
    app = state.application.app
    if live is None or not steps_percent:
        return
    for percent in steps_percent:
        forward(session, state, {target_group_arn: percent, live: 100 - percent})
        LOGGER.info("%s/%s: %d%% of traffic; baking %.0fs", app, version, percent, bake_seconds)
        fired = bake(session, alarm_names, bake_seconds, clock)
        if fired:
            forward(session, state, state.forward)
            raise UnhealthyVersionError(
                app=app, version=version,
                cause=(f"alarm {fired} went off with {percent}% of traffic on {version}; all traffic is back on "
                       f"{state.live_version or live}. Look at the alarm's metric, fix, and deploy a new version"))


def bake(session: boto3.Session, alarm_names: list[str], seconds: float, clock: Clock) -> str | None:
    """Wait ``seconds``; return the first of ``alarm_names`` found in ALARM, or None."""
    deadline = clock.now() + seconds
    intervals = poll_intervals(first_seconds=1.0, cap_seconds=10.0)
    while True:
        fired = alarm_in_alarm(session, alarm_names)
        remaining = deadline - clock.now()
        if fired or remaining <= 0:
            return fired
        clock.sleep(min(next(intervals), remaining))


def alarm_in_alarm(session: boto3.Session, alarm_names: list[str]) -> str | None:
    """Return the first of ``alarm_names`` whose state is ALARM (one call per 100 names; none without names)."""
    for start in range(0, len(alarm_names), 100):
        with aws_call("DescribeAlarms", ", ".join(alarm_names[start:start + 100])):
            answer = client(session, "cloudwatch").describe_alarms(
                AlarmNames=alarm_names[start:start + 100], StateValue="ALARM")
        alarms = answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])
        names = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
        if names:
            return names[0]
    return None


def forward(session: boto3.Session, state: ListenerState, weights: dict[str, int]) -> None:
    """Set the live rule to forward by ``weights`` (target group ARN -> weight), creating it the first time.

    The live rule belongs to the hooks, not to CloudFormation, so no stack update reverts it (the
    listener's default action stays the template's constant 503). One call; two more when another
    cutover created the rule since ``state`` was read.
    """
    actions = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}]
    elbv2 = client(session, "elbv2")
    rule_arn = state.live_rule_arn
    if rule_arn is None:
        try:
            with aws_call("CreateRule", state.application.app):
                elbv2.create_rule(
                    ListenerArn=state.application.listener_arn, Priority=naming.LIVE_RULE_PRIORITY,
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [naming.LIVE_RULE_PATH]}}],
                    Actions=actions)
            return
        except AwsCallError as exc:
            if exc.code != "PriorityInUse":
                raise
        rule_arn = describe_listener(session, state.application).live_rule_arn
    with aws_call("ModifyRule", state.application.app):
        elbv2.modify_rule(RuleArn=rule_arn, Actions=actions)
