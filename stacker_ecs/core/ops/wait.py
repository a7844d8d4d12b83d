"""The one place this suite sleeps: a clock tests replace, and the one poll loop every wait uses.

Deadline rule, for every wait: look; stop if done; stop if ``timeout_seconds`` have passed since
the first look; otherwise sleep the next interval (capped, growing), never past the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Clock:
    """Time as the operations see it; tests pass a fake one so no test sleeps."""

    now: Callable[[], float] = field(default=time.monotonic)
    """Seconds on a monotonic clock: what waits measure."""
    sleep: Callable[[float], None] = field(default=time.sleep)
    """Sleep this many seconds: the only sleep of the suite."""
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The current date and time (UTC): what stack ages are measured against."""


def poll_intervals(first_seconds: float = 0.25, factor: float = 1.5, cap_seconds: float = 2.0) -> Iterator[float]:
    """Yield 0.25, 0.375, 0.56, ... seconds, never more than ``cap_seconds``.

    The cap bounds how late a wait notices a change: at most ``cap_seconds`` after it happens.
    """
    interval = first_seconds
    while True:
        yield interval
        interval = min(interval * factor, cap_seconds)


@dataclass(frozen=True)
class Polled(Generic[T]):
    """What a wait ended with: the last look, how long it took, whether the deadline ended it."""

    value: T
    elapsed: float
    timed_out: bool


def poll(clock: Clock, look: Callable[[float], T], done: Callable[[T], bool], *, timeout_seconds: float,
         first_seconds: float = 0.25, cap_seconds: float = 2.0) -> Polled[T]:
    """Call ``look(elapsed)`` until ``done`` says so or ``timeout_seconds`` pass; return the last look.

    ``look`` may raise to end the wait early (a failure whose cause is already known).
    """
    started = clock.now()
    intervals = poll_intervals(first_seconds=first_seconds, cap_seconds=cap_seconds)
    while True:
        value = look(clock.now() - started)
        elapsed = clock.now() - started
        if done(value):
            return Polled(value, elapsed, timed_out=False)
        if elapsed >= timeout_seconds:
            return Polled(value, elapsed, timed_out=True)
        clock.sleep(min(next(intervals), timeout_seconds - elapsed))
