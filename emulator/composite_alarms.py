"""CloudWatch composite alarms, which moto 5.2 does not implement (``PutCompositeAlarm`` is missing).

AWS's ``DescribeAlarms`` returns composite alarms only when ``AlarmTypes`` asks for them, and
filters them by ``AlarmNames`` and ``StateValue`` like metric alarms. :class:`CompositeAlarms`
adds that to one boto3 session's answers (botocore events: the request's parameters are kept in
the call's context, and the parsed answer gets the composite alarms that match), so the suite's
alarm reads run their real path.
"""

from __future__ import annotations

from typing import Any

import boto3


class CompositeAlarms:
    """Composite alarms of one session's account, with the states a test sets."""

    def __init__(self, session: boto3.Session) -> None:
        self.states: dict[str, str] = {}
        session.events.register("provide-client-params.cloudwatch.DescribeAlarms", self._remember)
        session.events.register("after-call.cloudwatch.DescribeAlarms", self._answer)

    def put(self, name: str, state: str = "OK") -> None:
        """Create (or set the state of) composite alarm ``name``."""
        self.states[name] = state

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["describe_alarms_params"] = dict(params)

    def _answer(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("describe_alarms_params", {})
        if "CompositeAlarm" not in params.get("AlarmTypes", ["MetricAlarm"]):
            return
        names = params.get("AlarmNames")
        wanted = params.get("StateValue")
        parsed.setdefault("CompositeAlarms", []).extend(
            {"AlarmName": name, "StateValue": state, "AlarmRule": "ALARM(emulated)"}
            for name, state in sorted(self.states.items())
            if (names is None or name in names) and (wanted is None or state == wanted))
