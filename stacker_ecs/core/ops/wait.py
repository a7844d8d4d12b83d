"""The one place this suite sleeps: a clock that tests replace, and a capped, growing poll interval."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Clock:
    """Time as the waits see it; tests pass a fake one so no test sleeps."""

    now: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)


def poll_intervals(first_seconds: float = 0.25, factor: float = 1.5, cap_seconds: float = 2.0) -> Iterator[float]:
    """Yield 0.25, 0.375, 0.56, ... seconds, never more than ``cap_seconds``.

    The cap bounds how late a wait notices a change: at most ``cap_seconds`` after it happens.
    """
    interval = first_seconds
    while True:
        yield interval
        interval = min(interval * factor, cap_seconds)
