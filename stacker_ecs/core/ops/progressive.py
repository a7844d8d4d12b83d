"""Shift live traffic to a new version in weighted steps, baking each step while watching alarms.

Each step is one ``ModifyListener`` call forwarding ``percent`` of requests to the new version and
the rest to the live one. During the bake the given CloudWatch alarms are read (one
``DescribeAlarms`` call per poll); if one goes off, the listener gets back exactly the default
action it had before the cutover began, and the cutover fails naming the alarm and the step.
"""

from __future__ import annotations

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.listener import ListenerState
from stacker_ecs.core.ops.wait import poll


def shift_in_steps(aws: AwsContext, state: ListenerState, target_group_arn: str, *, version: str,
                   steps_percent: list[int], bake_seconds: float, alarm_names: list[str]) -> None:
    """Forward ``steps_percent`` of traffic to ``target_group_arn`` in turn; restore and raise on an alarm."""
    live = state.live_target_group
    app = state.application.app
    if live is None or not steps_percent:
        return
    already = first_alarm_firing(aws, alarm_names)  # before any traffic moves: unknown names, alarms firing
    if already:
        raise UnhealthyVersionError(app=app, version=version, cause=(
            f"alarm {already} is already in ALARM; no traffic was moved. Wait for it to clear, then cut over"))
    for percent in steps_percent:
        write_listener_forward(aws, state, {target_group_arn: percent, live: 100 - percent})
        aws.about(version, app=app).log.info("%d%% of traffic; baking %.0fs", percent, bake_seconds)
        fired = bake(aws, alarm_names, bake_seconds)
        if fired:
            write_listener_forward(aws, state, state.forward)
            raise UnhealthyVersionError(
                app=app, version=version,
                cause=(f"alarm {fired} went off with {percent}% of traffic on {version}; all traffic is back on "
                       f"{state.live_version or live}. Look at the alarm's metric, fix, and deploy a new version"))


def bake(aws: AwsContext, alarm_names: list[str], seconds: float) -> str | None:
    """Wait ``seconds``; return the first of ``alarm_names`` found in ALARM, or None."""
    return poll(aws.clock, lambda _: first_alarm_firing(aws, alarm_names), lambda fired: fired is not None,
                timeout_seconds=seconds, first_seconds=1.0, cap_seconds=10.0).value


def first_alarm_firing(aws: AwsContext, alarm_names: list[str]) -> str | None:
    """Return the first of ``alarm_names`` whose state is ALARM (one call per 100 names; none without names).

    Metric and composite alarms both count (``DescribeAlarms`` returns only metric alarms unless asked);
    a name CloudWatch does not know fails the cutover, since a misspelt alarm would never stop it.
    """
    for start in range(0, len(alarm_names), 100):
        batch = alarm_names[start:start + 100]
        with aws_call("DescribeAlarms", ", ".join(batch)):
            answer = aws.client("cloudwatch").describe_alarms(
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


def write_listener_forward(aws: AwsContext, state: ListenerState, weights: dict[str, int]) -> None:
    """Write the listener's default action: forward by ``weights`` (target group ARN -> weight)."""
    groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
    with aws_call("ModifyListener", state.application.app):
        aws.client("elbv2").modify_listener(
            ListenerArn=state.application.listener_arn,
            DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}])
