"""AWS's clock, as its answers tell it: the runner's clock corrected by the ``Date`` header of AWS's responses.

DynamoDB condition expressions have no clock of their own: a lease's ``expires < :now`` compares with
the time the caller sends. A runner whose clock is ahead would take a held lease early, and the
"live since" record would not compare with CloudFormation's ``CreationTime`` (AWS's clock). So the
coordination table's times are AWS's: every AWS answer carries its server's ``Date`` (one-second
resolution, whichever service answers), and an operation's :class:`AwsClock`
keeps the runner's offset from the answers of all its clients (:class:`~stacker_ecs.core.aws.AwsContext`
watches each). The first answer is usually the operation's ``started`` event; an operation with no answer
yet when it needs the time reads the table once (``DescribeTable``), so even its first lease write uses
AWS's time. A runner within a second and a half of AWS's clock keeps its own (the header's resolution);
one further off is corrected, and logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

LOGGER = logging.getLogger(__name__)
RESOLUTION_SECONDS = 1.5
"""Within this of AWS's (the header's second, plus latency) the runner's clock is taken as it is."""
SKEW_LOGGED_SECONDS = 5.0
"""A runner's clock this far off AWS's is logged once (its times are corrected either way)."""


class AwsClock:
    """Seconds since the epoch on AWS's clock, learnt from the ``Date`` header of the watched clients' answers."""

    def __init__(self, *, local: Callable[[], float] = time.time) -> None:
        self.local = local
        self.offset: float | None = None
        self._prime: Callable[[], Any] | None = None
        self._lock = threading.Lock()

    def watch(self, client: Any) -> None:
        """Learn AWS's time from every answer of ``client`` (a boto3 client)."""
        client.meta.events.register("after-call", self._observe)

    def primed_by(self, read: Callable[[], Any]) -> AwsClock:
        """Return this clock, which makes ``read`` (one AWS call) if it needs the time before any answer."""
        with self._lock:
            self._prime = self._prime or read
        return self

    def _observe(self, http_response: Any = None, **_: Any) -> None:
        from email.utils import parsedate_to_datetime

        date = (getattr(http_response, "headers", None) or {}).get("Date")
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        offset = server - self.local()
        if self.offset is None and abs(offset) > SKEW_LOGGED_SECONDS:
            LOGGER.warning("this machine's clock is %+.0fs off AWS's; lease and live-since times use AWS's", -offset)
        self.offset = offset if abs(offset) > RESOLUTION_SECONDS else 0.0

    def __call__(self) -> float:
        """Return AWS's time now (the runner's until an answer has been seen, and no read could learn it)."""
        with self._lock:
            prime = self._prime if self.offset is None else None
            self._prime = None if prime else self._prime
        if prime is not None:
            try:
                prime()
            except Exception as exc:  # the real call that follows reports the cause
                LOGGER.debug("reading AWS's time failed (%s); the runner's clock is used until an answer", exc)
        return self.local() + (self.offset or 0.0)
