"""The crash sweep: every operation that moves traffic or deletes versions, stopped before each of its writes.

For each operation (an atomic cutover, a rollback, a stepped canary through its steps and its final
switch, promote and abort of a paused canary, cleanup) :data:`WRITES` lists the AWS writes a clean run
makes, in order (``test_a_clean_run_makes_the_writes_the_sweep_crashes_before`` keeps it true). A crash
before a read leaves AWS as a crash before the next write does, so crashing right before each write, and
after the last, reaches every state a killed process can leave (:func:`~tests.faults.sweep_support.crash_points`
says which points are left out as equivalent to the next). Each crash point runs in a fresh world, killed or
interrupted (:mod:`tests.faults.sweep_support`).

Then, as the operator would, the leases are broken (``stacker-ecs unlock``), and the sweep checks that
the live rule forwards only to versions that exist and have healthy targets, that ``status`` claims
nothing false, that cleanup (a dry run that would delete anything not kept, then a real one) deletes no
version the live rule reaches, and that a re-run of the operation ends in its intended state: the
intended version live, termination protection on exactly the versions the live rule reaches, the app's
protection record finished, no lease left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError
from stacker_ecs.core.ops.canary_plan import ABORTED, plan_of
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.gates import GateArgs, abort, promote
from stacker_ecs.core.ops.lookups import AppQuery
from stacker_ecs.core.ops.protection import PROTECTED
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.unlock import unlock
from tests.core.ops.conftest import (
    ALARM,
    APP,
    NAMESPACE,
    REGION,
    FakeTime,
    World,
    create_alarm,
    deploy_live,
)
from tests.faults.sweep_support import (
    DASHBOARD,
    DELETE,
    DONE,
    FENCE,
    PLAN,
    PROTECT,
    RELEASE,
    RUNNER_RELEASE,
    RUNNER_TAKE,
    SCALE,
    STARTED,
    SWITCH,
    TAKE,
    Run,
    assert_no_lease,
    assert_status_tells_the_truth,
    assert_writes_as_listed,
    crash_points,
    crashed_run,
    observer,
    reached,
)

pytestmark = pytest.mark.usefixtures("no_retry_waits")


def canary(**extra: Any) -> CutoverArgs:
    """A stepped cutover of v2 (10 %, 50 %, then all), watching an alarm that stays OK."""
    return CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10, 50], bake_seconds=0,
                       alarm_names=[ALARM], **extra)


def every_idle_version(*, dry_run: bool = False) -> CleanupArgs:
    """A cleanup that deletes every version it does not have to keep (none kept for being new)."""
    return CleanupArgs(app=APP, namespace=NAMESPACE, in_flight_hours=0, dry_run=dry_run)


def gate() -> GateArgs:
    return GateArgs(app=APP, namespace=NAMESPACE)


@dataclass(frozen=True)
class Operation:
    """One operation of the sweep: how its world is prepared, how it runs, how it is run again, what it ends in."""

    setup: Callable[[World, FakeTime], None]
    run: Run
    rerun: Run
    live: str
    """The version live at the end (all the traffic, the other one recorded at weight 0 or not at all)."""
    reached: frozenset[str]
    """The versions the live rule forwards to at the end (weight 0 included): exactly these are protected."""
    deleted: frozenset[str] = frozenset()
    """The version stacks gone at the end."""
    plan: str | None = None
    """The state of a canary plan that may stay recorded at the end (an aborted one, until an operation drops it)."""


def _cut_over_to_v2(world: World, fake_time: FakeTime) -> None:
    world.make_live("v2", fake_time.clock)


def _pause_a_canary(world: World, fake_time: FakeTime) -> None:
    paused = cutover(AwsContext.create(boto3.Session(region_name=REGION), clock=fake_time.clock),
                     canary(pause_after_percent=[10]))
    assert paused["paused"], paused


def _nothing(world: World, fake_time: FakeTime) -> None:
    """Nothing more than v1 live and v2 deployed beside it."""


def done_already(run: Run, refusal: str) -> Run:
    """Return ``run``, which may be refused with ``refusal`` when the crashed run had already done its job."""

    def again(aws: AwsContext) -> dict[str, Any]:
        try:
            return run(aws)
        except AwsStateError as exc:
            if refusal not in str(exc):
                raise
            return {"message": str(exc)}

    return again


def _cutover(aws: AwsContext) -> dict[str, Any]:
    return cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))


def _rollback(aws: AwsContext) -> dict[str, Any]:
    return rollback(aws, RollbackArgs(app=APP, namespace=NAMESPACE))


def _canary(aws: AwsContext) -> dict[str, Any]:
    return cutover(aws, canary())


def _promote(aws: AwsContext) -> dict[str, Any]:
    return promote(aws, gate())


def _abort(aws: AwsContext) -> dict[str, Any]:
    return abort(aws, gate())


def _cleanup(aws: AwsContext) -> dict[str, Any]:
    return cleanup(aws, every_idle_version())


OPERATIONS: dict[str, Operation] = {
    "cutover": Operation(_nothing, _cutover, _cutover, live="v2", reached=frozenset({"v1", "v2"})),
    "rollback": Operation(_cut_over_to_v2, _rollback, _rollback, live="v1",
                          reached=frozenset({"v1", "v2"})),
    "canary": Operation(_nothing, _canary, _canary, live="v2", reached=frozenset({"v1", "v2"})),
    "promote": Operation(_pause_a_canary, _promote, done_already(_promote, "nothing to promote: no canary"),
                         live="v2", reached=frozenset({"v1", "v2"})),
    "abort": Operation(_pause_a_canary, _abort, done_already(_abort, "nothing to abort: no canary"),
                       live="v1", reached=frozenset({"v1"}), plan=ABORTED),
    "cleanup": Operation(_nothing, _cleanup, _cleanup, live="v1", reached=frozenset({"v1"}),
                         deleted=frozenset({"v2"})),
}
"""The operations swept, from v1 live (2 tasks) and v2 deployed beside it; the re-run of promote and abort may
be refused as having nothing left to do (the crash came after their job was done)."""

WRITES: dict[str, list[str]] = {
    "cutover": [STARTED, TAKE, SCALE, FENCE, SWITCH, DASHBOARD, PROTECT, PROTECT, RELEASE, *DONE],
    "rollback": [STARTED, TAKE, FENCE, SWITCH, DASHBOARD, RELEASE, *DONE],
    "canary": [STARTED, TAKE, SCALE, RUNNER_TAKE, PLAN, SWITCH, FENCE, PROTECT, PROTECT, DASHBOARD, RELEASE,
               TAKE, FENCE, SWITCH, DASHBOARD, RELEASE, TAKE, FENCE, SWITCH, RELEASE, DASHBOARD, RUNNER_RELEASE, *DONE],
    "promote": [STARTED, TAKE, RUNNER_TAKE, PLAN, RELEASE, TAKE, FENCE, SWITCH, DASHBOARD, RELEASE, TAKE, FENCE, SWITCH,
                RELEASE, RUNNER_RELEASE, *DONE],
    "abort": [STARTED, TAKE, FENCE, SWITCH, FENCE, PROTECT, PROTECT, DASHBOARD, RELEASE, *DONE],
    "cleanup": [STARTED, TAKE, FENCE, DELETE, RELEASE, DASHBOARD, *DONE],
}
"""The writes a clean run of each operation makes, in order (``(what)`` says which record a write is for)."""


def prepared(world: World, fake_time: FakeTime, name: str) -> Operation:
    """Return ``name``'s operation with its world prepared: v1 live at 2 tasks, v2 beside it, an alarm (OK)."""
    deploy_live(world, fake_time)
    create_alarm(world).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    operation = OPERATIONS[name]
    operation.setup(world, fake_time)
    return operation


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_clean_run_makes_the_writes_the_sweep_crashes_before(world: World, fake_time: FakeTime, name: str):
    assert_writes_as_listed(prepared(world, fake_time, name).run, fake_time, name, WRITES[name])


SWEPT_TO = {"promote": 10}
"""Promote's steps after its first are the canary's (``run_canary``), swept there."""


KNOWN: dict[str, str] = {}
"""Crash points expected to fail, and why (a test id -> the defect; none today)."""


@pytest.mark.parametrize(("name", "at", "mode"), crash_points(WRITES, known=KNOWN, swept_to=SWEPT_TO))
def test_a_crash_before_any_write_leaves_the_site_up_and_a_rerun_finishes(world: World, fake_time: FakeTime,
                                                                           name: str, at: int, mode: str):
    operation = prepared(world, fake_time, name)
    crashed_run(operation.run, fake_time, at, kill=mode == "kill", writes=len(WRITES[name]))
    looking = observer(fake_time)
    unlock(looking, AppQuery(app=APP, namespace=NAMESPACE))  # the operator breaks the dead process's leases

    assert_site_up(world, looking)
    assert_status_tells_the_truth(world, looking)
    assert_cleanup_keeps_what_traffic_reaches(world, looking)

    share = share_of(reached(looking), operation.live)
    rerun = boto3.Session(region_name=REGION)
    written = shares_written(rerun, world, operation.live)
    operation.rerun(AwsContext.create(rerun, clock=fake_time.clock))

    assert_ends_as_intended(world, looking, operation)
    assert min(written, default=100) >= share, f"the re-run took traffic back from {operation.live}: {written}"


def share_of(weights: dict[str, int], version: str) -> int:
    """Return ``version``'s percent of the live traffic."""
    return 100 * weights.get(version, 0) // max(sum(weights.values()), 1)


def shares_written(session: boto3.Session, world: World, version: str) -> list[int]:
    """Return (as they are made) the shares of ``version`` in each write of the live rule through ``session``."""
    written: list[int] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        groups = params["Actions"][0]["ForwardConfig"]["TargetGroups"]
        names = {world.target_group(v): v for v in world.versions}
        written.append(share_of({names.get(g["TargetGroupArn"], ""): g["Weight"] for g in groups}, version))

    session.events.register("provide-client-params.elastic-load-balancing-v2.ModifyRule", note)
    return written


def assert_site_up(world: World, looking: AwsContext) -> None:
    """The live rule sends traffic only to versions whose stack exists and that have healthy targets."""
    serving = {v: w for v, w in reached(looking).items() if w > 0}
    assert serving, "the live rule sends traffic nowhere"
    for version in serving:
        assert version in world.version_stacks(), f"traffic goes to {version}, whose stack is gone"
        assert world.healthy_targets(version) >= 1, f"traffic goes to {version}, which has no healthy target"


def assert_cleanup_keeps_what_traffic_reaches(world: World, looking: AwsContext) -> None:
    """A cleanup that would delete every version it need not keep names none the live rule reaches; one that
    deletes deletes none."""
    targets = set(reached(looking))
    would = cleanup(looking, every_idle_version(dry_run=True))["deleted"]
    assert not targets & set(would), (would, targets)
    cleanup(looking, CleanupArgs(app=APP, namespace=NAMESPACE))
    assert targets <= world.version_stacks()


def assert_ends_as_intended(world: World, looking: AwsContext, operation: Operation) -> None:
    """The intended version is live, exactly the versions the live rule reaches are protected, nothing is left over."""
    weights = reached(looking)
    assert {v for v, w in weights.items() if w > 0} == {operation.live}, weights
    assert set(weights) == operation.reached, weights
    assert not operation.deleted & world.version_stacks()
    protected = {v for v in world.version_stacks() if world.termination_protection(v)}
    assert protected == set(operation.reached), protected
    item = app_records(looking, NAMESPACE, APP).read()
    assert item.doc(PROTECTED) == {"versions": sorted(operation.reached)}, item.doc(PROTECTED)
    plan = plan_of(item)
    assert (plan.state if plan else None) in {None, operation.plan}, plan
    assert_no_lease(looking)


@pytest.mark.parametrize("at", [5, 13, 15, 18], ids=lambda at: f"canary-{at:02d}-{WRITES['canary'][at].split('.')[-1]}")
def test_a_rerun_of_a_killed_canary_whose_alarm_went_off_restores_and_protects_only_what_traffic_reaches(
        world: World, fake_time: FakeTime, at: int):
    prepared(world, fake_time, "canary")
    crashed_run(_canary, fake_time, at, kill=True, writes=len(WRITES["canary"]))
    looking = observer(fake_time)
    unlock(looking, AppQuery(app=APP, namespace=NAMESPACE))
    world.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    with pytest.raises(CanaryRolledBackError, match="all traffic is back on v1"):
        cutover(observer(fake_time), canary())

    assert reached(looking) == {"v1": 1}
    assert {v for v in world.version_stacks() if world.termination_protection(v)} == {"v1"}
    assert app_records(looking, NAMESPACE, APP).read().doc(PROTECTED) == {"versions": ["v1"]}
