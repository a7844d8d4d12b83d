"""The crash sweeps' machinery: stop an operation right before its ``at``-th AWS write, list its crash points,
read what traffic reaches, and check what status says about it.

An operation's writes are listed in order (each sweep keeps its list true against a clean run). A crash
before a read leaves AWS as a crash before the next write does, so crashing right before each write, and
after the last, reaches every state a killed process can leave. Two ways to crash (:class:`Crash`):

- ``kill``: the process dies (SIGKILL, a lost CI runner): from the crash on, nothing more is sent, so
  its leases are not released and what it staged is never written;
- ``interrupt``: a :class:`SimulatedCrash` (a ``BaseException``, as ``KeyboardInterrupt``) unwinds the
  stack, so the lease's ``finally`` still releases it and writes what was staged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3
import pytest

from emulator.faults import SimulatedCrash
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import RUNNER, app_records
from stacker_ecs.core.ops.canary import carried_step
from stacker_ecs.core.ops.canary_plan import RUNNING, plan_of
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.core.ops.status import describe_app
from tests.core.ops.conftest import APP, NAMESPACE, READS, REGION, FakeTime, World

Run = Callable[[AwsContext], dict[str, Any]]

STARTED, FINISHED = "events.PutEvents (started)", "events.PutEvents (finished)"
TAKE, FENCE, RELEASE = "dynamodb.UpdateItem (take)", "dynamodb.UpdateItem (fence)", "dynamodb.UpdateItem (release)"
RUNNER_TAKE, PLAN, RUNNER_RELEASE = ("dynamodb.UpdateItem (runner)", "dynamodb.UpdateItem (plan)",
                                     "dynamodb.UpdateItem (runner release)")
HISTORY, ENTRY = "dynamodb.UpdateItem (history)", "dynamodb.PutItem (entry)"
SCALE, SWITCH, DASHBOARD = "ecs.UpdateService", "elbv2.ModifyRule", "cloudwatch.PutDashboard"
PROTECT, DELETE = "cloudformation.UpdateTerminationProtection", "cloudformation.DeleteStack"
DONE = [FINISHED, HISTORY, ENTRY]
"""The writes of a recorded operation after its work: its finished event and its history entry."""

SAME_AS_THE_NEXT = {STARTED, FINISHED, DASHBOARD, HISTORY, ENTRY}
"""Writes before which a kill leaves the app as a kill before the next write would: its events, its dashboard,
its history (the next write, or the end of the run, is swept)."""


def writes_of(calls: list[str]) -> list[str]:
    """Return the calls that write (anything but Describe, List, Get...)."""
    return [c for c in calls if not c.split(".", 1)[1].startswith(READS)]


def call_names(writes: list[str]) -> list[str]:
    """Return the AWS calls of a list of writes (without the ``(what)`` that says which record each is for)."""
    return [w.split(" ")[0] for w in writes]


class Crash:
    """Stops an operation's session right before its ``at``-th write (never for a negative ``at``: a clean run whose
    calls are noted); with ``kill``, every later call fails too."""

    def __init__(self, session: boto3.Session, at: int, *, kill: bool) -> None:
        self.at, self.kill = at, kill
        self.calls: list[str] = []
        self.crashed = False
        session.events.register("before-call.*.*", self)

    def __call__(self, model: Any, **_: Any) -> None:
        call = f"{model.service_model.service_name}.{model.name}"
        if self.crashed and self.kill:
            raise SimulatedCrash(f"{call} after the kill")
        self.calls.append(call)
        if not self.crashed and self.at >= 0 and len(writes_of(self.calls)) == self.at + 1:
            self.crashed = True
            raise SimulatedCrash(call)


def crashed_run(run: Run, fake_time: FakeTime, at: int, *, kill: bool, writes: int) -> Crash:
    """Run ``run`` through a new session, stopped before its ``at``-th write (a clean run for a negative ``at``);
    check that it crashed exactly when it had that write left to make (of ``writes``). Return its calls."""
    session = boto3.Session(region_name=REGION)
    crash = Crash(session, at, kill=kill)
    with contextlib.suppress(SimulatedCrash):
        run(AwsContext.create(session, clock=fake_time.clock))
    assert crash.crashed == (0 <= at < writes), crash.calls
    return crash


def assert_writes_as_listed(run: Run, fake_time: FakeTime, name: str, listed: list[str]) -> None:
    """A clean run of ``run`` makes exactly the writes ``listed`` for it (the sweep's crash points)."""
    calls = crashed_run(run, fake_time, -1, kill=False, writes=len(listed)).calls
    assert writes_of(calls) == call_names(listed), \
        f"{name}'s writes changed: update WRITES (the sweep's crash points) to what a clean run makes"


def observer(fake_time: FakeTime) -> AwsContext:
    """Another terminal: its own session, the same account."""
    return AwsContext.create(boto3.Session(region_name=REGION), clock=fake_time.clock)


def point(name: str, at: int, mode: str, case: str, known: dict[str, str]) -> Any:
    """Return the pytest parameter of one crash point (expected to fail while its defect is in ``known``)."""
    marks = [pytest.mark.xfail(strict=True, reason=known[case])] if case in known else []
    return pytest.param(name, at, mode, id=case, marks=marks)


def crash_points(writes: dict[str, list[str]], *, known: dict[str, str], swept_to: dict[str, int] | None = None,
                 swept_before: dict[str, int] | None = None, opens: Iterable[str] = (SWITCH, DELETE)) -> Iterator[Any]:
    """Yield (operation, write index, mode) for each crash point of each operation of ``writes``.

    A kill before each write but those of :data:`SAME_AS_THE_NEXT` and the first lease take (nothing has changed
    yet), and after the last write; an interrupt before each write after one of ``opens`` (a traffic write, a
    delete) up to the release of the lease it was made under: there the lease's ``finally`` writes what the
    operation staged, a state a kill does not leave. ``swept_to``: operation -> the write from which its crash
    points are swept elsewhere (only the end is kept); ``swept_before``: operation -> the write before which they
    are (each operation that names one says where).
    """
    opening = set(opens)
    for name, made in writes.items():
        switched = False
        for at, write in [*enumerate(made), (len(made), "end")]:
            if (at >= (swept_to or {}).get(name, len(made)) and write != "end") or \
                    at < (swept_before or {}).get(name, 0):
                switched = write in opening or (switched and write != RELEASE)
                continue
            what = write.split(".")[-1].replace(" (", "-").rstrip(")").replace(" ", "-")
            first_take = write == TAKE and TAKE not in made[:at]  # a kill there leaves the app as it was
            if write not in SAME_AS_THE_NEXT and not first_take:
                killed = "-kill" if at < len(made) else ""
                yield point(name, at, "kill", f"{name}-{at:02d}-{what}{killed}", known)
            if switched and write != DASHBOARD:
                yield point(name, at, "interrupt", f"{name}-{at:02d}-{what}-interrupt", known)
            switched = write in opening or (switched and write != RELEASE)


def reached(looking: AwsContext, app: str = APP) -> dict[str, int]:
    """Return version -> weight of ``app``'s live rule (weight 0: the previous live version), read from ELB."""
    state = read_listener(looking, NAMESPACE, app)
    return {state.version_of(arn) or arn: weight for arn, weight in state.forward.items()}


def assert_status_tells_the_truth(world: World, looking: AwsContext) -> None:
    """Status names as live what takes traffic, shows its share and protection, warns of a reached unprotected one."""
    status = describe_app(looking, NAMESPACE, APP)
    weights = reached(looking)
    total = sum(weights.values())
    for row in status.rows:
        weight = weights.get(row.version)
        assert row.role == ("" if weight is None else "previous" if weight == 0 else
                            "split" if weight < total else "live"), (row, weights)
        assert row.traffic_percent == (round(100 * weight / total) if weight else 0), (row, weights)
        assert row.protected == world.termination_protection(row.version), row
        if weight is not None and not row.protected:
            assert any(row.version in w and "protection" in w for w in status.warnings), (row, status.warnings)
    assert status.lease == ""
    plan = plan_of(app_records(looking, NAMESPACE, APP).read())
    if plan is not None and plan.state == RUNNING:
        carried = carried_step(plan, read_listener(looking, NAMESPACE, APP).forward)
        assert (f"at step {carried + 1}/2 ({plan.steps_percent[carried]}%)" if carried is not None else
                "carries none of its steps") in status.canary, (status.canary, weights)


def assert_no_lease(looking: AwsContext, app: str = APP) -> None:
    """Neither of ``app``'s leases is held."""
    item = app_records(looking, NAMESPACE, app).read()
    assert item.lease() is None, item.lease()
    assert item.lease(RUNNER) is None, item.lease(RUNNER)

