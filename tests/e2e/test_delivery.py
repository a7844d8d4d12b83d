"""Progressive delivery through the real ``stacker-ecs`` CLI on moto_server: canaries judged by metrics.

The app's users are :class:`emulator.traffic.Traffic` in a thread of this process, sending requests
by the live rule's weights and publishing the load balancer's per-target-group metrics every second
(``period_seconds=1``, so a bake of a few seconds has numbers to judge).
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from emulator.server import REGION
from emulator.traffic import Traffic
from emulator.world import ExampleWorld
from stacker_ecs.core import contract
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import read_listener

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"


def traffic(emulator) -> dict[str, int]:
    """Return version -> weight of the live rule, read from the emulator."""
    state = read_listener(AwsContext.create(emulator.session), NAMESPACE, "web")
    return {state.version_of(arn) or arn: weight for arn, weight in state.forward.items()}


@pytest.fixture
def deployed(emulator):
    """``v1`` live (made live by the CLI), ``v2`` deployed and healthy; the app's users, answered by each version."""
    world = ExampleWorld.create(emulator.session, NAMESPACE)
    listener = world.add_app("web")[contract.LISTENER_ARN]
    world.add_version("v1")
    deadline = time.monotonic() + 60
    while emulator.stacker_ecs("cutover", "web", "v1", "--namespace", NAMESPACE).returncode != 0:
        assert time.monotonic() < deadline, "v1 never went live"
        time.sleep(0.2)
    v2 = world.add_version("v2")
    users = Traffic(boto3.Session(region_name=REGION), listener, requests_per_minute=3000, period_seconds=1)
    with users.running(interval_seconds=0.2):
        yield emulator, users, v2[contract.TARGET_GROUP_ARN]


def canary(emulator, *checks: str):
    return emulator.stacker_ecs("--output", "json", "cutover", "web", "v2", "--namespace", NAMESPACE,
                                "--steps-percent", "10", "50", "--bake-seconds", "3", "--min-requests", "5",
                                *[a for check in checks for a in ("--metric-check", check)])


def test_a_canary_with_no_alarm_is_aborted_by_a_5xx_metric_and_exits_3(deployed):
    emulator, users, v2 = deployed
    users.answer(v2, error_percent=30)

    run = canary(emulator, "5xx_percent <= 1")

    assert run.returncode == 3, run.stderr
    document = json.loads(run.stdout)
    assert document["ok"] is False
    assert document["exit_status"] == 3
    assert document["error"]["kind"] == "CanaryRolledBackError"
    assert "metric 5xx_percent: v2 " in run.stderr
    assert "threshold 5xx_percent <= 1, with 10% of traffic on v2; all traffic is back on v1" in run.stderr
    assert "Traceback" not in run.stderr
    assert traffic(emulator) == {"v1": 1}


def test_a_dry_run_metric_that_breaches_is_only_reported_and_the_canary_goes_live(deployed):
    emulator, users, v2 = deployed
    users.answer(v2, tail_latency_ms=400)

    run = canary(emulator, "dry-run p99_ms <= 100", "5xx_percent <= 1")

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)["result"]
    assert result["message"] == "v2 is live (was v1)"
    assert [step["percent"] for step in result["analysis"]] == [10, 50]
    assert all("BREACHED (dry run: reported, not acted on)" in step["checks"][0] for step in result["analysis"])
    assert run.stderr.count("p99_ms: v2 400 ms") == 2
    assert traffic(emulator) == {"v2": 1, "v1": 0}


def paused_canary(emulator, *extra: str):
    return emulator.stacker_ecs("--output", "json", "cutover", "web", "v2", "--namespace", NAMESPACE,
                                "--steps-percent", "10", "50", "--bake-seconds", "3", "--min-requests", "5",
                                "--metric-check", "5xx_percent <= 1", "--pause-after-percent", "10", *extra)


def test_a_pause_is_promoted_from_another_process_after_the_pipeline_ended(deployed):
    emulator, _, _ = deployed

    pipeline = paused_canary(emulator)

    assert pipeline.returncode == 4, pipeline.stderr
    document = json.loads(pipeline.stdout)
    assert document["exit_status"] == 4
    assert document["result"]["paused"] is True
    assert traffic(emulator) == {"v2": 10, "v1": 90}
    status = emulator.stacker_ecs("status", "web", "--namespace", NAMESPACE)
    assert ", paused since " in status.stdout
    assert "promote: `stacker-ecs promote web --namespace ecs-dev`" in status.stdout
    assert "lease held by" not in status.stdout  # no process kept alive

    promoted = emulator.stacker_ecs("--output", "json", "promote", "web", "--namespace", NAMESPACE)

    assert promoted.returncode == 0, promoted.stderr
    result = json.loads(promoted.stdout)["result"]
    assert result["message"] == "v2 is live (was v1)"
    assert [step["percent"] for step in result["analysis"]] == [50]  # the metrics judged the later step too
    assert traffic(emulator) == {"v2": 1, "v1": 0}


def test_a_pause_that_times_out_is_aborted_by_the_next_command_that_looks(deployed):
    emulator, _, _ = deployed
    assert paused_canary(emulator, "--pause-timeout-seconds", "1").returncode == 4
    time.sleep(1.5)  # the pause's 1 s timeout passes; nothing runs meanwhile

    late = emulator.stacker_ecs("--output", "json", "promote", "web", "--namespace", NAMESPACE)

    assert late.returncode == 3, late.stderr
    assert "timed out after 1s without a promote (pause_timeout_action: abort); it was aborted and all traffic " \
           "is back on v1" in late.stderr
    assert json.loads(late.stdout)["error"]["kind"] == "CanaryRolledBackError"
    assert traffic(emulator) == {"v1": 1}


def test_a_failing_smoke_command_refuses_the_cutover_with_its_last_lines_and_no_traffic_moves(deployed):
    emulator, _, _ = deployed
    script = 'echo "GET $STACKER_ECS_PREVIEW_URL/health"; echo "expected 200, got 500" >&2; exit 3'

    result = emulator.stacker_ecs("cutover", "web", "v2", "--namespace", NAMESPACE, "--smoke-command", script)

    assert result.returncode == 1, result.stderr
    assert "cutover refused, v1 stays live and no traffic moved: the smoke command" in result.stderr
    assert "GET https://v2.web.dev.example.com/health" in result.stderr  # its environment names the preview
    assert "expected 200, got 500" in result.stderr  # its last lines
    assert traffic(emulator) == {"v1": 1}
