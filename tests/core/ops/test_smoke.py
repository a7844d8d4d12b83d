"""smoke_command: the team's test runs against the verified version before any traffic moves."""

from __future__ import annotations

import pytest

from emulator.calls import CallCounter
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.smoke import SmokeTestFailedError
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def test_a_passing_smoke_command_sees_the_preview_url_the_live_host_and_the_test_header(
        live_world: World, fake_time: FakeTime, tmp_path):
    seen = tmp_path / "env"
    command = (f"env | grep ^STACKER_ECS_ | sort > {seen}")

    result = cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                     CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, smoke_command=command))

    assert result["changed"]
    assert live_world.live_version() == "v2"
    domain = live_world.application["Domain"]
    assert seen.read_text().splitlines() == [
        f"STACKER_ECS_APP={APP}", f"STACKER_ECS_LIVE_HOST={APP}.{domain}",
        f"STACKER_ECS_PREVIEW_URL=https://v2.{APP}.{domain}",
        "STACKER_ECS_TEST_HEADER=X-Stacker-Ecs-Version: v2", "STACKER_ECS_TEST_HEADER_NAME=X-Stacker-Ecs-Version",
        "STACKER_ECS_TEST_HEADER_VALUE=v2", "STACKER_ECS_VERSION=v2"]


def test_a_failing_smoke_command_refuses_the_cutover_showing_its_last_lines_and_moves_no_traffic(
        live_world: World, fake_time: FakeTime):
    counter = CallCounter(live_world.session)
    command = "for n in $(seq 1 30); do echo line $n; done; echo 'GET /health: 500' >&2; exit 3"

    with pytest.raises(SmokeTestFailedError) as caught:
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, smoke_command=command, steps_percent=[10]))

    message = str(caught.value)
    assert message.startswith(f"web/v2: cutover refused, v1 stays live and no traffic moved: the smoke command "
                              f"{command!r} exited 3 after ")
    assert "  | line 12\n" in message
    assert "line 11\n" not in message, "only the last 20 lines"
    assert message.endswith("  | GET /health: 500\nFix the version (or the test) and cut over again")
    assert "elbv2.ModifyRule" not in counter.mutating()
    assert "elbv2.CreateRule" not in counter.mutating()
    assert live_world.forward() == {live_world.target_group("v1"): 1}


def test_a_smoke_command_past_its_timeout_is_stopped_and_refuses_the_cutover(live_world: World, fake_time: FakeTime,
                                                                             tmp_path):
    finished = tmp_path / "finished"
    with pytest.raises(SmokeTestFailedError, match=r"ran past smoke_timeout_seconds \(0.5s\) and was stopped"):
        cutover(AwsContext.create(live_world.session, clock=fake_time.clock),
                CutoverArgs(app=APP, version="v2", namespace=NAMESPACE,
                            smoke_command=f"echo started; sleep 5; touch {finished}", smoke_timeout_seconds=0.5))

    assert live_world.live_version() == "v1"
    assert not finished.exists(), "the command was waited for (it ran to its end) instead of stopped"
