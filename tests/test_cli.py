"""The stacker-ecs CLI: exit 0 when done, 1 with one message on stderr when refused or failed, 2 for bad arguments."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import boto3
import pytest

from emulator.calls import EveryCall
from stacker_ecs.cli import build_parser, main
from stacker_ecs.core.ops.cleanup import CleanupArgs
from stacker_ecs.core.ops.cutover import CutoverArgs
from stacker_ecs.core.ops.rollback import RollbackArgs
from stacker_ecs.core.ops.teardown import TeardownArgs, TeardownEnvironmentArgs
from stacker_ecs.core.ops.verify import VerifyHealthArgs
from tests.core.ops.conftest import ALARM, FakeTime, ReadsOfOneWorld, World, build_world, create_alarm, deploy_live

NS = ["--namespace", "ecs-dev"]


@pytest.fixture
def world(session: boto3.Session) -> World:
    """``v1`` live at 2 tasks, ``v2`` beside it at 2 healthy tasks (the CLI waits on the real clock: never needed)."""
    world = build_world(session, broken={"v3"})
    deploy_live(world, FakeTime(world.agent), new_count=2)
    return world


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``stacker-ecs argv``; return the exit status, stdout and stderr."""
    capsys.readouterr()  # forget what building the world printed
    code = main(["--region", "us-east-1", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cutover_prints_the_result_as_json_and_exits_0(world: World, capsys):
    code, out, err = run(capsys, "cutover", "web", "v2", *NS, "--timeout-seconds", "1")

    assert code == 0, err
    assert json.loads(out)["message"] == "v2 is live (was v1)"
    assert world.live_version() == "v2"


def test_stepped_cutover_takes_its_steps_from_the_command_line(world: World, capsys):
    code, out, err = run(capsys, "cutover", "web", "v2", *NS, "--steps-percent", "10", "50", "--bake-seconds", "0",
                         "--timeout-seconds", "1")

    assert code == 0, err
    assert json.loads(out)["changed"] is True
    assert "web/v2: 10% of traffic" in err
    assert "web/v2: 50% of traffic" in err
    assert world.live_version() == "v2"


def test_a_canary_an_alarm_ends_exits_3_with_all_traffic_back_and_one_json_document(world: World, capsys):
    cloudwatch = create_alarm(world)

    class AlarmDuringTheBake:
        """ECS as usual; the alarm goes off at the first wait once the first step is written."""

        def sync(self) -> None:
            world.agent.sync()
            if len(world.forward()) > 1:
                cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    capsys.readouterr()
    code = main(["--region", "us-east-1", "--output", "json", "cutover", "web", "v2", *NS, "--steps-percent", "10",
                 "--bake-seconds", "60", "--alarm-name", ALARM], clock=FakeTime(AlarmDuringTheBake()).clock)
    out, err = capsys.readouterr()

    assert code == 3, err
    document = json.loads(out)
    assert (document["ok"], document["exit_status"], document["error"]["kind"]) == (False, 3, "CanaryRolledBackError")
    assert "alarm web-5xx went off with 10% of traffic on v2" in document["error"]["message"]
    assert world.live_version() == "v1"


def test_a_paused_canary_exits_4_and_its_json_document_says_4(world: World, capsys):
    capsys.readouterr()
    code = main(["--region", "us-east-1", "--output", "json", "cutover", "web", "v2", *NS, "--steps-percent", "10",
                 "50", "--bake-seconds", "60", "--pause-after-percent", "10"], clock=FakeTime(world.agent).clock)
    out, err = capsys.readouterr()

    assert code == 4, err
    document = json.loads(out)
    assert (document["ok"], document["exit_status"], document["result"]["paused"]) == (True, 4, True)
    assert len(world.forward()) == 2, "it holds its share: both versions take traffic"


@pytest.mark.parametrize("argv", [["status", "web", *NS], ["rollback", "web", *NS, "--dry-run"],
                                  ["cutover", "web", "v9", *NS]], ids=["status", "rollback", "refused"])
def test_every_command_prints_one_json_document_on_stdout_with_output_json(world: World, capsys, argv):
    code, out, _ = run(capsys, "--output", "json", *argv)

    document = json.loads(out)  # one document, nothing else on stdout
    assert document["command"] == argv[0]
    assert document["ok"] is (code == 0)
    if argv[0] == "status":
        assert [row["version"] for row in document["result"]["rows"]] == ["v2", "v1"]
        assert document["result"]["rows"][1]["traffic_percent"] == 100


def test_status_json_carries_protection_per_version_and_the_warnings_and_so_does_status_all(world: World, capsys):
    world.session.client("cloudformation").update_termination_protection(
        StackName="ecs-dev-app-web-V-v1", EnableTerminationProtection=False)  # by hand

    code, out, _ = run(capsys, "--output", "json", "status", "web", *NS)

    result = json.loads(out)["result"]
    assert code == 0
    assert [(row["version"], row["protected"]) for row in result["rows"]] == [("v2", False), ("v1", False)]
    assert result["warnings"][0].startswith("v1 is live (100% of the traffic) but its stack ecs-dev-app-web-V-v1 "
                                            "has no termination protection")
    assert result["unowned_target_groups"] == []
    code, out, _ = run(capsys, "--output", "json", "status", "--all", *NS)
    (app,) = json.loads(out)["result"]["apps"]
    assert (app["app"], app["protected"]) == ("web", {"v1": False})
    assert app["warnings"] == ["web: v1 is reached by the live rule but its stack has no termination protection; "
                               "`stacker-ecs status web --namespace ecs-dev` says how to switch it on"]
    code, out, _ = run(capsys, "status", "web", *NS)
    assert out.splitlines()[-1].startswith("warning: v1 is live (100% of the traffic) but its stack")


def test_a_command_imports_only_its_own_operation():
    probe = ("import sys; from stacker_ecs.cli import build_parser; build_parser('status'); "
             "print(sorted(m for m in sys.modules if m.startswith('stacker_ecs.core.ops.')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout

    assert "stacker_ecs.core.ops.status" in loaded
    assert "stacker_ecs.core.ops.cutover" not in loaded
    assert "stacker_ecs.core.ops.teardown" not in loaded


def test_cutover_dry_run_exits_0_and_changes_nothing(world: World, capsys):
    code, out, _ = run(capsys, "cutover", "web", "v2", *NS, "--dry-run")

    assert code == 0
    assert json.loads(out)["message"] == "dry run: would make v2 live"
    assert world.live_version() == "v1"


def test_cutover_to_an_unknown_version_exits_1_with_one_message_on_stderr(world: World, capsys):
    code, out, err = run(capsys, "cutover", "web", "v9", *NS)

    assert (code, out) == (1, "")
    assert err == ("stacker-ecs cutover: web/v9: unknown version: the listener has no rule for v9 (versions: v1, "
                   "v2); deploy it first, or check the spelling\n")


def test_cutover_to_a_broken_version_exits_1_and_v1_stays_live(world: World, capsys):
    world.deploy_version("v3")
    world.sync()  # its tasks stop with CannotPullContainerError

    code, _, err = run(capsys, "cutover", "web", "v3", *NS, "--timeout-seconds", "1")

    assert code == 1
    assert "\nstacker-ecs cutover: web/v3: cutover refused, v1 stays live: 3 tasks stopped" in err  # after progress
    assert "CannotPullContainerError" in err
    assert world.live_version() == "v1"


def test_cutover_of_an_unknown_app_exits_1_naming_the_stack(world: World, capsys):
    code, _, err = run(capsys, "cutover", "api", "v1", *NS)

    assert code == 1
    assert "no application stack 'ecs-dev-app-api'" in err


def test_rollback_exits_0_after_a_cutover_and_1_when_nothing_is_recorded(world: World, capsys):
    code, _, err = run(capsys, "rollback", "web", *NS)
    assert code == 1
    assert err.startswith("stacker-ecs rollback: web: cannot roll back: no previous live version is recorded")

    assert run(capsys, "cutover", "web", "v2", *NS, "--timeout-seconds", "1")[0] == 0
    code, out, err = run(capsys, "rollback", "web", *NS, "--timeout-seconds", "1")

    assert code == 0, err
    assert json.loads(out)["message"] == "v1 is live (was v2)"
    assert world.live_version() == "v1"


def test_cleanup_passes_its_options_and_exits_0(world: World, capsys):
    for version in ("release-1", "v4", "v5"):
        world.deploy_version(version)

    code, out, err = run(capsys, "cleanup", "web", *NS, "--keep-last", "1", "--exclude", "release-*",
                         "--exclude", "hotfix-*", "--in-flight-hours", "0", "--dry-run")

    assert code == 0, err
    result = json.loads(out)
    assert (result["dry_run"], sorted(result["deleted"])) == (True, ["v2", "v4"])
    assert result["kept"] == {"v1": "live", "release-1": "excluded by 'release-*'",
                              "v5": "one of the 1 newest (keep_last)"}
    assert world.version_stacks() == {"v1", "v2", "v4", "v5", "release-1"}


def test_cleanup_no_keep_previous_keeps_the_previous_version_cutover_protected(world: World, capsys):
    assert run(capsys, "cutover", "web", "v2", *NS, "--timeout-seconds", "1")[0] == 0

    # v1 was created a second or two before this cutover, within the resolution of AWS's clock (aws_clock.py,
    # 1.5 s): the in-flight rule could keep it as created after v2 went live; this test is about protection
    code, out, err = run(capsys, "cleanup", "web", *NS, "--no-keep-previous", "--in-flight-hours", "0")

    assert code == 0, err
    assert json.loads(out)["deleted"] == []
    assert json.loads(out)["kept"]["v1"].startswith("termination protection is on")
    assert world.version_stacks() == {"v1", "v2"}


def test_teardown_of_a_live_app_exits_1_and_a_forced_dry_run_lists_what_would_go(world: World, capsys):
    code, out, err = run(capsys, "teardown", "web", *NS)

    assert code == 1
    assert err == ("stacker-ecs teardown: web: v1 is live; tearing the app down takes its site offline. "
                   "Pass force if that is what you want: teardown_force=true in the example configs (-e, --var or "
                   "TEARDOWN_FORCE), --force with stacker-ecs teardown\n")
    code, out, err = run(capsys, "teardown", "web", *NS, "--force", "--dry-run")

    assert code == 0, err
    assert json.loads(out)["versions"] == ["v1", "v2"]
    assert world.version_stacks() == {"v1", "v2"}
    assert world.live_version() == "v1"


@pytest.mark.parametrize("argv", [
    ["status", "web"],
    ["cutover", "web", *NS],
    ["deploy", "web", *NS],
    ["cleanup", "web", *NS, "--keep-lats", "2"],
    [],
], ids=["missing-namespace", "missing-version", "unknown-command", "unknown-option", "no-command"])
def test_bad_arguments_exit_2_with_usage(session, capsys, argv):
    with pytest.raises(SystemExit) as caught:
        main(argv)

    assert caught.value.code == 2
    assert "usage: stacker-ecs" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "model"), [
    ("verify", VerifyHealthArgs), ("cutover", CutoverArgs), ("rollback", RollbackArgs), ("cleanup", CleanupArgs),
    ("teardown", TeardownArgs), ("teardown-environment", TeardownEnvironmentArgs)])
def test_every_hook_argument_has_a_flag_and_no_flag_restates_a_default(command, model):
    parser = build_parser()
    (sub,) = [a for a in parser._subparsers._group_actions if a.dest == "command"]
    actions = {a.dest: a for a in sub.choices[command]._actions if a.dest != "help"}

    assert set(actions) == set(model.model_fields)
    assert all(a.default in (None, argparse.SUPPRESS) for a in actions.values())


def test_a_bug_is_not_turned_into_a_refusal_it_shows_its_traceback(world: World, capsys):
    with pytest.raises(AttributeError, match="'str' object has no attribute 'now'"):
        main(["--region", "us-east-1", "cutover", "web", "v2", *NS], clock="not a clock")  # type: ignore[arg-type]


class TestCommandsThatOnlyRead(ReadsOfOneWorld):
    """Commands that only read, or are refused before any AWS call: one world for the class (``v1`` live at 2
    tasks, ``v2`` beside it at 2)."""

    LIVE = {"new_count": 2}

    def test_status_prints_the_table_and_exits_0(self, world: World, capsys):
        code, out, err = run(capsys, "status", "web", *NS)

        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split()[:2] == ["VERSION", "STACK"]
        assert lines[2].split() == ["v1", "ecs-dev-app-web-V-v1", "CREATE_COMPLETE", "2/2", "2", "*", "100%", "yes",
                                    "https://v1.web.dev.example.com"]

    def test_status_of_a_malformed_app_name_exits_2_saying_what_to_fix(self, world: World, capsys):
        code, out, err = run(capsys, "status", "Web", *NS)

        assert (code, out) == (2, "")
        assert err.startswith("stacker-ecs status: app: 'Web' has 'W', which is not allowed in stack and host names")

    def test_cutover_with_a_malformed_version_exits_2_before_any_change(self, world: World, capsys):
        code, _, err = run(capsys, "cutover", "web", "v2_1", *NS)

        assert code == 2
        assert "version: 'v2_1' has '_', which is not allowed in stack and host names" in err
        assert world.live_version() == "v1"

    def test_bad_argument_values_are_reported_with_the_command_named_once(self, world: World, capsys):
        code, _, err = run(capsys, "cutover", "web", "v2_1", *NS)

        assert code == 2
        assert err.startswith("stacker-ecs cutover: version: 'v2_1' has '_'")

    @pytest.mark.parametrize(("argv", "message"), [
        (["cleanup", "web", *NS, "--keep-last", "two"],
         "keep_last: 'two' is not accepted; it should be a valid integer"),
        (["cleanup", "web", *NS, "--keep-last", "-1"], "keep_last: '-1' is not accepted; it should be greater"),
        (["cutover", "web", "v2", *NS, "--timeout-seconds", "soon"], "timeout_seconds: 'soon' is not accepted"),
        (["cutover", "web", "v2", *NS, "--steps-percent", "50", "10"], "steps_percent: [50, 10] is not a rising list"),
        (["verify", "web", "v2", *NS, "--expected-count", "0"], "expected_count: '0' is not accepted"),
    ], ids=["keep-last-not-a-number", "keep-last-negative", "timeout-not-a-number", "steps-not-rising",
            "expected-count-zero"])
    def test_bad_argument_values_exit_2_with_the_models_message_before_any_aws_call(self, world: World, capsys, argv,
                                                                                     message):
        with EveryCall() as calls:
            code, out, err = run(capsys, *argv)

        assert (code, out) == (2, "")
        assert err.startswith(f"stacker-ecs {argv[0]}: {message}")
        assert calls.total == 0

    def test_teardown_environment_refuses_while_an_app_is_live(self, world: World, capsys):
        code, _, err = run(capsys, "teardown-environment", *NS)

        assert code == 1
        assert "environment ecs-dev: apps still live: web (v1)" in err
        assert world.live_version() == "v1"

    def test_a_verify_with_every_default_takes_the_models_defaults(self, world: World, capsys):
        code, out, err = run(capsys, "verify", "web", "v2", *NS)

        assert code == 0, err
        assert json.loads(out)["expected"] == 2  # the service's desired count, the model's default
