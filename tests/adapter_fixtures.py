"""Fixtures of the stacker adapter tests (hooks, lookups): the ops world, and what stacker passes."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest

from emulator.calls import EveryCall
from tests.core.ops import conftest as ops
from tests.core.ops.conftest import REGION

# The fixtures of tests/core/ops, shared.
world = ops.world
live_world = ops.live_world
fake_time = ops.fake_time
clock = ops.clock


@pytest.fixture
def adapter_calls(session: boto3.Session) -> Iterator[EveryCall]:
    """The AWS calls of the sessions the adapters make from now on (ask for it after ``world``)."""
    with EveryCall() as calls:
        yield calls


@pytest.fixture
def context() -> SimpleNamespace:
    """What stacker passes as ``context``: the config's namespace."""
    return SimpleNamespace(namespace="ecs-dev")


@pytest.fixture
def provider() -> SimpleNamespace:
    """What stacker passes as ``provider``: the region."""
    return SimpleNamespace(region=REGION)
