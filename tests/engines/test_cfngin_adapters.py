"""The CFNgin adapters: blueprint refusals, hooks and lookups on moto, and persistent_graph_key refused."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from runway.config import CfnginConfig
from runway.context import CfnginContext

from emulator.clock import FakeTime
from stacker_ecs.cfngin import hooks
from stacker_ecs.cfngin.lookups import LiveDesiredCountLookup, LiveVersionLookup, RulePriorityLookup
from stacker_ecs.core.errors import AwsStateError, ConfigError
from tests.blueprints.test_blueprints_render import CLUSTER_VARIABLES, VERSION_VARIABLES
from tests.core.ops.conftest import APP, REGION, ReadsOfOneWorld, World
from tests.engines.render_support import cfngin_stack

GRAPH = {"persistent_graph_key": "ecs", "cfngin_bucket": "ecs-templates"}


@pytest.fixture
def cfngin_context() -> CfnginContext:
    """A CFNgin context of namespace ``ecs-dev`` with no stacks."""
    return CfnginContext(config=CfnginConfig.parse_obj({"namespace": "ecs-dev", "cfngin_bucket": ""}))


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the error messages the CFNgin hooks logged."""
    return [r.getMessage() for r in caplog.records
            if r.name == "stacker_ecs.cfngin.hooks" and r.levelno >= logging.ERROR]


def test_blueprint_refuses_persistent_graph_key_naming_the_danger_and_the_fix():
    stack = cfngin_stack("cluster", "cluster", CLUSTER_VARIABLES, **GRAPH)

    with pytest.raises(ConfigError) as caught:
        stack.blueprint.render_template()

    message = str(caught.value)
    assert message.startswith("stack 'cluster' (Cluster blueprint): persistent_graph_key: 'ecs' is set")
    assert "even while it is live" in message
    assert "Remove persistent_graph_key" in message


def test_blueprint_unknown_variable_is_refused_naming_it():
    with pytest.raises(ConfigError, match="Capacityy: unknown variable; check the spelling"):
        cfngin_stack("cluster", "cluster", {**CLUSTER_VARIABLES, "Capacityy": "ec2"})


def test_blueprint_stack_named_otherwise_is_refused_with_the_name_to_use():
    stack = cfngin_stack("version", "web-v1", VERSION_VARIABLES)

    with pytest.raises(ConfigError, match="find this stack as 'ecs-dev-app-web-V-v1'; name the stack 'app-web-V-v1'"):
        stack.blueprint.render_template()


def test_cutover_hook_makes_the_version_live_and_returns_the_result(live_world: World, cfngin_context, caplog):
    live_world.set_desired_count("v2", 2)
    live_world.sync()

    result = hooks.cutover(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web",
                           version="v2", timeout_seconds=1)

    assert (result["version"], result["previous"], result["changed"]) == ("v2", "v1", True)
    assert live_world.live_version() == "v2"
    assert errors_logged(caplog) == []


def test_a_cutover_that_pauses_ends_the_deploy_with_exit_status_4(live_world: World, cfngin_context):
    live_world.set_desired_count("v2", 2)
    live_world.sync()

    with pytest.raises(SystemExit) as ended:
        hooks.cutover(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web", version="v2",
                      timeout_seconds=1, steps_percent=[10, 50], bake_seconds=0, pause_after_percent=[10])

    assert ended.value.code == 4
    assert live_world.forward() == {live_world.target_group("v2"): 10, live_world.target_group("v1"): 90}


def test_failed_hook_returns_false_and_logs_one_message(live_world: World, cfngin_context, caplog):
    result = hooks.cutover(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web",
                           version="v9", timeout_seconds=1)

    assert result is False
    assert errors_logged(caplog) == [
        "cutover failed: web/v9: unknown version: the listener has no rule for v9 (versions: v1, v2); deploy it "
        "first, or check the spelling"]
    assert live_world.live_version() == "v1"


def test_hook_waits_on_the_clock_it_is_given(live_world: World, cfngin_context):
    live_world.deploy_version("v4")  # the ECS agent starts its task only when fake time passes
    fake_time = FakeTime(live_world.agent, agent_after_seconds=5)

    result = hooks.verify_health(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web",
                                 version="v4", clock=fake_time.clock)

    assert result["healthy"] == 1
    assert fake_time.waited >= 5


def test_hook_refuses_a_clock_given_as_a_yaml_argument(cfngin_context, adapter_calls, caplog):
    result = hooks.cleanup(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web", clock="fast")

    assert result is False
    assert errors_logged(caplog) == [
        "cleanup failed: hook stacker_ecs.cfngin.hooks.cleanup args: clock: not an argument of this hook; remove it"]
    assert adapter_calls.total == 0


def test_lookup_refuses_persistent_graph_key():
    context = CfnginContext(config=CfnginConfig.parse_obj({"namespace": "ecs-dev", **GRAPH}))

    with pytest.raises(ConfigError, match="persistent_graph_key"):
        LiveVersionLookup.handle(APP, context, provider=SimpleNamespace(region=REGION))


def test_lookup_failure_names_the_fix(world: World, cfngin_context):
    world.deploy_version("v1")

    with pytest.raises(AwsStateError, match="no version is live yet"):
        LiveVersionLookup.handle("web", cfngin_context, provider=SimpleNamespace(region=REGION))


class TestReadsOfOneLiveWorld(ReadsOfOneWorld):
    """Hooks and lookups that only read, or refuse before any change: one live world for the class (``v1``
    live, ``v2`` beside it)."""

    def test_hook_argument_typo_is_refused_before_any_aws_call(self, live_world: World, cfngin_context, adapter_calls,
                                                               caplog):
        adapter_calls.reset()

        result = hooks.rollback(context=cfngin_context, provider=SimpleNamespace(region=REGION), app="web",
                                versoin="v1")

        assert result is False
        (message,) = errors_logged(caplog)
        assert message.startswith("rollback failed: hook stacker_ecs.cfngin.hooks.rollback args: versoin: unknown name")
        assert adapter_calls.total == 0

    def test_hook_refuses_persistent_graph_key_and_changes_nothing(self, live_world: World, caplog):
        context = CfnginContext(config=CfnginConfig.parse_obj({"namespace": "ecs-dev", **GRAPH}))

        result = hooks.rollback(context=context, provider=SimpleNamespace(region=REGION), app="web")

        assert result is False
        assert "persistent_graph_key: 'ecs' is set" in errors_logged(caplog)[0]
        assert live_world.live_version() == "v1"

    def test_lookups_read_the_live_state_under_the_context_namespace(self, live_world: World, cfngin_context):
        provider = SimpleNamespace(region=REGION)

        assert LiveVersionLookup.handle("web", cfngin_context, provider=provider) == "v1"
        assert LiveDesiredCountLookup.handle("web", cfngin_context, provider=provider) == "2"
        assert RulePriorityLookup.handle("web::version=v9", cfngin_context, provider=provider).isdigit()
