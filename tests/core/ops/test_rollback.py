"""rollback: cut back to the version the listener records as previously live, with the cutover's checks."""

from __future__ import annotations

import pytest

from emulator.calls import CallCounter
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def args(**extra) -> RollbackArgs:
    """Return the hook's arguments for ``web``."""
    return RollbackArgs(app=APP, namespace=NAMESPACE, **extra)


@pytest.fixture
def cut_over_to_v2(live_world: World, fake_time: FakeTime) -> World:
    """``v2`` live at 2 tasks, ``v1`` recorded as the previous live version, still running at 2."""
    live_world.make_live("v2", fake_time.clock)
    return live_world


def test_rollback_makes_the_previous_version_live_again(cut_over_to_v2: World, fake_time: FakeTime):
    world = cut_over_to_v2

    result = rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert (result["version"], result["previous"], result["changed"]) == ("v1", "v2", True)
    assert result["message"] == "v1 is live (was v2)"
    assert world.forward() == {world.target_group("v1"): 1, world.target_group("v2"): 0}


def test_a_rollback_run_twice_rolls_back_once_and_says_how_to_put_the_other_version_back(cut_over_to_v2: World,
                                                                                      fake_time: FakeTime):
    world = cut_over_to_v2
    rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    again = rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert (again["version"], again["previous"], again["changed"]) == ("v1", "v2", False)
    assert again["message"].startswith("already rolled back: v1 is live, rolled back from v2; nothing to change. "
                                       "To put v2 back, cut over to it by name (`stacker-ecs cutover web v2 ")
    assert world.forward() == {world.target_group("v1"): 1, world.target_group("v2"): 0}
    # a cutover by name puts v2 back, and the rollback after it rolls back again
    cutover(AwsContext.create(world.session, clock=fake_time.clock), CutoverArgs(app=APP, version="v2",
                                                                                 namespace=NAMESPACE))
    result = rollback(AwsContext.create(world.session, clock=fake_time.clock), args())
    assert (result["version"], result["changed"]) == ("v1", True)


def test_rollback_to_a_running_previous_version_is_one_listener_change(cut_over_to_v2: World):
    counter = CallCounter(cut_over_to_v2.session)
    no_ecs = FakeTime(agent=None)

    rollback(AwsContext.create(cut_over_to_v2.session, clock=no_ecs.clock), args())

    assert counter.mutating() == ["elbv2.ModifyRule"]
    assert counter.total - counter.coordination() - counter.dashboard() <= 5, counter.calls
    assert no_ecs.sleeps == []


def test_rollback_with_nothing_recorded_is_refused_with_a_clear_message(live_world: World, fake_time: FakeTime):
    counter = CallCounter(live_world.session)

    with pytest.raises(AwsStateError) as caught:
        rollback(AwsContext.create(live_world.session, clock=fake_time.clock), args())

    assert str(caught.value) == ("web: cannot roll back: no previous live version is recorded on the listener; "
                                 "cut over to a version by name instead")
    assert counter.mutating() == []
    assert live_world.live_version() == "v1"


def test_rollback_before_anything_was_live_is_refused(world: World, fake_time: FakeTime):
    world.deploy_version("v1")

    with pytest.raises(AwsStateError, match="no previous live version is recorded"):
        rollback(AwsContext.create(world.session, clock=fake_time.clock), args())


def test_rollback_when_the_previous_stack_was_deleted_is_refused_naming_its_target_group(cut_over_to_v2: World,
                                                                                         fake_time: FakeTime):
    world = cut_over_to_v2
    orphan = world.target_group("v1")
    world.delete_version_out_of_band("v1")

    with pytest.raises(AwsStateError) as caught:
        rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    message = str(caught.value)
    assert message.startswith(f"web: cannot roll back: the previous live target group {orphan} belongs to no "
                              "version any more (its stack was deleted)")
    assert message.endswith("cut over to a version by name instead")
    assert world.live_version() == "v2"


def test_rollback_dry_run_changes_nothing(cut_over_to_v2: World, fake_time: FakeTime):
    counter = CallCounter(cut_over_to_v2.session)

    result = rollback(AwsContext.create(cut_over_to_v2.session, clock=fake_time.clock), args(dry_run=True))

    assert result["message"] == "dry run: would make v1 live"
    assert counter.mutating() == []
    assert cut_over_to_v2.live_version() == "v2"


def test_rollback_to_a_previous_version_scaled_down_meanwhile_scales_it_back_first(cut_over_to_v2: World,
                                                                                   fake_time: FakeTime):
    world = cut_over_to_v2
    world.set_desired_count("v1", 1)
    world.sync()

    result = rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert (result["desired_count"], result["healthy"]) == (2, 2)
    assert world.desired_count("v1") == 2
    assert world.live_version() == "v1"


def test_rollback_to_an_unhealthy_previous_version_is_refused_and_the_live_one_stays(live_world: World,
                                                                                      fake_time: FakeTime):
    world = live_world
    world.deploy_version("v3")  # its tasks cannot start (CannotPullContainerError)
    cutover(AwsContext.create(world.session, clock=fake_time.clock),
            CutoverArgs(app=APP, version="v3", namespace=NAMESPACE, force=True))
    cutover(AwsContext.create(world.session, clock=fake_time.clock), CutoverArgs(app=APP, version="v2",
                                                                                 namespace=NAMESPACE))
    assert world.forward() == {world.target_group("v2"): 1, world.target_group("v3"): 0}

    with pytest.raises(UnhealthyVersionError) as caught:
        rollback(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert str(caught.value).startswith("web/v3: rollback refused, v2 stays live: ")
    assert "CannotPullContainerError" in str(caught.value)
    assert world.forward() == {world.target_group("v2"): 1, world.target_group("v3"): 0}
