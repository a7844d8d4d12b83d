"""Lease expiry and the live-since record use AWS's clock (the ``Date`` of DynamoDB's answers), not the runner's."""

from __future__ import annotations

import time

import boto3

from stacker_ecs.core.aws_clock import AwsClock


def test_a_runner_an_hour_ahead_writes_awss_time(session: boto3.Session):
    dynamodb = session.client("dynamodb")
    clock = AwsClock(dynamodb, prime=dynamodb.list_tables, local=lambda: time.time() + 3600)
    assert abs(clock() - time.time()) < 3  # primed by one read: AWS's time, not the runner's


def test_a_runner_within_the_headers_second_keeps_its_own_clock(session: boto3.Session):
    dynamodb = session.client("dynamodb")
    ticks = iter([100.0, 200.0, 300.0])
    clock = AwsClock(dynamodb, local=lambda: time.time() + 0.2)
    dynamodb.list_tables()
    assert clock.offset == 0.0
    clock.local = lambda: next(ticks)
    assert clock() == 100.0


def test_without_an_answer_or_a_read_the_runners_clock_is_used(session: boto3.Session):
    clock = AwsClock(session.client("dynamodb"), local=lambda: 42.0)
    assert clock() == 42.0
