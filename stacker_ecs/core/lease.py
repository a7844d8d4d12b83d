"""One writer per app: a lease taken with a DynamoDB conditional put, and the app's records.

The cluster stack creates one small table (``naming.coordination_table``). Each app has up to
three items in it, keyed ``<kind>/<app>``:

- ``lease/<app>``: who is changing the app's traffic or deleting its versions right now. It is
  taken with ``PutItem`` on condition that no unexpired lease exists (an atomic check-and-set on
  AWS's side, not a read-then-write), renewed by a heartbeat while the holder works, and deleted
  on release only if the token is still the holder's. A crashed holder's lease expires after
  ``ttl_seconds``; ``stacker-ecs unlock`` breaks one by hand.
- ``canary/<app>``: the recorded plan of a stepped cutover (:mod:`stacker_ecs.core.ops.canary`).
- ``live/<app>``: when the live version went live (cleanup keeps what was created since).

Reads never take the lease.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stacker_ecs.core.aws import aws_call
from stacker_ecs.core.errors import AwsCallError, AwsStateError
from stacker_ecs.core.ops.wait import Clock, poll_intervals

LOGGER = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 120.0
"""A lease not renewed for this long is free: the most a crashed holder blocks its app."""
DEFAULT_WAIT_SECONDS = 120.0
"""How long a second writer waits for the lease before it fails naming the holder."""
LEASE = "lease"
"""Kind of the lease every writer of an app's traffic or versions holds while it writes."""
HOLDER_ENV = "STACKER_ECS_HOLDER"
"""Set it (e.g. to the CI job's URL) to say who holds a lease; default ``user@host pid N``."""


class LeaseHeldError(AwsStateError):
    """Another operation holds the app's lease (after waiting for it)."""


class LeaseLostError(AwsStateError):
    """The lease was broken or expired while its holder worked; the holder stops writing."""


def holder_name() -> str:
    """Return who this process is, as other writers will see it."""
    explicit = os.environ.get(HOLDER_ENV)
    if explicit:
        return explicit
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def _key(kind: str, app: str) -> dict[str, Any]:
    return {"pk": {"S": f"{kind}/{app}"}}


def _missing_table(table: str, exc: AwsCallError) -> AwsStateError:
    return AwsStateError(f"no coordination table {table!r} ({exc.code}); update the cluster stack with this "
                         "release of stacker_ecs (it creates the table), then run the operation again")


@dataclass(frozen=True)
class LeaseInfo:
    """A lease as stored: who, doing what, since when, until when."""

    holder: str
    operation: str
    version: str
    since: float
    expires: float
    token: str

    def describe(self, now: float) -> str:
        """Return ``"<holder> (<operation>, since <time>, expires in Ns)"``."""
        what = f"{self.operation} {self.version}".strip()
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"{self.holder} ({what}, since {since}, expires in {max(self.expires - now, 0):.0f}s)"

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LeaseInfo:
        """Return the lease a DynamoDB item holds."""
        return cls(holder=item["holder"]["S"], operation=item["operation"]["S"],
                   version=item.get("version", {}).get("S", ""), since=float(item["since"]["N"]),
                   expires=float(item["expires"]["N"]), token=item["token"]["S"])


@dataclass
class Records:
    """The app's items in the coordination table, read and written with one DynamoDB client."""

    dynamodb: Any
    table: str
    app: str
    wall: Callable[[], float] = field(default=time.time)

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call DynamoDB ``operation`` on the table; map a missing table to a message naming the fix."""
        method = getattr(self.dynamodb, _snake(operation))
        try:
            with aws_call(operation, f"{self.table} {self.app}"):
                return method(TableName=self.table, **kwargs)
        except AwsCallError as exc:
            if exc.code == "ResourceNotFoundException":
                raise _missing_table(self.table, exc) from None
            raise

    def read_lease(self, kind: str = LEASE) -> LeaseInfo | None:
        """Return the app's lease of ``kind``, or None if none is stored (expired ones are returned)."""
        item = self.call("GetItem", Key=_key(kind, self.app), ConsistentRead=True).get("Item")
        return LeaseInfo.from_item(item) if item else None

    def read_json(self, kind: str) -> dict[str, Any] | None:
        """Return the JSON document stored under ``<kind>/<app>``, or None."""
        item = self.call("GetItem", Key=_key(kind, self.app), ConsistentRead=True).get("Item")
        return json.loads(item["doc"]["S"]) if item else None

    def write_json(self, kind: str, doc: dict[str, Any]) -> None:
        """Store ``doc`` under ``<kind>/<app>`` (callers hold the lease)."""
        self.call("PutItem", Item={**_key(kind, self.app), "doc": {"S": json.dumps(doc, sort_keys=True)}})

    def delete(self, kind: str) -> None:
        """Delete ``<kind>/<app>`` (callers hold the lease)."""
        self.call("DeleteItem", Key=_key(kind, self.app))

    def break_lease(self, kind: str = LEASE) -> LeaseInfo | None:
        """Delete the app's lease of ``kind`` whoever holds it; return what it was."""
        answer = self.call("DeleteItem", Key=_key(kind, self.app), ReturnValues="ALL_OLD")
        old = answer.get("Attributes")
        return LeaseInfo.from_item(old) if old else None


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


@dataclass
class Lease:
    """A held lease: renew it while working, check it before each write, release it at the end."""

    records: Records
    info: LeaseInfo
    ttl_seconds: float
    kind: str = LEASE
    lost: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)

    def renew(self) -> None:
        """Extend the lease by ``ttl_seconds``; raise :class:`LeaseLostError` if it is no longer ours."""
        if self.lost:
            raise LeaseLostError(self.lost, app=self.records.app)
        expires = self.records.wall() + self.ttl_seconds
        try:
            self.records.call(
                "UpdateItem", Key=_key(self.kind, self.records.app), UpdateExpression="SET #e = :e",
                ConditionExpression="#t = :t", ExpressionAttributeNames={"#t": "token", "#e": "expires"},
                ExpressionAttributeValues={":e": {"N": repr(expires)}, ":t": {"S": self.info.token}})
        except AwsCallError as exc:
            if exc.code != "ConditionalCheckFailedException":
                raise
            self.lost = (f"the {self.kind} of app {self.records.app!r} was broken or taken over while "
                         f"{self.info.operation} ran; it stopped before writing anything more. Look at "
                         "`stacker-ecs status`, then run the operation again")
            raise LeaseLostError(self.lost, app=self.records.app) from None

    def check(self) -> None:
        """Renew now: the fence before each write of traffic or delete."""
        self.renew()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_seconds / 3):
            try:
                self.renew()
            except (LeaseLostError, AwsStateError) as exc:
                LOGGER.warning("%s: lease renewal failed: %s", self.records.app, exc)
                if isinstance(exc, LeaseLostError):
                    return

    def release(self) -> None:
        """Delete the lease if it is still ours."""
        self._stop.set()
        with contextlib.suppress(AwsCallError):
            try:
                self.records.call(
                    "DeleteItem", Key=_key(self.kind, self.records.app), ConditionExpression="#t = :t",
                    ExpressionAttributeNames={"#t": "token"}, ExpressionAttributeValues={":t": {"S": self.info.token}})
            except AwsCallError as exc:
                if exc.code != "ConditionalCheckFailedException":
                    raise


def try_acquire(records: Records, operation: str, version: str, ttl_seconds: float,
                kind: str = LEASE) -> LeaseInfo | None:
    """Take the lease with one conditional put; return it, or None if another holds it unexpired."""
    now = records.wall()
    info = LeaseInfo(holder=holder_name(), operation=operation, version=version, since=now,
                     expires=now + ttl_seconds, token=uuid.uuid4().hex)
    item = {**_key(kind, records.app), "holder": {"S": info.holder}, "operation": {"S": operation},
            "version": {"S": version}, "since": {"N": repr(info.since)}, "expires": {"N": repr(info.expires)},
            "token": {"S": info.token}}
    try:
        records.call("PutItem", Item=item, ConditionExpression="attribute_not_exists(#k) OR #e < :now",
                     ExpressionAttributeNames={"#k": "pk", "#e": "expires"},
                     ExpressionAttributeValues={":now": {"N": repr(now)}})
    except AwsCallError as exc:
        if exc.code == "ConditionalCheckFailedException":
            return None
        raise
    return info


@contextlib.contextmanager
def holding(records: Records, operation: str, *, version: str = "", clock: Clock,
            ttl_seconds: float = DEFAULT_TTL_SECONDS, wait_seconds: float = DEFAULT_WAIT_SECONDS,
            heartbeat: bool = True, kind: str = LEASE) -> Iterator[Lease]:
    """Hold the app's lease for the block: wait up to ``wait_seconds`` for it, then fail naming the holder."""
    started = clock.now()
    intervals = poll_intervals(first_seconds=0.5, cap_seconds=5.0)
    reported = ""
    while True:
        info = try_acquire(records, operation, version, ttl_seconds, kind)
        if info is not None:
            break
        current = records.read_lease(kind)
        seen = current.describe(records.wall()) if current else "a lease that has just been released"
        if clock.now() - started >= wait_seconds:
            raise LeaseHeldError(
                f"{operation} refused: another operation holds the app's {kind}: {seen}. Wait for it to "
                f"finish and run again; if its holder is gone, the lease expires by itself, or break it with "
                f"`stacker-ecs unlock {records.app} --namespace <namespace>`", app=records.app)
        if current and current.token != reported:
            reported = current.token
            LOGGER.info("%s: waiting for the lease held by %s", records.app, seen)
        clock.sleep(next(intervals))
    lease = Lease(records=records, info=info, ttl_seconds=ttl_seconds, kind=kind)
    thread = threading.Thread(target=lease._heartbeat, daemon=True, name=f"lease-{records.app}")
    if heartbeat:
        thread.start()
    try:
        yield lease
    finally:
        lease.release()
        if heartbeat:
            thread.join(timeout=5)
