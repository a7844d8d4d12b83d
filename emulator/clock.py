"""Fake time for the operations' waits: it passes only when a wait sleeps, and ECS acts meanwhile.

Used by the tests, the fault matrix and the benchmark, so no wait ever really sleeps there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from stacker_ecs.core.ops.wait import Clock

START_TIME = 1_000.0


class Syncs(Protocol):
    """What plays ECS while time passes (:class:`emulator.ecs_agent.EcsAgent`)."""

    def sync(self) -> None:
        """Do one pass of ECS's work."""


class FakeTime:
    """Time that passes only when a wait sleeps; each sleep lets the ECS agent do one pass.

    ``agent_after_seconds`` holds the agent back until that much fake time has passed (tasks that
    take a while to start); ``agent`` None means ECS never does anything. ``wall_start`` is the
    date the operations see at fake time zero (stack ages are measured against it); None means
    the real date, plus the fake time waited.
    """

    def __init__(self, agent: Syncs | None = None, agent_after_seconds: float = 0.0,
                 wall_start: datetime | None = None) -> None:
        self.agent = agent
        self.agent_after_seconds = agent_after_seconds
        self.start = START_TIME
        self.current = START_TIME
        self.wall_start = wall_start
        self.sleeps: list[float] = []

    def now(self) -> float:
        """Return the fake monotonic time."""
        return self.current

    def sleep(self, seconds: float) -> None:
        """Move time forward, then let the agent act (as ECS would have meanwhile)."""
        if seconds < 0:
            raise ValueError(f"a wait slept {seconds}s: the poll loop computed a negative interval")
        self.sleeps.append(seconds)
        self.current += seconds
        if self.agent is not None and self.waited >= self.agent_after_seconds:
            self.agent.sync()

    def wall(self) -> datetime:
        """Return the date and time the operations see."""
        return (self.wall_start or datetime.now(UTC)) + timedelta(seconds=self.waited)

    @property
    def waited(self) -> float:
        """Return how much fake time has passed."""
        return self.current - self.start

    @property
    def clock(self) -> Clock:
        """Return the clock the operations take."""
        return Clock(now=self.now, sleep=self.sleep, wall=self.wall)
