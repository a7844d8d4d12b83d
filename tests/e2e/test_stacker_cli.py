"""The real stacker CLI, as a subprocess, against moto_server on 127.0.0.1."""

from __future__ import annotations

import pytest

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import read_listener
from tests.e2e.engine_support import reruns_change_nothing

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"


def _stack(emulator, name: str) -> dict:
    return emulator.session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _live(emulator) -> str | None:
    return read_listener(AwsContext.create(emulator.session), NAMESPACE, "web").live_version


def _web(version: str, *switches: str) -> tuple[str, ...]:
    """The settings of web's pipeline for ``version`` (deploy unless other switches are given)."""
    return ("app=web", f"version={version}", *(switches or ("deploy=true",)))


PIPELINE = ["--targets", "pipeline"]


def test_stacker_build_creates_the_three_stacks_and_their_resources(emulator):
    # when the platform's plain build, then web's pipeline deploys v1
    plain = emulator.stacker()
    assert plain.returncode == 0, plain.stderr
    result = emulator.stacker(*_web("v1"), extra=PIPELINE)
    # then
    assert result.returncode == 0, result.stderr
    cluster = _stack(emulator, naming.cluster_stack(NAMESPACE))
    app = _stack(emulator, naming.application_stack(NAMESPACE, "web"))
    version = _stack(emulator, naming.version_stack(NAMESPACE, "web", "v1"))
    assert cluster["Description"] == "ECS cluster of the dev environment (stacker_ecs)"
    outputs = contract.outputs_of(version)
    assert outputs["Version"] == "v1"
    assert outputs["Url"] == "https://v1.web.dev.example.com"
    app_outputs = contract.outputs_of(app)
    ecs = emulator.session.client("ecs")
    assert ecs.describe_clusters(clusters=[app_outputs["ClusterName"]])["clusters"][0]["status"] == "ACTIVE"
    service = ecs.describe_services(cluster=app_outputs["ClusterName"], services=["web_v1"])["services"][0]
    assert service["desiredCount"] == 0  # a new version starts at 0 tasks; verify_health starts them
    elbv2 = emulator.session.client("elbv2")
    listener = elbv2.describe_listeners(ListenerArns=[app_outputs["ListenerArn"]])["Listeners"][0]
    assert listener["Port"] == 443
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "503"
    rules = elbv2.describe_rules(ListenerArn=app_outputs["ListenerArn"])["Rules"]
    hosts = [c["HostHeaderConfig"]["Values"] for r in rules for c in r["Conditions"] if c["Field"] == "host-header"]
    assert ["v1.web.dev.example.com"] in hosts  # the preview host; the live host's rule carries the test header
    headers = [c["HttpHeaderConfig"] for r in rules for c in r["Conditions"] if c["Field"] == "http-header"]
    assert {"HttpHeaderName": naming.TEST_HEADER, "Values": ["v1"]} in headers
    assert elbv2.describe_target_groups(TargetGroupArns=[outputs["TargetGroupArn"]])["TargetGroups"]
    # and stacker info prints the outputs
    info = emulator.stacker(*_web("v1"), command="info")
    assert info.returncode == 0
    assert "Url: https://v1.web.dev.example.com" in info.stderr + info.stdout


def test_stacker_diff_and_destroy_run_on_the_deployed_example(emulator):
    assert emulator.stacker().returncode == 0
    assert emulator.stacker(*_web("v1"), extra=PIPELINE).returncode == 0
    # diff renders every blueprint again (lookups included) and compares with the deployed stacks
    diff = emulator.stacker(*_web("v1"), command="diff")
    assert diff.returncode == 0, diff.stderr
    # a changed stack (Modify entries) and a new one (a "create" change set) diff too, leaving nothing behind
    changed = emulator.stacker("alb_scheme=internal", command="diff")
    assert changed.returncode == 0, changed.stderr
    assert "Traceback" not in changed.stderr
    new = emulator.stacker(*_web("v2"), command="diff")
    assert new.returncode == 0, new.stderr
    summaries = emulator.session.client("cloudformation").list_stacks()["StackSummaries"]
    assert [s["StackName"] for s in summaries if s["StackStatus"] == "REVIEW_IN_PROGRESS"] == []
    # a plain destroy would leave v1 behind (it names no version): refused in one line before anything is deleted
    before = {s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]}
    plain = emulator.stacker(command="destroy", extra=["--force"])
    assert plain.returncode == 1
    assert "destroy of ecs-dev refused: web: its versions v1 would be left behind" in plain.stderr
    assert "teardown" in plain.stderr
    assert "Traceback" not in plain.stderr
    assert {s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]} == before
    # destroy naming the version removes the stacks the config names, the version first (nothing is live)
    destroy = emulator.stacker(*_web("v1"), command="destroy", extra=["--force"])
    assert destroy.returncode == 0, destroy.stderr
    names = {s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]}
    assert not any(name.startswith("ecs-dev-") for name in names), names


def test_the_lifecycle_runs_end_to_end_through_stacker_build(emulator):
    # deploy, verify and cut over v1, then v2
    assert emulator.stacker().returncode == 0
    first = emulator.stacker(*_web("v1", "deploy=true", "verify=true", "cutover=true"), extra=PIPELINE)
    assert first.returncode == 0, first.stderr
    assert _live(emulator) == "v1"
    result = emulator.stacker(*_web("v2", "deploy=true", "verify=true", "cutover=true"), extra=PIPELINE)
    assert result.returncode == 0, result.stderr
    assert _live(emulator) == "v2"
    # roll back: v1 again, v2 recorded as previous
    back = emulator.stacker("app=web", "rollback=true", extra=PIPELINE)
    assert back.returncode == 0, back.stderr
    state = read_listener(AwsContext.create(emulator.session), NAMESPACE, "web")
    assert (state.live_version, state.previous_version) == ("v1", "v2")
    # a broken v3 fails verification with the cause, exit 1, and v1 stays live
    broken = emulator.stacker(*_web("v3", "deploy=true", "verify=true"), "health_timeout_seconds=60",
                              extra=PIPELINE)
    assert broken.returncode == 1
    assert "web/v3" in broken.stderr
    assert "CannotPullContainerError" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert _live(emulator) == "v1"
    # on the path AWS takes: the stack completed (at 0 tasks) and the hook that started its tasks explained them
    assert _stack(emulator, naming.version_stack(NAMESPACE, "web", "v3"))["StackStatus"] == "CREATE_COMPLETE"
    assert broken.stderr.count("verify_health failed: web/v3: ") == 1  # one message, the cause first
    # cleanup deletes v3, keeps live v1 and previous v2
    clean = emulator.stacker("app=web", "cleanup=true", "cleanup_keep_last=0", "cleanup_in_flight_hours=0",
                             extra=PIPELINE)
    assert clean.returncode == 0, clean.stderr
    names = {s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]}
    assert naming.version_stack(NAMESPACE, "web", "v3") not in names
    assert {naming.version_stack(NAMESPACE, "web", v) for v in ("v1", "v2")} <= names
    # and the status table says so
    status = emulator.stacker_ecs("status", "web", "--namespace", NAMESPACE)
    assert status.returncode == 0, status.stderr
    live_row = next(line for line in status.stdout.splitlines() if line.startswith("v1 "))
    assert "*" in live_row
    # a canary with a gate: the pipeline's build ends at the pause with exit status 4, and a promote from
    # another job finishes it
    paused = emulator.stacker(*_web("v4", "deploy=true", "verify=true", "cutover=true"),
                              "cutover_steps_percent=[10, 50]", "cutover_pause_after_percent=[10]", extra=PIPELINE)
    assert paused.returncode == 4, paused.stderr
    assert "cutover: canary of v4 at step 1/2 (10%)" in paused.stderr
    assert "this run ends here with exit status 4 (paused, not failed)" in paused.stderr
    assert "Traceback" not in paused.stderr
    promoted = emulator.stacker_ecs("promote", "web", "--namespace", NAMESPACE)
    assert promoted.returncode == 0, promoted.stderr
    assert _live(emulator) == "v4"


def test_bad_version_is_refused_at_render_time_before_the_version_stack_exists(emulator):
    # given the cluster and app exist
    setup = emulator.stacker()
    assert setup.returncode == 0, setup.stderr
    # when a version with a character not allowed in host names is deployed
    result = emulator.stacker(*_web("v2_x"), extra=PIPELINE)
    # then stacker fails before any change, naming the variable and the fix, and nothing was created for it
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    # (the build's own check, a pre_build hook, is the first to refuse it)
    assert "version: 'v2_x' has '_'" in result.stderr
    assert "use lower-case letters, digits and '-'" in result.stderr
    names = {s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]}
    assert not any("v2" in name for name in names)


def test_a_broken_version_deploys_again_without_extra_flags_once_its_image_is_pushed(emulator):
    assert emulator.stacker().returncode == 0
    first = emulator.stacker(*_web("v1", "deploy=true", "verify=true", "cutover=true"), extra=PIPELINE)
    assert first.returncode == 0, first.stderr
    broken = emulator.stacker(*_web("v3", "deploy=true", "verify=true"), "health_timeout_seconds=60", extra=PIPELINE)
    assert broken.returncode == 1
    assert "CannotPullContainerError" in broken.stderr
    assert "scaled web/v3 back to 0 tasks" in broken.stderr  # ECS would relaunch its tasks forever otherwise
    v3 = contract.outputs_of(_stack(emulator, naming.version_stack(NAMESPACE, "web", "v3")))
    assert emulator.session.client("ecs").describe_services(
        cluster=v3["ClusterName"], services=[naming.service_name("web", "v3")])["services"][0]["desiredCount"] == 0
    # when the missing image is pushed and the same pipeline runs again
    emulator.agent.broken.discard(naming.service_name("web", "v3"))
    again = emulator.stacker(*_web("v3", "deploy=true", "verify=true"), "health_timeout_seconds=60", extra=PIPELINE)
    # then it passes and v3 runs at v1's size, beside live v1
    assert again.returncode == 0, again.stderr
    outputs = contract.outputs_of(_stack(emulator, naming.version_stack(NAMESPACE, "web", "v3")))
    assert emulator.session.client("ecs").describe_services(
        cluster=outputs["ClusterName"], services=[naming.service_name("web", "v3")])["services"][0]["desiredCount"] == 1
    assert _live(emulator) == "v1"


def test_rerunning_a_pipeline_updates_no_version_stack(emulator):
    # v1 deployed, verified and live; v2 deployed and verified beside it, not live
    assert emulator.stacker().returncode == 0
    release = _web("v1", "deploy=true", "verify=true", "cutover=true")
    first = emulator.stacker(*release, extra=PIPELINE)
    assert first.returncode == 0, first.stderr
    idle = _web("v2", "deploy=true", "verify=true")
    assert emulator.stacker(*idle, extra=PIPELINE).returncode == 0

    def rerun() -> None:
        for settings in (release, idle):
            again = emulator.stacker(*settings, extra=PIPELINE)
            assert again.returncode == 0, again.stderr
            assert "nochange" in again.stderr, again.stderr

    # when both pipelines run again, exactly as before: neither stack gets an update, neither service a new count
    reruns_change_nothing(emulator.session, ("v1", "v2"), rerun)
    assert _live(emulator) == "v1"
