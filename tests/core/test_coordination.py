"""The per-app item: one conditional update decides the writer; others wait, then fail naming the holder;
records written under the lease are fenced by it."""

from __future__ import annotations

import boto3
import pytest

from emulator.calls import CallCounter
from stacker_ecs.core import coordination, naming
from stacker_ecs.core.coordination import LEASE, RUNNER, AppRecords, LeaseHeldError, LeaseLostError, holding
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.wait import Clock

TABLE = naming.coordination_table("ecs-dev")


class Wall:
    """Wall-clock time the test moves by hand (lease expiry is wall time, shared between processes)."""

    def __init__(self) -> None:
        self.current = 1_700_000_000.0

    def __call__(self) -> float:
        return self.current


class FakeClock:
    """Monotonic time for the waits; ``on_sleep`` runs at each sleep (another process acting meanwhile)."""

    def __init__(self, wall: Wall, on_sleep=None) -> None:
        self.current = 0.0
        self.wall = wall
        self.on_sleep = on_sleep
        self.sleeps: list[float] = []

    def clock(self) -> Clock:
        return Clock(now=lambda: self.current, sleep=self.sleep)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += seconds
        self.wall.current += seconds
        if self.on_sleep:
            self.on_sleep()


@pytest.fixture
def dynamodb(session: boto3.Session):
    client = session.client("dynamodb")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return client


@pytest.fixture
def wall() -> Wall:
    return Wall()


def records(dynamodb, wall: Wall, app: str = "web") -> AppRecords:
    return AppRecords(dynamodb=dynamodb, table=TABLE, app=app, wall=wall)


def try_acquire(store: AppRecords, operation: str, version: str, ttl_seconds: float, kind: str = LEASE):
    return coordination.try_acquire(store, operation, version, ttl_seconds, kind)[0]


def test_the_first_writer_takes_the_lease_and_a_second_is_refused_by_the_conditional_put(dynamodb, wall):
    first = try_acquire(records(dynamodb, wall), "cutover", "v2", ttl_seconds=120)
    second = try_acquire(records(dynamodb, wall), "cutover", "v3", ttl_seconds=120)

    assert first is not None
    assert second is None
    stored = records(dynamodb, wall).read().lease()
    assert stored is not None
    assert (stored.token, stored.operation, stored.version) == (first.token, "cutover", "v2")


def test_leases_of_different_apps_do_not_exclude_each_other(dynamodb, wall):
    assert try_acquire(records(dynamodb, wall, "web"), "cutover", "v2", ttl_seconds=120)
    assert try_acquire(records(dynamodb, wall, "web-admin"), "cutover", "v2", ttl_seconds=120)


def test_a_second_writer_waits_its_bounded_time_then_fails_naming_holder_operation_and_since(
        dynamodb, wall, monkeypatch):
    monkeypatch.setenv(coordination.HOLDER_ENV, "pipeline web #41")
    assert try_acquire(records(dynamodb, wall), "cutover", "v2", ttl_seconds=600)
    monkeypatch.setenv(coordination.HOLDER_ENV, "pipeline web #42")
    fake = FakeClock(wall)

    with pytest.raises(LeaseHeldError) as raised, holding(records(dynamodb, wall), "rollback", clock=fake.clock(),
                                                           wait_seconds=30, heartbeat=False):
        pytest.fail("the block must not run while another holds the lease")

    message = str(raised.value)
    assert "pipeline web #41 (cutover v2, since 2023-11-14 22:13:20 UTC" in message
    assert "rollback refused" in message
    assert "stacker-ecs unlock web" in message
    assert 30 <= sum(fake.sleeps) < 36


def test_a_waiting_writer_gets_the_lease_when_the_holder_releases_it(dynamodb, wall):
    holder = holding(records(dynamodb, wall), "cutover", version="v2", clock=FakeClock(wall).clock(),
                     wait_seconds=0, heartbeat=False)
    held = holder.__enter__()
    fake = FakeClock(wall, on_sleep=lambda: holder.__exit__(None, None, None) if not held._stop.is_set() else None)

    with holding(records(dynamodb, wall), "rollback", clock=fake.clock(), wait_seconds=30, heartbeat=False) as lease:
        assert records(dynamodb, wall).read().lease().token == lease.info.token

    assert len(fake.sleeps) == 1
    assert records(dynamodb, wall).read().lease() is None, "released at the end of the block"


def test_a_crashed_holders_lease_expires_and_the_next_writer_takes_it_over(dynamodb, wall):
    crashed = try_acquire(records(dynamodb, wall), "cutover", "v2", ttl_seconds=120)
    wall.current += 121

    with holding(records(dynamodb, wall), "rollback", clock=FakeClock(wall).clock(), wait_seconds=0,
                 heartbeat=False) as lease:
        assert lease.info.token != crashed.token


def test_a_holder_whose_lease_was_broken_stops_before_its_next_write(dynamodb, wall):
    with holding(records(dynamodb, wall), "cutover", version="v2", clock=FakeClock(wall).clock(),
                 wait_seconds=0, heartbeat=False) as lease:
        broken = records(dynamodb, wall).break_leases(LEASE)
        assert broken[LEASE].token == lease.info.token
        try_acquire(records(dynamodb, wall), "rollback", "", ttl_seconds=120)
        with pytest.raises(LeaseLostError, match="broken or taken over while cutover ran"):
            lease.check()
        with pytest.raises(LeaseLostError):
            lease.write(live={"version": "v2"})
    item = records(dynamodb, wall).read()
    assert item.lease().operation == "rollback", "release never deletes another's lease"
    assert item.doc("live") is None, "a holder that lost its lease records nothing"


def test_a_holder_whose_lease_expired_and_was_taken_over_releases_nothing_of_the_new_holders(dynamodb, wall):
    holder = holding(records(dynamodb, wall), "cutover", version="v2", clock=FakeClock(wall).clock(),
                     ttl_seconds=120, wait_seconds=0, heartbeat=False)
    lease = holder.__enter__()
    wall.current += 121
    successor = try_acquire(records(dynamodb, wall), "rollback", "", ttl_seconds=120)
    assert successor is not None
    lease.stage(live={"version": "v2", "since": wall()})

    # no write between the take-over and the end of its block: the release is its first fenced call
    with pytest.raises(LeaseLostError, match="broken or taken over while cutover ran"):
        holder.__exit__(None, None, None)

    item = records(dynamodb, wall).read()
    assert item.lease().token == successor.token, "release never deletes another's lease"
    assert item.doc("live") is None, "a holder that lost its lease records nothing"


def test_renewing_extends_the_lease_so_a_long_operation_keeps_it(dynamodb, wall):
    with holding(records(dynamodb, wall), "cutover", clock=FakeClock(wall).clock(), ttl_seconds=120,
                 wait_seconds=0, heartbeat=False) as lease:
        wall.current += 100
        lease.renew()
        wall.current += 100
        assert try_acquire(records(dynamodb, wall), "rollback", "", ttl_seconds=120) is None


def test_without_the_table_the_operation_is_refused_naming_the_fix(session, wall):
    with pytest.raises(AwsStateError, match=r"no coordination table 'ecs-dev-cluster-coordination'.*update the "
                                            "cluster stack"):
        try_acquire(records(session.client("dynamodb"), wall), "cutover", "v2", ttl_seconds=120)


def test_records_written_under_the_lease_are_read_back_by_the_next_take_and_reads_take_no_lease(dynamodb, wall):
    with holding(records(dynamodb, wall), "cutover", clock=FakeClock(wall).clock(), wait_seconds=0,
                 heartbeat=False) as lease:
        lease.write(canary={"version": "v2", "step": 1})
        lease.stage(live={"version": "v1", "since": 1.0})
    store = records(dynamodb, wall)

    assert store.read().doc("canary") == {"version": "v2", "step": 1}
    assert store.read().doc("live") == {"version": "v1", "since": 1.0}, "staged records are written at release"
    assert store.read().lease() is None
    with holding(store, "cleanup", clock=FakeClock(wall).clock(), wait_seconds=0, heartbeat=False) as lease:
        assert lease.snapshot.doc("canary") == {"version": "v2", "step": 1}, "the take returns the records"
        lease.release(canary=None)
    assert store.read().doc("canary") is None


def test_taking_fencing_and_releasing_with_the_live_record_costs_three_calls(session, dynamodb, wall):
    counter = CallCounter(session)
    store = AppRecords(dynamodb=session.client("dynamodb"), table=TABLE, app="web", wall=wall)

    with holding(store, "cutover", clock=FakeClock(wall).clock(), wait_seconds=0, heartbeat=False) as lease:
        lease.check()
        lease.stage(live={"version": "v2", "since": wall()})

    assert dict(counter.calls) == {"dynamodb.UpdateItem": 3}
    assert store.read().doc("live")["version"] == "v2"


def test_the_runner_lease_and_the_write_lease_of_one_app_are_held_apart(dynamodb, wall):
    with holding(records(dynamodb, wall), "cutover", clock=FakeClock(wall).clock(), wait_seconds=0,
                 heartbeat=False) as lease, \
            holding(records(dynamodb, wall), "cutover", clock=FakeClock(wall).clock(), wait_seconds=0,
                    heartbeat=False, kind=RUNNER) as runner:
        assert try_acquire(records(dynamodb, wall), "rollback", "", ttl_seconds=120) is None
        assert try_acquire(records(dynamodb, wall), "cutover", "", ttl_seconds=120, kind=RUNNER) is None
        item = records(dynamodb, wall).read()
        assert (item.lease(LEASE).token, item.lease(RUNNER).token) == (lease.info.token, runner.info.token)
