"""One writer per app, and what its operations record: one DynamoDB item per app.

The cluster stack creates a small table (``naming.coordination_table``). Each app has one item in
it, keyed ``app/<app>``, holding:

- the write **lease** (``lease_*`` attributes): who is changing the app's traffic or deleting its
  versions right now. It is taken with one conditional ``UpdateItem`` (free, or expired), an
  atomic check-and-set on AWS's side that also returns the rest of the item, so an operation
  learns the recorded canary and live record with the same call. It is renewed by a heartbeat
  while the holder works, and every write of a record made under it is conditioned on its token
  (fenced): a holder whose lease was broken or taken over writes nothing more. A crashed holder's
  lease expires after ``ttl_seconds``; ``stacker-ecs unlock`` breaks one by hand.
- the canary **runner** lease (``runner_*``): the process baking a stepped cutover's steps.
- ``canary``: the recorded plan of a stepped cutover (:mod:`stacker_ecs.core.ops.canary_plan`).
- ``live``: when the live version went live (cleanup keeps versions created since).

An atomic cutover or rollback costs three calls here: take (and read), the fence right before the
traffic write (with the record of the versions it is about to protect, :mod:`stacker_ecs.core.ops.protection`),
release (with the new live record and the protection done). The times written are AWS's
(:mod:`stacker_ecs.core.aws_clock`), learnt from the operation's first answer (its ``started`` event),
so the table is read for them only when no answer came first. Reads never take the lease.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsCallError, AwsStateError
from stacker_ecs.core.ops.wait import Clock, poll_intervals

LOGGER = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 120.0
"""A lease not renewed for this long is free: the most a crashed holder blocks its app."""
LEASE = "lease"
"""The lease every writer of an app's traffic or versions holds while it writes."""
RUNNER = "runner"
"""The lease of the process baking a stepped cutover (held for the whole canary)."""
LABELS = {LEASE: "lease", RUNNER: "canary-runner lease"}
"""How messages name each kind of lease."""
PLAN = "canary"
"""The recorded canary plan."""
LIVE = "live"
"""When the live version went live."""
HOLDER_ENV = "STACKER_ECS_HOLDER"
"""Set it (e.g. to the CI job's URL) to say who holds a lease; default ``user@host pid N``."""
_LEASE_FIELDS = ("token", "holder", "operation", "version", "since", "expires")


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

    def attributes(self, kind: str) -> dict[str, Any]:
        """Return the item attributes that store this lease of ``kind``."""
        return {f"{kind}_token": {"S": self.token}, f"{kind}_holder": {"S": self.holder},
                f"{kind}_operation": {"S": self.operation}, f"{kind}_version": {"S": self.version},
                f"{kind}_since": {"N": repr(self.since)}, f"{kind}_expires": {"N": repr(self.expires)}}


@dataclass(frozen=True)
class AppItem:
    """The app's item as read: its leases and its records."""

    item: dict[str, Any] = field(default_factory=dict)

    def lease(self, kind: str = LEASE) -> LeaseInfo | None:
        """Return the stored lease of ``kind`` (expired ones too), or None."""
        if f"{kind}_token" not in self.item:
            return None
        get = self.item.get
        return LeaseInfo(holder=get(f"{kind}_holder", {}).get("S", ""),
                         operation=get(f"{kind}_operation", {}).get("S", ""),
                         version=get(f"{kind}_version", {}).get("S", ""),
                         since=float(get(f"{kind}_since", {}).get("N", 0)),
                         expires=float(get(f"{kind}_expires", {}).get("N", 0)), token=get(f"{kind}_token")["S"])

    def doc(self, name: str) -> dict[str, Any] | None:
        """Return the JSON record ``name`` (``canary``, ``live``), or None."""
        value = self.item.get(f"doc_{name}")
        return json.loads(value["S"]) if value else None


@dataclass
class AppRecords:
    """The app's item in the coordination table, read and written with one DynamoDB client."""

    dynamodb: Any
    table: str
    app: str
    wall: Callable[[], float] = field(default=time.time)
    """Seconds since the epoch: lease expiry and the live record (compared by other processes)."""
    namespace: str = "<namespace>"
    """The environment's namespace, as its commands take it (``--namespace``)."""

    @property
    def key(self) -> dict[str, Any]:
        """Return the app's item key."""
        return {"pk": {"S": f"app/{self.app}"}}

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call DynamoDB ``operation`` on the app's item; a missing table becomes a message naming the fix."""
        method = getattr(self.dynamodb, "".join(f"_{c.lower()}" if c.isupper() else c for c in operation)[1:])
        try:
            with aws_call(operation, f"{self.table} {self.app}"):
                return method(TableName=self.table, Key=self.key, **kwargs)
        except AwsCallError as exc:
            if exc.code == "ResourceNotFoundException":
                raise AwsStateError(f"no coordination table {self.table!r} ({exc.code}); update the cluster stack "
                                    "with this release of stacker_ecs (it creates the table), then run the operation "
                                    "again") from None
            raise

    def read(self) -> AppItem:
        """Return the app's item (one consistent read; no lease)."""
        return AppItem(self.call("GetItem", ConsistentRead=True).get("Item", {}))

    def update(self, *, set_docs: dict[str, dict[str, Any] | None] | None = None,
               set_lease: tuple[str, LeaseInfo] | None = None, remove_leases: tuple[str, ...] = (),
               condition: str | None = None, values: dict[str, Any] | None = None,
               returns: str = "NONE") -> AppItem:
        """Set or remove records and leases in one ``UpdateItem``.

        ``condition`` names attributes as ``#<kind>_token`` / ``#<kind>_expires`` and its own ``values``.
        """
        update = _Update(dict(values or {}))
        for name, doc in (set_docs or {}).items():
            update.set(f"doc_{name}", None if doc is None else {"S": json.dumps(doc, sort_keys=True)})
        if set_lease:
            for attribute, value in set_lease[1].attributes(set_lease[0]).items():
                update.set(attribute, value)
        for kind in remove_leases:
            for part in _LEASE_FIELDS:
                update.set(f"{kind}_{part}", None)
        return AppItem(self.call("UpdateItem", ReturnValues=returns, **update.arguments(condition)).get(
            "Attributes", {}))

    def break_leases(self, *kinds: str) -> dict[str, LeaseInfo]:
        """Remove the app's leases of ``kinds`` whoever holds them; return what they were (one call)."""
        old = self.update(remove_leases=kinds, returns="ALL_OLD")
        return {kind: info for kind in kinds if (info := old.lease(kind)) is not None}


@dataclass
class _Update:
    """The expressions of one ``UpdateItem``: attributes set (a value) or removed (None)."""

    values: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)

    def set(self, attribute: str, value: dict[str, Any] | None) -> None:
        """Set ``attribute`` to ``value`` (a DynamoDB typed value), or remove it when None."""
        self.names[f"#{attribute}"] = attribute
        if value is None:
            self.removes.append(f"#{attribute}")
        else:
            self.sets.append(f"#{attribute} = :{attribute}")
            self.values[f":{attribute}"] = value

    def arguments(self, condition: str | None) -> dict[str, Any]:
        """Return the call's expression arguments (with ``condition``, which may name any lease attribute)."""
        for kind in (LEASE, RUNNER):
            for part in _LEASE_FIELDS:
                self.names.setdefault(f"#{kind}_{part}", f"{kind}_{part}")
        expression = " ".join(f"{verb} {', '.join(parts)}" for verb, parts in (("SET", self.sets),
                                                                                ("REMOVE", self.removes)) if parts)
        used = f"{expression} {condition or ''}"
        kwargs: dict[str, Any] = {"UpdateExpression": expression,
                                  "ExpressionAttributeNames": {n: a for n, a in self.names.items()
                                                               if re.search(re.escape(n) + r"\b", used)}}
        if condition:
            kwargs.update(ConditionExpression=condition, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        if self.values:
            kwargs["ExpressionAttributeValues"] = self.values
        return kwargs


def app_records(aws: AwsContext, namespace: str, app: str) -> AppRecords:
    """Return the app's item in the environment's coordination table.

    Its times are AWS's clock (:mod:`stacker_ecs.core.aws_clock`: the runner's, corrected by the ``Date`` of
    the operation's AWS answers), not the operation's: another process compares them, and cleanup compares them
    with the stacks' creation times, which AWS sets.
    """
    dynamodb = aws.client("dynamodb")
    table = naming.coordination_table(namespace)
    return AppRecords(dynamodb=dynamodb, table=table, app=app, namespace=namespace,
                      wall=aws.aws_time.primed_by(lambda: dynamodb.describe_table(TableName=table)))


def _conditional_failure(exc: AwsCallError) -> AppItem | None:
    """Return the item a failed condition saw (ALL_OLD), or None if ``exc`` is another error."""
    if exc.code != "ConditionalCheckFailedException":
        return None
    cause = exc.__cause__
    return AppItem(getattr(cause, "response", {}).get("Item", {}))


@dataclass
class Lease:
    """A held lease: renew it while working, fence each write with it, release it at the end.

    ``snapshot`` is the app's item as the take returned it (the records, before this holder wrote).
    """

    records: AppRecords
    info: LeaseInfo
    ttl_seconds: float
    snapshot: AppItem
    kind: str = LEASE
    lost: str = ""
    released: bool = False
    staged: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Records to write with the next fenced call (a write, a check or the release)."""
    written: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Records this holder wrote under the lease (the last value of each)."""
    _stop: threading.Event = field(default_factory=threading.Event)

    def stage(self, **docs: dict[str, Any] | None) -> None:
        """Record ``docs`` with the next fenced call (no call now)."""
        self.staged.update(docs)

    def _fenced(self, *, set_docs: dict[str, dict[str, Any] | None] | None = None, flush: bool = True,
                **kwargs: Any) -> AppItem:
        """Run a write conditioned on this lease's token (with the staged records unless ``flush`` is off);
        raise :class:`LeaseLostError` if the lease is not ours any more."""
        if self.lost:
            raise LeaseLostError(self.lost, app=self.records.app)
        docs = {**(self.staged if flush else {}), **(set_docs or {})}
        try:
            item = self.records.update(condition=f"#{self.kind}_token = :token",
                                       values={":token": {"S": self.info.token}}, set_docs=docs, **kwargs)
            self.written.update(docs)
            if flush:
                self.staged.clear()
            return item
        except AwsCallError as exc:
            if _conditional_failure(exc) is None:
                raise
            self.lost = (f"the {LABELS[self.kind]} of app {self.records.app!r} was broken or taken over while "
                         f"{self.info.operation} ran; it stopped before writing anything more. Look at "
                         "`stacker-ecs status`, then run the operation again")
            raise LeaseLostError(self.lost, app=self.records.app) from None

    def renew(self, *, flush: bool = True) -> None:
        """Extend the lease by ``ttl_seconds`` (writing the staged records unless ``flush`` is off); raise
        :class:`LeaseLostError` if it is no longer ours."""
        expires = self.records.wall() + self.ttl_seconds
        self._fenced(set_lease=(self.kind, _replace_expiry(self.info, expires)), flush=flush)

    def check(self) -> None:
        """Renew now (writing the staged records): the fence right before a write of traffic or a delete (one call)."""
        self.renew()

    def write(self, **docs: dict[str, Any] | None) -> None:
        """Record ``docs`` (``canary=...``, ``live=...``; None removes one) under the lease, renewing it (one call)."""
        expires = self.records.wall() + self.ttl_seconds
        self._fenced(set_docs=docs, set_lease=(self.kind, _replace_expiry(self.info, expires)))

    def release(self, **docs: dict[str, Any] | None) -> None:
        """Record ``docs`` and give the lease up, in one call; later calls do nothing."""
        if self.released:
            return
        self.released = True
        self._stop.set()
        if self.lost:
            return
        try:
            self._fenced(set_docs=docs, remove_leases=(self.kind,))
        except LeaseLostError:
            if docs or self.staged:
                raise
            LOGGER.warning("%s: the %s was already broken or taken over when released", self.records.app,
                           LABELS[self.kind])

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_seconds / 3):
            if self.released:
                return
            try:
                self.renew(flush=False)  # the staged records are the working thread's to write
            except (LeaseLostError, AwsStateError) as exc:
                LOGGER.warning("%s: lease renewal failed: %s", self.records.app, exc)
                if isinstance(exc, LeaseLostError):
                    return


def _replace_expiry(info: LeaseInfo, expires: float) -> LeaseInfo:
    return LeaseInfo(holder=info.holder, operation=info.operation, version=info.version, since=info.since,
                     expires=expires, token=info.token)


def try_acquire(records: AppRecords, operation: str, version: str, ttl_seconds: float,
                kind: str = LEASE) -> tuple[LeaseInfo | None, AppItem]:
    """Take the lease with one conditional update; return it (or None if another holds it) and the item seen."""
    now = records.wall()
    info = LeaseInfo(holder=holder_name(), operation=operation, version=version, since=now,
                     expires=now + ttl_seconds, token=uuid.uuid4().hex)
    try:
        item = records.update(set_lease=(kind, info), returns="ALL_NEW",
                              condition=f"attribute_not_exists(#{kind}_token) OR #{kind}_expires < :now",
                              values={":now": {"N": repr(now)}})
    except AwsCallError as exc:
        seen = _conditional_failure(exc)
        if seen is None:
            raise
        return None, seen
    return info, item


@contextlib.contextmanager
def holding(records: AppRecords, operation: str, *, version: str = "", clock: Clock,
            ttl_seconds: float = DEFAULT_TTL_SECONDS, wait_seconds: float,
            heartbeat: bool = True, kind: str = LEASE) -> Iterator[Lease]:
    """Hold the app's lease for the block: wait up to ``wait_seconds`` for it, then fail naming the holder."""
    started = clock.now()
    intervals = poll_intervals(first_seconds=0.5, cap_seconds=5.0)
    reported = ""
    while True:
        info, item = try_acquire(records, operation, version, ttl_seconds, kind)
        if info is not None:
            break
        current = item.lease(kind)
        seen = current.describe(records.wall()) if current else "a lease that has just been released"
        if clock.now() - started >= wait_seconds:
            raise LeaseHeldError(
                f"{operation} refused: another operation holds the app's {LABELS[kind]}: {seen}. Wait for it to "
                f"finish and run again; if its holder is gone, the lease expires by itself, or break it with "
                f"`stacker-ecs unlock {records.app} --namespace {records.namespace}`", app=records.app)
        if current and current.token != reported:
            reported = current.token
            LOGGER.info("%s: waiting for the lease held by %s", records.app, seen)
        clock.sleep(next(intervals))
    lease = Lease(records=records, info=info, ttl_seconds=ttl_seconds, snapshot=item, kind=kind)
    thread = threading.Thread(target=lease._heartbeat, daemon=True, name=f"{kind}-{records.app}")
    if heartbeat:
        thread.start()
    try:
        yield lease
        lease.release()
    finally:
        if not lease.released:  # the block raised: give the lease up (and write what it staged), quietly
            try:
                lease.release()
            except AwsStateError as exc:
                LOGGER.warning("%s: releasing the %s failed (it expires by itself): %s", records.app, LABELS[kind], exc)
        if heartbeat:
            thread.join(timeout=5)
