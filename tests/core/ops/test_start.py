"""ecs_version_desired_count: 0 for a new version, the count its service has afterwards (never a literal 0)."""

from __future__ import annotations

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.start import VersionCountQuery, find_version_desired_count
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def _count(world: World, version: str) -> int:
    return find_version_desired_count(AwsContext.create(world.session),
                                      VersionCountQuery(app=APP, namespace=NAMESPACE, version=version))


def test_a_version_without_a_stack_starts_at_zero(world: World):
    assert _count(world, "v9") == 0


def test_a_running_version_reads_its_own_count_so_a_resubmitted_stack_changes_nothing(world: World,
                                                                                      fake_time: FakeTime):
    world.deploy_version("v1", 2)
    world.sync()
    world.make_live("v1", fake_time.clock)
    world.set_desired_count("v1", 5)  # autoscaling or an operator scaled it since

    assert _count(world, "v1") == 5
