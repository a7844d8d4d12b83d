"""cleanup keeps what is in flight: versions a pipeline may be about to cut over to, stacks being changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from emulator.states import fail_delete, set_stack_status
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.inventory import list_version_stacks
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def args(**extra) -> CleanupArgs:
    return CleanupArgs(app=APP, namespace=NAMESPACE, **extra)


def created(world: World, version: str):
    stacks = list_version_stacks(AwsContext.create(world.session), NAMESPACE, APP)
    return next(s.created for s in stacks if s.version == version)


def test_with_its_defaults_cleanup_keeps_a_version_deployed_after_the_live_one_went_live(live_world: World,
                                                                                         fake_time: FakeTime):
    result = cleanup(AwsContext.create(live_world.session, clock=fake_time.clock), args())

    assert result["deleted"] == []
    assert result["kept"]["v2"].startswith("created after the live version went live")
    assert live_world.version_stacks() == {"v1", "v2"}


def test_keep_last_1_keeps_both_of_two_versions_in_flight(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v4")
    live_world.sync()

    result = cleanup(AwsContext.create(live_world.session, clock=fake_time.clock), args(keep_last=1))

    assert result["deleted"] == []
    assert live_world.version_stacks() == {"v1", "v2", "v4"}


def test_a_version_in_flight_longer_than_in_flight_hours_is_deleted(live_world: World, fake_time: FakeTime):
    fake_time.wall_start = created(live_world, "v2") + timedelta(hours=25) - timedelta(seconds=fake_time.waited)

    result = cleanup(AwsContext.create(live_world.session, clock=fake_time.clock), args(in_flight_hours=24))

    assert result["deleted"] == ["v2"]
    assert live_world.version_stacks() == {"v1"}


def test_versions_older_than_the_live_versions_cutover_are_not_in_flight(world: World, fake_time: FakeTime):
    world.deploy_version("v1")
    world.deploy_version("v2")
    world.sync()
    world.make_live("v2", fake_time.clock)  # v1 was created before v2 went live

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(keep_previous=False))

    assert result["deleted"] == ["v1"]


def test_a_stack_still_being_created_is_never_deleted(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v4")
    set_stack_status(naming.version_stack(NAMESPACE, APP, "v4"), "CREATE_IN_PROGRESS")

    result = cleanup(AwsContext.create(live_world.session, clock=fake_time.clock), args(in_flight_hours=0))

    assert result["kept"]["v4"] == "its stack is CREATE_IN_PROGRESS: an operation on it is under way"
    assert sorted(result["deleted"]) == ["v2"]
    assert "v4" in live_world.version_stacks()


def test_when_one_delete_fails_the_report_still_names_every_stack_deleted(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v4")
    live_world.deploy_version("v5")
    live_world.sync()
    cfn = live_world.session.client("cloudformation")

    def v5_fails_to_delete(**_: object) -> None:
        fail_delete(naming.version_stack(NAMESPACE, APP, "v5"))

    live_world.session.events.register("after-call.cloudformation.DeleteStack", v5_fails_to_delete)

    with pytest.raises(AwsStateError) as failed:
        cleanup(AwsContext.create(live_world.session, clock=fake_time.clock),
                args(in_flight_hours=0, max_parallel=1))

    message = str(failed.value)
    assert message.startswith("web: cleanup deleted v2, v4, but could not delete v5")
    failed_stacks = cfn.list_stacks(StackStatusFilter=["DELETE_FAILED"])["StackSummaries"]
    assert [s["StackName"] for s in failed_stacks] == [naming.version_stack(NAMESPACE, APP, "v5")]
