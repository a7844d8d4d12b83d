"""The crash sweeps' world: app ``web`` deployed, without versions (each sweep prepares its own), on fake time."""

from __future__ import annotations

import boto3
import pytest

from tests.core.ops.conftest import FakeTime, World, build_world


@pytest.fixture
def world(session: boto3.Session) -> World:
    """A fresh world of app ``web``, without versions (test_fault_matrix.py has its own)."""
    return build_world(session)


@pytest.fixture
def fake_time(world: World) -> FakeTime:
    """Fake time whose sleeps let the world's ECS agent act."""
    return FakeTime(world.agent)
