"""The real stacker CLI deploys a broken version; ``stacker-ecs diagnose`` then names the true cause first."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e
PIPELINE = ["--targets", "pipeline"]


def _deploy_and_verify(emulator, version: str, timeout: int = 60):
    return emulator.stacker("app=web", f"version={version}", "deploy=true", "verify=true",
                            f"health_timeout_seconds={timeout}", extra=PIPELINE)


def _first_finding(emulator, *version: str) -> dict:
    result = emulator.stacker_ecs("--output", "json", "diagnose", "web", *version, "--namespace", "ecs-dev")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["result"]["findings"][0]


def test_diagnose_names_the_cause_of_each_broken_version_a_pipeline_deployed(emulator):
    assert emulator.stacker().returncode == 0
    first = emulator.stacker("app=web", "version=v1", "deploy=true", "verify=true", "cutover=true", extra=PIPELINE)
    assert first.returncode == 0, first.stderr
    emulator.agent.faults.update({"web_v4": "crash", "web_v5": "unhealthy", "web_v6": "no-capacity"})

    # an image that cannot be pulled (web_v3): the hook's message ends with the diagnose command
    broken = _deploy_and_verify(emulator, "v3")
    assert broken.returncode == 1
    assert "diagnose: 3 tasks stopped: the image cannot be pulled" in broken.stderr
    assert "see everything: stacker-ecs diagnose web v3 --namespace ecs-dev" in broken.stderr
    finding = _first_finding(emulator)  # default: the newest version that is not live
    assert "the image cannot be pulled: CannotPullContainerError" in finding["summary"]

    # a container that exits 1, its last log line shown
    assert _deploy_and_verify(emulator, "v4").returncode == 1
    finding = _first_finding(emulator, "v4")
    assert "container web exited 1" in finding["summary"]
    assert "'exiting with status 1'" in finding["summary"]

    # a wrong health-check path: the targets' reasons
    # (the hook diagnoses before it scales the failed version back to 0 tasks, which deregisters its targets)
    unhealthy = _deploy_and_verify(emulator, "v5")
    assert unhealthy.returncode == 1
    (finding,) = [line for line in unhealthy.stderr.splitlines() if "diagnose: " in line][:1]
    assert "Target.ResponseCodeMismatch" in finding
    assert "HTTP /health" in finding
    assert "scaled web/v5 back to 0 tasks" in unhealthy.stderr

    # no capacity on the EC2 cluster: pending tasks and the instance's free memory
    assert _deploy_and_verify(emulator, "v6", timeout=5).returncode == 1
    finding = _first_finding(emulator, "v6")
    assert finding["place"] == "cluster"
    assert "insufficient memory" in finding["summary"]
    assert "128 MiB" in finding["summary"]

    # and the text form: one screen, the cause first, the checklist's places after it
    text = emulator.stacker_ecs("diagnose", "web", "v4", "--namespace", "ecs-dev").stdout
    assert text.splitlines()[1].startswith("1. [cause] ecs: ")
    assert "tasks stopped: container web exited 1" in text.splitlines()[1]
    assert "== logs" in text
