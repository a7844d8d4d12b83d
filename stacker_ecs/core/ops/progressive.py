"""Shift live traffic to a new version in weighted steps, baking each step while watching alarms.

Each step is one ``ModifyListener`` call forwarding ``percent`` of requests to the new version and
the rest to the live one. During the bake the given CloudWatch alarms are read (one
``DescribeAlarms`` call per poll); if one goes off, the listener gets back exactly the default
action it had before the cutover began, and the cutover fails naming the alarm and the step.
"""

from __future__ import annotations

import logging

import boto3

from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.live import ListenerState
from stacker_ecs.core.ops.wait import Clock, poll_intervals

LOGGER = logging.getLogger(__name__)


def shift_in_steps(session: boto3.Session, state: ListenerState, target_group_arn: str, *, version: str,
                   steps_percent: list[int], bake_seconds: float, alarm_names: list[str], clock: Clock) -> None:
    """Forward ``steps_percent`` of traffic to ``target_group_arn`` in turn; restore and raise on an alarm."""
    live = state.live_target_group
    app = state.application.app
    if live is None or not steps_percent:
        return
    already = alarm_in_alarm(session, alarm_names)  # before any traffic moves: unknown names, alarms firing
    if already:
        raise UnhealthyVersionError(app=app, version=version, cause=(
            f"alarm {already} is already in ALARM; no traffic was moved. Wait for it to clear, then cut over"))
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
    """Return the first of ``alarm_names`` whose state is ALARM (one call per 100 names; none without names).

    Metric and composite alarms both count (``DescribeAlarms`` returns only metric alarms unless asked);
    a name CloudWatch does not know fails the cutover, since a misspelt alarm would never stop it.
    """
    for start in range(0, len(alarm_names), 100):
        batch = alarm_names[start:start + 100]
        with aws_call("DescribeAlarms", ", ".join(batch)):
            answer = client(session, "cloudwatch").describe_alarms(
                AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        alarms = answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])
        unknown = sorted(set(batch) - {a["AlarmName"] for a in alarms})
        if unknown:
            raise AwsStateError(f"alarm_names: CloudWatch has no alarm {', '.join(unknown)}; fix the name or "
                                "create the alarm (a misspelt alarm would never stop a bad canary)")
        names = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
        if names:
            return names[0]
    return None


def forward(session: boto3.Session, state: ListenerState, weights: dict[str, int]) -> None:
    """Set the listener's default action to forward by ``weights`` (target group ARN -> weight)."""
    groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
    with aws_call("ModifyListener", state.application.app):
        client(session, "elbv2").modify_listener(
            ListenerArn=state.application.listener_arn,
            DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}])
