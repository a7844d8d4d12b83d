"""CloudWatch alarms a stepped cutover watches: checked to exist before any change, read at every poll of a bake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.ops.wait import poll

ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
"""Without ``AlarmTypes`` CloudWatch returns metric alarms only."""


def _describe(aws: AwsContext, alarm_names: list[str], **filters: Any) -> Iterator[dict[str, Any]]:
    """Yield the alarms of ``alarm_names`` (metric and composite), 100 names per call."""
    for start in range(0, len(alarm_names), 100):
        batch = alarm_names[start:start + 100]
        with aws_call("DescribeAlarms", ", ".join(batch)):
            answer = aws.client("cloudwatch").describe_alarms(AlarmNames=batch, AlarmTypes=ALARM_TYPES, **filters)
        yield from answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])


def check_alarms_exist(aws: AwsContext, alarm_names: list[str]) -> None:
    """Refuse alarm names CloudWatch does not know (metric or composite), before any change."""
    found = {alarm["AlarmName"] for alarm in _describe(aws, alarm_names)}
    missing = [name for name in alarm_names if name not in found]
    if missing:
        raise ConfigError(f"alarm_names: {', '.join(repr(m) for m in missing)} not found in CloudWatch (metric or "
                          "composite alarms of this account and region); check the spelling, or create the alarm "
                          "first: a missing alarm would never stop the canary")


def first_alarm_firing(aws: AwsContext, alarm_names: list[str]) -> str | None:
    """Return the first of ``alarm_names`` (metric or composite) in ALARM, or None."""
    for alarm in _describe(aws, alarm_names, StateValue="ALARM"):
        if alarm.get("StateValue") == "ALARM":
            return str(alarm["AlarmName"])
    return None


def bake(aws: AwsContext, alarm_names: list[str], seconds: float,
         still_ours: Callable[[], object] = lambda: None) -> str | None:
    """Wait ``seconds`` reading the alarms; return the first found in ALARM, or None.

    ``still_ours`` runs at each poll and raises when the canary was aborted meanwhile, so an operator's
    rollback stops the runner within one poll interval (10 s at most), not at the end of the bake.
    """

    def look(_elapsed: float) -> str | None:
        still_ours()
        return first_alarm_firing(aws, alarm_names)

    return poll(aws.clock, look, lambda fired: fired is not None, timeout_seconds=seconds,
                first_seconds=1.0, cap_seconds=10.0).value
