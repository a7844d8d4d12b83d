"""What happened to an app: who did what, when, with what outcome, and where the traffic went.

Every operation that moves traffic or deletes versions (cutover, each canary, rollback, cleanup,
teardown, and the gates that pause, promote or abort a canary) is wrapped by :func:`recorded` (one
line, a decorator). It puts a ``started`` event, runs the operation, then appends one **entry** to the
app's history and puts the outcome's event (:mod:`.events`): who (``STACKER_ECS_ACTOR``, else
``STACKER_ECS_HOLDER``, else the caller's ARN from one ``GetCallerIdentity`` per session), when, the
app, the version(s), the operation, the outcome, the reason (the error's message on failure) and the
traffic before and after (noted by :func:`~stacker_ecs.core.ops.listener.write_forward`, the one
writer of live traffic: no extra read). Dry runs record nothing; a run that changed nothing puts its
events but adds no entry. Recording never fails an operation: a failed write is logged.

**Bounded.** The history lives in the coordination table beside the app's item: a counter item
``history/<app>`` (``seq``, one atomic ``ADD``) and at most :data:`KEPT` entry items
``history/<app>/<seq mod KEPT>``, each overwritten by the entry :data:`KEPT` appends later: an app's
history never holds more than :data:`KEPT` entries, whatever its age. Appending costs two calls;
reading costs two (``GetItem`` of the counter, one ``BatchGetItem`` of up to :data:`KEPT` keys).
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from pydantic import Field, field_validator

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.coordination import HOLDER_ENV, holder_name
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError, ConfigError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops import events
from stacker_ecs.core.validation import check_name

LOGGER = logging.getLogger(__name__)
KEPT = 100
"""Entries kept per app (the newest); also the most one ``BatchGetItem`` reads."""
ACTOR_ENV = "STACKER_ECS_ACTOR"
"""Set it (e.g. to ``$GITHUB_ACTOR`` or the CI job's URL) to say who runs the operations."""
F = TypeVar("F", bound=Callable[..., Any])
_MOVES: contextvars.ContextVar[_Moves | None] = contextvars.ContextVar("stacker_ecs_moves", default=None)
_CALLERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


@dataclass
class _Moves:
    """The traffic an operation under way moved: the shares before its first write and after its last."""

    before: dict[str, int] | None = None
    after: dict[str, int] | None = None


@dataclass(frozen=True)
class Entry:
    """One line of an app's history."""

    at: float
    who: str
    app: str
    version: str
    operation: str
    outcome: str
    reason: str = ""
    before: dict[str, int] = field(default_factory=dict)
    """Version -> percent of the live traffic before the operation (empty when it moved none)."""
    after: dict[str, int] = field(default_factory=dict)
    """Version -> percent after it."""
    seq: int = 0


def note_traffic(before: dict[str, int], after: dict[str, int]) -> None:
    """Note a write of live traffic (``version -> percent``) for the operation under way, if one is recorded."""
    moves = _MOVES.get()
    if moves is not None:
        if moves.before is None:
            moves.before = before
        moves.after = after


def caller(aws: AwsContext) -> str:
    """Return who runs this process: ``STACKER_ECS_ACTOR``, ``STACKER_ECS_HOLDER``, or the caller's ARN (cached)."""
    explicit = os.environ.get(ACTOR_ENV) or os.environ.get(HOLDER_ENV)
    if explicit:
        return explicit
    if aws.session not in _CALLERS:
        try:
            with aws_call("GetCallerIdentity"):
                _CALLERS[aws.session] = aws.client("sts").get_caller_identity()["Arn"]
        except AwsStateError as exc:
            LOGGER.warning("could not read the caller's identity (%s); history names the host instead", exc)
            return holder_name()
    return _CALLERS[aws.session]


def recorded(operation: str) -> Callable[[F], F]:
    """Decorate an operation ``f(aws, args)``: put its events and append its outcome to the app's history."""
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def run(aws: AwsContext, args: Any) -> Any:
            if getattr(args, "dry_run", False):
                return function(aws, args)
            detail = {"app": args.app, "version": str(getattr(args, "version", "") or ""), "operation": operation}
            events.put_event(aws, events.STARTED, {**detail, "outcome": events.STARTED})
            moves = _Moves()
            token = _MOVES.set(moves)
            try:
                result = function(aws, args)
            except ConfigError:
                raise
            except Exception as exc:
                kind = events.ABORTED if isinstance(exc, CanaryRolledBackError) else events.FAILED
                _finish(aws, args.namespace, detail, kind, str(exc), moves, changed=True)
                raise
            finally:
                _MOVES.reset(token)
            _finish(aws, args.namespace, {**detail, **_described(result)}, _success_kind(operation, result),
                    str(result.get("message", "")) if isinstance(result, dict) else "", moves,
                    changed=_changed(result))
            return result
        return run  # type: ignore[return-value]
    return decorate


def _described(result: Any) -> dict[str, str]:
    if not isinstance(result, dict):
        return {}
    version = result.get("version") or ", ".join(result.get("deleted") or [])
    return {"version": str(version)} if version else {}


def _changed(result: Any) -> bool:
    return isinstance(result, dict) and bool(result.get("changed", bool(result.get("deleted"))))


def _success_kind(operation: str, result: Any) -> str:
    if isinstance(result, dict) and result.get("paused"):
        return events.PAUSED
    return events.ROLLED_BACK if operation == "rollback" else events.SUCCEEDED


def _finish(aws: AwsContext, namespace: str, detail: dict[str, str], kind: str, reason: str, moves: _Moves, *,
            changed: bool) -> None:
    """Put the outcome's event and, if anything changed or failed, append the entry (never raises)."""
    outcome = kind if changed or kind != events.SUCCEEDED else "unchanged"
    before, after = moves.before or {}, moves.after if moves.after is not None else (moves.before or {})
    events.put_event(aws, kind, {**detail, "outcome": outcome, "reason": reason,
                                 "traffic": {"before": before, "after": after}})
    if not changed and kind == events.SUCCEEDED:
        return
    try:
        entry = Entry(at=time.time(), who=caller(aws), app=detail["app"], version=detail.get("version", ""),
                      operation=detail["operation"], outcome=outcome, reason=reason, before=before, after=after)
        append(aws, namespace, entry)
    except AwsStateError as exc:
        LOGGER.warning("%s: could not append to the history (the operation's outcome stands): %s", detail["app"], exc)


def _table(aws: AwsContext, namespace: str) -> tuple[Any, str]:
    return aws.client("dynamodb"), naming.coordination_table(namespace)


def append(aws: AwsContext, namespace: str, entry: Entry) -> int:
    """Append ``entry`` to its app's history (two calls: the counter, the entry's slot); return its number."""
    dynamodb, table = _table(aws, namespace)
    with aws_call("UpdateItem", f"{table} history/{entry.app}"):
        counted = dynamodb.update_item(TableName=table, Key={"pk": {"S": f"history/{entry.app}"}},
                                       UpdateExpression="ADD seq :one", ExpressionAttributeValues={":one": {"N": "1"}},
                                       ReturnValues="UPDATED_NEW")
    seq = int(counted["Attributes"]["seq"]["N"])
    document = json.dumps({**asdict(entry), "seq": seq}, sort_keys=True)
    with aws_call("PutItem", f"{table} history/{entry.app}"):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": _slot(entry.app, seq)}, "seq": {"N": str(seq)},
                                                 "entry": {"S": document}})
    return seq


def _slot(app: str, seq: int) -> str:
    return f"history/{app}/{seq % KEPT:03d}"


def read_history(aws: AwsContext, namespace: str, app: str, limit: int = KEPT) -> list[Entry]:
    """Return the app's newest ``limit`` entries, newest first (two calls, more only for throttled keys)."""
    dynamodb, table = _table(aws, namespace)
    with aws_call("GetItem", f"{table} history/{app}"):
        counter = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"history/{app}"}}, ConsistentRead=True)
    last = int(counter.get("Item", {}).get("seq", {}).get("N", 0))
    wanted = {_slot(app, seq): seq for seq in range(last, max(last - min(limit, KEPT), 0), -1)}
    items: list[dict[str, Any]] = []
    keys = [{"pk": {"S": pk}} for pk in wanted]
    while keys:
        with aws_call("BatchGetItem", f"{table} history/{app}"):
            answer = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
        items.extend(answer.get("Responses", {}).get(table, []))
        keys = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    entries = [Entry(**json.loads(i["entry"]["S"])) for i in items
               if wanted.get(i["pk"]["S"]) == int(i["seq"]["N"])]  # a slot not yet overwritten by a crashed append
    return sorted(entries, key=lambda e: -e.seq)


class HistoryQuery(Args):
    """Arguments of ``stacker-ecs history``."""

    app: str
    """The app, as in its application stack's name."""
    namespace: str
    """The environment's namespace (the config's ``namespace``)."""

    limit: int = Field(default=20, ge=1, le=KEPT)
    """Default: 20; how many entries to print, newest first (at most 100 are kept)."""

    _app = field_validator("app")(lambda v: check_name("app", v))


def history(aws: AwsContext, query: HistoryQuery) -> dict[str, Any]:
    """Return the app's newest entries (the ``history`` command)."""
    return {"app": query.app, "kept": KEPT,
            "entries": [asdict(e) for e in read_history(aws, query.namespace, query.app, query.limit)]}


def format_history(result: dict[str, Any]) -> str:
    """Return the entries as a fixed-width table, newest first."""
    header = ("WHEN (UTC)", "OPERATION", "VERSION", "OUTCOME", "TRAFFIC BEFORE -> AFTER", "WHO", "REASON")
    lines = [header] + [(
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e["at"])), e["operation"], e["version"], e["outcome"],
        f"{_traffic(e['before'])} -> {_traffic(e['after'])}", e["who"], e["reason"]) for e in result["entries"]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if not result["entries"]:
        text.append(f"(no history for {result['app']})")
    return "\n".join(text)


def _traffic(shares: dict[str, int]) -> str:
    return ", ".join(f"{v} {p}%" for v, p in sorted(shares.items(), key=lambda i: -i[1])) or "-"
