"""One AWS context per operation, and the one place ``ClientError`` becomes ours.

An operation gets an :class:`AwsContext` as its first argument: one client per service (so
botocore's adaptive retry mode keeps one rate limiter per service for the whole operation), the
clock its waits use, and a logger whose lines start with ``<app>/<version>:``. Adapters build it
with :func:`context_for`; clients are created on first use, under a lock, so worker threads share
them without touching the (not thread-safe) boto3 session.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from stacker_ecs.core.aws_clock import AwsClock
from stacker_ecs.core.errors import AwsCallError
from stacker_ecs.core.ops.wait import Clock

# Adaptive retries ride out throttling (ThrottlingException, TooManyRequestsException) and
# transient 5xx answers: ten attempts, with back-off of up to 20 s each (botocore's cap), so a
# call may keep retrying for a minute or two before it fails.
RETRY_CONFIG = Config(retries={"max_attempts": 10, "mode": "adaptive"})
LOGGER = logging.getLogger("stacker_ecs.core.ops")
_MODEL_READERS: dict[tuple[str, ...], Any] = {}
_MODEL_READERS_LOCK = threading.Lock()


class _Prefixed(logging.LoggerAdapter):
    """Prefixes every message with what it is about, e.g. ``web/v2: ``."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        prefix = (self.extra or {}).get("prefix")
        return (f"{prefix}: {msg}" if prefix else msg), kwargs


@dataclasses.dataclass(frozen=True)
class AwsContext:
    """What one operation needs to reach AWS: its clients, its clock, its logger.

    Build it with :func:`context_for` (adapters) or :meth:`create`; :meth:`about` returns the same
    context (same clients) logging about another version.
    """

    session: boto3.Session
    clock: Clock
    app: str = ""
    version: str = ""
    aws_time: AwsClock = dataclasses.field(default_factory=AwsClock, repr=False)
    """AWS's clock, learnt from the answers of this operation's clients (the coordination table's times)."""
    _clients: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, session: boto3.Session, *, app: str = "", version: str = "",
               clock: Clock | None = None) -> AwsContext:
        """Return a context for one operation on ``app`` (and ``version``) through ``session``."""
        share_api_models(session)
        return cls(session=session, clock=clock or Clock(), app=app, version=version or "")

    def client(self, service: str) -> Any:
        """Return this operation's client of ``service`` (created once, with the retry policy)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(service, config=RETRY_CONFIG)
                self.aws_time.watch(self._clients[service])
            return self._clients[service]

    def about(self, version: str, *, app: str | None = None) -> AwsContext:
        """Return this context (same clients and clock) logging about ``version`` (of ``app``)."""
        return dataclasses.replace(self, version=version, app=self.app if app is None else app)

    @property
    def log(self) -> logging.LoggerAdapter:
        """Return a logger whose lines start with ``<app>/<version>:`` (or ``<app>:``)."""
        prefix = f"{self.app}/{self.version}" if self.app and self.version else self.app
        return _Prefixed(LOGGER, {"prefix": prefix})


def share_api_models(session: Any) -> None:
    """Give ``session`` the process's one reader of botocore's API models (read-only JSON files).

    botocore parses a service's model once per session (ec2's alone is megabytes), and stacker and
    CFNgin hand each hook a new session: a pipeline run parsed the same models again for every hook,
    about a third of its time. Sessions with other model paths (``AWS_DATA_PATH``) keep their own.
    """
    botocore_session = getattr(session, "_session", session)  # a boto3 session wraps botocore's
    reader = botocore_session.get_component("data_loader")
    with _MODEL_READERS_LOCK:
        shared = _MODEL_READERS.setdefault(tuple(reader.search_paths), reader)
    if shared is not reader:
        botocore_session.register_component("data_loader", shared)


def context_for(session: boto3.Session, args: Any, clock: Clock | None = None) -> AwsContext:
    """Return the context of one operation on ``args`` (any model with ``app``, maybe ``version``)."""
    return AwsContext.create(session, app=str(getattr(args, "app", "") or ""),
                             version=str(getattr(args, "version", "") or ""), clock=clock)


@contextlib.contextmanager
def aws_call(operation: str, subject: str = "") -> Iterator[None]:
    """Turn a ``ClientError`` raised inside the block into an :class:`AwsCallError`."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsCallError(
            operation=operation,
            code=str(error.get("Code", "Unknown")),
            message=str(error.get("Message", exc)),
            subject=subject,
        ) from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise AwsCallError(operation=operation, code=type(exc).__name__, message=str(exc),
                           subject=subject) from exc


def describe_stack(aws: AwsContext, stack_name: str) -> dict[str, Any] | None:
    """Return ``DescribeStacks`` of one stack (one call), or None if it does not exist."""
    try:
        with aws_call("DescribeStacks", stack_name):
            return aws.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except AwsCallError as exc:
        if exc.code == "ValidationError" and "does not exist" in str(exc):
            return None
        raise
