"""The stacker hooks: parse args, run one operation, return a dict; on failure log one message and return False."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from stacker.config import Config, Hook
from stacker.context import Context
from stacker.hooks.utils import handle_hooks

from emulator.clock import FakeTime
from stacker_ecs import hooks
from stacker_ecs.core.ops.cutover import CutoverArgs
from tests.core.ops.conftest import APP, World

HOOK_LOGGER = "stacker_ecs.hooks"


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the error messages the hooks logged."""
    return [r.getMessage() for r in caplog.records if r.name == HOOK_LOGGER and r.levelno >= logging.ERROR]


@pytest.fixture
def v2_ready(live_world: World) -> World:
    """``v1`` live at 2; ``v2`` already at 2 healthy tasks, so no hook has to wait."""
    live_world.set_desired_count("v2", 2)
    live_world.sync()
    return live_world


def test_cutover_hook_returns_the_operations_result_as_a_dict(v2_ready: World, context, provider, caplog):
    result = hooks.cutover(provider=provider, context=context, app="web", version="v2", timeout_seconds=1)

    assert result == {"app": APP, "version": "v2", "previous": "v1", "changed": True, "dry_run": False,
                      "desired_count": 2, "healthy": 2, "message": "v2 is live (was v1)",
                      "protected": ["v1", "v2"], "unprotected": []}
    assert v2_ready.live_version() == "v2"
    assert errors_logged(caplog) == []


def test_a_cutover_that_pauses_ends_stackers_run_with_exit_status_4_saying_so(v2_ready: World, context, provider,
                                                                               caplog):
    with pytest.raises(SystemExit) as ended:
        hooks.cutover(provider=provider, context=context, app="web", version="v2", timeout_seconds=1,
                      steps_percent=[10, 50], bake_seconds=0, pause_after_percent=[10])

    assert ended.value.code == 4
    (line,) = [r.getMessage() for r in caplog.records if "this run ends here" in r.getMessage()]
    assert line.startswith("cutover: canary of v2 at step 1/2 (10%)")
    assert "promote: `stacker-ecs promote web --namespace ecs-dev`" in line
    assert line.endswith("this run ends here with exit status 4 (paused, not failed)")
    assert errors_logged(caplog) == []
    # v2 holds its 10 %, recorded; promote continues it
    assert v2_ready.forward() == {v2_ready.target_group("v2"): 10, v2_ready.target_group("v1"): 90}


def test_a_hooks_own_namespace_wins_over_the_configs(v2_ready: World, provider, caplog):
    elsewhere = SimpleNamespace(namespace="ecs-prod")  # the config's namespace; the hook names ecs-dev's app

    result = hooks.cutover(provider=provider, context=elsewhere, app="web", version="v2", timeout_seconds=1,
                           namespace="ecs-dev")

    assert errors_logged(caplog) == []
    assert result, "the hook failed"
    assert result["message"] == "v2 is live (was v1)"
    assert v2_ready.live_version() == "v2"


def test_verify_health_hook_returns_a_summary(v2_ready: World, context, provider):
    result = hooks.verify_health(provider=provider, context=context, app="web", version="v2", timeout_seconds=1)

    assert (result["app"], result["version"], result["healthy"], result["expected"]) == (APP, "v2", 2, 2)


def test_rollback_hook_returns_a_dict(v2_ready: World, context, provider):
    hooks.cutover(provider=provider, context=context, app="web", version="v2", timeout_seconds=1)

    result = hooks.rollback(provider=provider, context=context, app="web", timeout_seconds=1)

    assert (result["version"], result["previous"], result["changed"]) == ("v1", "v2", True)
    assert v2_ready.live_version() == "v1"


def test_cleanup_hook_returns_what_it_deleted_and_kept(v2_ready: World, context, provider):
    v2_ready.deploy_version("v4")

    result = hooks.cleanup(provider=provider, context=context, app="web", keep_last=1, in_flight_hours=0)

    assert result["deleted"] == ["v2"]
    assert result["kept"] == {"v1": "live", "v4": "one of the 1 newest (keep_last)"}
    assert v2_ready.version_stacks() == {"v1", "v4"}


def test_failed_cutover_returns_false_and_logs_one_error_naming_app_version_and_cause(live_world: World, context,
                                                                                      provider, caplog):
    result = hooks.cutover(provider=provider, context=context, app="web", version="v9", timeout_seconds=1)

    assert result is False
    assert errors_logged(caplog) == [
        "cutover failed: web/v9: unknown version: the listener has no rule for v9 (versions: v1, v2); deploy it "
        "first, or check the spelling"]
    assert live_world.live_version() == "v1"


def test_failed_verify_health_logs_one_error_with_the_cause_first(live_world: World, context, provider, caplog):
    live_world.deploy_version("v3", 0)  # a new version starts at 0 tasks; the hook starts them

    with live_world.agent.running(interval_seconds=0.05):  # ECS: its tasks stop with CannotPullContainerError
        result = hooks.verify_health(provider=provider, context=context, app="web", version="v3", start_count=1,
                                     timeout_seconds=30)

    assert result is False
    (message,) = errors_logged(caplog)
    assert message.splitlines()[0].startswith("verify_health failed: web/v3: 3 tasks stopped before becoming "
                                              "healthy: CannotPullContainerError")


def test_argument_typo_returns_false_with_a_message_listing_known_args(context, provider, caplog, adapter_calls):
    result = hooks.cutover(provider=provider, context=context, app="web", versoin="v2")

    assert result is False
    (message,) = errors_logged(caplog)
    assert message.startswith("cutover failed: hook stacker_ecs.hooks.cutover args: 2 problems")
    known = ", ".join(sorted(CutoverArgs.model_fields))
    assert {"alarm_names", "steps_percent", "timeout_seconds", "version"} <= set(CutoverArgs.model_fields)
    assert f"versoin: unknown name; check the spelling or remove it (known: {known})" in message
    assert "version: required but not given; set it" in message
    assert adapter_calls.total == 0


@pytest.mark.parametrize(("hook", "kwargs", "problem"), [
    (hooks.cutover, {"app": "web", "version": "V2"}, "version: 'V2' has 'V'"),
    (hooks.verify_health, {"app": "web", "version": "v2", "timeout_seconds": 0}, "timeout_seconds: 0 is not accepted"),
    (hooks.rollback, {"app": "Web"}, "app: 'Web' has 'W'"),
    (hooks.cleanup, {"app": "web", "keep_last": -1}, "keep_last: -1 is not accepted"),
    (hooks.cleanup, {"app": "web", "exclude": "release-*"}, "exclude: 'release-*' is not accepted"),
], ids=["malformed-version", "zero-timeout", "malformed-app", "negative-keep-last", "exclude-not-a-list"])
def test_bad_args_are_refused_before_any_aws_call(context, provider, caplog, adapter_calls, hook, kwargs, problem):
    assert hook(provider=provider, context=context, **kwargs) is False

    (message,) = errors_logged(caplog)
    assert problem in message
    assert adapter_calls.total == 0


@pytest.mark.parametrize(("path", "args", "check"), [
    ("verify_health", {"version": "v2"}, lambda data: data["healthy"] == 2),
    ("cutover", {"version": "v2"}, lambda data: data["message"] == "v2 is live (was v1)"),
    ("cleanup", {"dry_run": True, "in_flight_hours": 0},
     lambda data: data["kept"] == {"v1": "live"} and data["deleted"] == ["v2"]),
], ids=["verify_health", "cutover", "cleanup"])
def test_stacker_runs_each_hook_from_its_config_path_and_stores_its_result(v2_ready: World, provider, path, args,
                                                                            check, fake_time):
    context = Context(config=Config({"namespace": "ecs-dev"}))
    hook = Hook({"path": f"stacker_ecs.hooks.{path}", "required": True, "data_key": "result",
                 "args": {"app": "web", **args, "clock": fake_time.clock}})

    handle_hooks("post_build", [hook], provider, context)

    assert check(context.hook_data["result"])


def test_a_hook_waits_on_the_clock_it_is_given(live_world: World, context, provider):
    live_world.deploy_version("v4")  # the ECS agent starts its task only when fake time passes
    fake_time = FakeTime(live_world.agent, agent_after_seconds=5)

    result = hooks.verify_health(provider=provider, context=context, app="web", version="v4", clock=fake_time.clock)

    assert result["healthy"] == 1
    assert fake_time.waited >= 5
    assert result["waited_seconds"] == round(fake_time.waited, 1)


def test_a_clock_given_as_a_yaml_argument_is_refused(context, provider, caplog, adapter_calls):
    assert hooks.cleanup(provider=provider, context=context, app="web", clock="fast") is False

    assert errors_logged(caplog) == [
        "cleanup failed: hook stacker_ecs.hooks.cleanup args: clock: not an argument of this hook; remove it"]
    assert adapter_calls.total == 0


def test_destroy_is_refused_while_an_app_it_deletes_is_live_naming_the_teardown(live_world: World, provider, caplog):
    context = Context(config=Config({"namespace": "ecs-dev", "stacks": [
        {"name": "cluster", "class_path": "stacker_ecs.blueprints.cluster.Cluster"},
        {"name": "app-web", "class_path": "stacker_ecs.blueprints.application.Application"}]}))

    assert hooks.check_destroy(provider=provider, context=context) is False

    (message,) = errors_logged(caplog)
    assert message.startswith("check_destroy failed: destroy of ecs-dev refused: web: v1 is live")
    assert "(stacker build ... -e app=<app> -e teardown=true [-e teardown_force=true] --targets pipeline)" in message
    assert live_world.live_version() == "v1"
