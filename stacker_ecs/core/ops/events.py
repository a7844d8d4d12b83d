"""EventBridge events of every operation: other systems (chat, paging, dashboards) react to them.

Each event goes to the account's default bus with source :data:`SOURCE` and one detail-type per kind
(:data:`DETAIL_TYPES`); its detail holds the app, the version, the operation, the outcome, the reason
and the traffic before and after. A rule matching ``{"source": ["stacker-ecs"]}`` sends them to an
SNS topic, a queue or an API destination (``docs/history-and-events.md``). Putting an event never
fails a deployment: a refused or failed put is logged as a warning and the operation goes on.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsStateError

LOGGER = logging.getLogger(__name__)
SOURCE = "stacker-ecs"
"""The ``source`` of every event the suite puts."""
STARTED, SUCCEEDED, FAILED, ABORTED, PAUSED, ROLLED_BACK = (
    "started", "succeeded", "failed", "aborted", "paused", "rolled-back")
DETAIL_TYPES = {
    STARTED: "Operation Started",
    SUCCEEDED: "Operation Succeeded",
    FAILED: "Operation Failed",
    ABORTED: "Canary Aborted",
    PAUSED: "Canary Paused",
    ROLLED_BACK: "Rollback Completed",
}
"""Kind -> ``detail-type``: ``aborted`` is a canary ended by an alarm or a metric (traffic restored)."""


def put_event(aws: AwsContext, kind: str, detail: dict[str, Any]) -> bool:
    """Put one event of ``kind`` on the default bus (one ``PutEvents`` call); log, never raise, on failure."""
    entry = {"Source": SOURCE, "DetailType": DETAIL_TYPES[kind], "Detail": json.dumps(detail, sort_keys=True),
             "EventBusName": "default"}
    try:
        with aws_call("PutEvents", f"{detail.get('app', '')} {kind}"):
            answer = aws.client("events").put_events(Entries=[entry])
    except AwsStateError as exc:
        LOGGER.warning("%s: could not put the %s event (the operation goes on): %s", detail.get("app"), kind, exc)
        return False
    failed = [e for e in answer.get("Entries", []) if e.get("ErrorCode")]
    if answer.get("FailedEntryCount") or failed:
        why = failed[0].get("ErrorMessage", failed[0].get("ErrorCode")) if failed else "refused"
        LOGGER.warning("%s: the %s event was refused (the operation goes on): %s", detail.get("app"), kind, why)
        return False
    return True
