"""A canary killed with SIGKILL (the real ``stacker-ecs`` CLI) leaves a record a re-run obeys, on moto_server."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from emulator.world import ExampleWorld
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import read_listener

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"
ALARM = "web-5xx"


def traffic(emulator) -> dict[str, int]:
    """Return version -> weight of the live rule, read from the emulator."""
    state = read_listener(AwsContext.create(emulator.session), NAMESPACE, "web")
    return {state.version_of(arn) or arn: weight for arn, weight in state.forward.items()}


def wait_for(predicate, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def deploy_web(emulator) -> ExampleWorld:
    """Make ``v1`` live (by the CLI), ``v2`` deployed and healthy, alarm ``web-5xx`` OK; return the world."""
    world = ExampleWorld.create(emulator.session, NAMESPACE)
    world.add_app("web")
    world.add_version("v1")
    wait_for(lambda: emulator.stacker_ecs("cutover", "web", "v1", "--namespace", NAMESPACE).returncode == 0,
             "v1 to go live")
    world.add_version("v2")
    emulator.session.client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM, MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    return world


@pytest.fixture
def deployed(emulator):
    """The emulator after :func:`deploy_web`."""
    deploy_web(emulator)
    return emulator


def start_canary(emulator) -> subprocess.Popen[str]:
    """Start a stepped cutover to v2 in another process; return once its first step (10%) is baking."""
    canary = subprocess.Popen(
        [*emulator.stacker_ecs_command(), "cutover", "web", "v2", "--namespace", NAMESPACE,
         "--steps-percent", "10", "50", "--bake-seconds", "600", "--alarm-name", ALARM],
        env=emulator.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert canary.stderr is not None
    for line in canary.stderr:
        if "10% of traffic; baking" in line:
            break
    return canary


def test_a_canary_killed_during_its_bake_is_resumed_with_its_alarms_and_restores_the_recorded_state(deployed):
    emulator = deployed
    before = traffic(emulator)
    canary = start_canary(emulator)
    os.kill(canary.pid, signal.SIGKILL)
    canary.wait()
    assert traffic(emulator) == {"v2": 10, "v1": 90}

    status = emulator.stacker_ecs("status", "web", "--namespace", NAMESPACE)
    assert "in progress: canary of v2 at step 1/2 (10%)" in status.stdout, status.stdout + status.stderr

    # the dead runner still holds its lease: a re-run says who, and changes nothing
    again = emulator.stacker_ecs("cutover", "web", "v2", "--namespace", NAMESPACE, "--steps-percent", "10", "50",
                                 "--alarm-name", ALARM, "--lease-wait-seconds", "0")
    assert again.returncode == 1
    assert "holds the app's canary-runner" in again.stderr
    assert f"pid {canary.pid}" in again.stderr
    assert "Traceback" not in again.stderr
    assert traffic(emulator) == {"v2": 10, "v1": 90}

    unlock = emulator.stacker_ecs("unlock", "web", "--namespace", NAMESPACE)
    assert unlock.returncode == 0, unlock.stderr
    assert "canary of v2 at step 1/2 (10%)" in unlock.stdout
    assert "is still recorded" in unlock.stdout

    # the re-run resumes the step and reads the alarm, which has gone off: all traffic goes back
    emulator.session.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")
    rerun = emulator.stacker_ecs("cutover", "web", "v2", "--namespace", NAMESPACE, "--steps-percent", "10", "50",
                                 "--bake-seconds", "600", "--alarm-name", ALARM)
    assert rerun.returncode == 3  # rolled back by the alarm
    assert "alarm web-5xx went off with 10% of traffic on v2; all traffic is back on v1" in rerun.stderr
    assert traffic(emulator) == before


def test_rollback_aborts_a_running_canary_from_another_terminal_and_the_canary_exits_non_zero(deployed):
    emulator = deployed
    before = traffic(emulator)
    canary = start_canary(emulator)

    back = emulator.stacker_ecs("rollback", "web", "--namespace", NAMESPACE)

    assert back.returncode == 0, back.stderr
    assert "aborted; all traffic is back on v1" in back.stdout
    assert traffic(emulator) == before
    # the canary sees the abort at its next alarm poll (within 10 s), not at the end of its 600 s bake
    rest = canary.communicate(timeout=60)[1]
    assert canary.returncode == 1
    assert "canary aborted at step 1 (aborted by rollback" in rest
    assert traffic(emulator) == before
