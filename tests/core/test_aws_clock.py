"""Lease expiry and the live-since record use AWS's clock (the ``Date`` of AWS's answers), not the runner's."""

from __future__ import annotations

import time

import boto3

from stacker_ecs.core.aws_clock import AwsClock


def test_a_runner_an_hour_ahead_writes_awss_time(session: boto3.Session):
    dynamodb = session.client("dynamodb")
    clock = AwsClock(local=lambda: time.time() + 3600).primed_by(dynamodb.list_tables)
    clock.watch(dynamodb)
    assert abs(clock() - time.time()) < 3  # primed by one read: AWS's time, not the runner's


def test_a_runner_within_the_headers_second_keeps_its_own_clock(session: boto3.Session):
    dynamodb = session.client("dynamodb")
    ticks = iter([100.0, 200.0, 300.0])
    clock = AwsClock(local=lambda: time.time() + 0.2)
    clock.watch(dynamodb)
    dynamodb.list_tables()
    assert clock.offset == 0.0
    clock.local = lambda: next(ticks)
    assert clock() == 100.0


def test_without_an_answer_or_a_read_the_runners_clock_is_used(session: boto3.Session):
    clock = AwsClock(local=lambda: 42.0)
    clock.watch(session.client("dynamodb"))
    assert clock() == 42.0


def test_any_answer_of_the_operation_tells_awss_time_so_the_table_is_not_read(session: boto3.Session):
    reads = []
    clock = AwsClock(local=lambda: time.time() - 3600).primed_by(lambda: reads.append("DescribeTable"))
    events = session.client("events")
    clock.watch(events)
    events.list_event_buses()
    assert abs(clock() - time.time()) < 3
    assert reads == [], "an answer was seen: no read for the time"
