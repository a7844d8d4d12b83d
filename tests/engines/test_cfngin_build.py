"""CFNgin's check_build (the example config's pre_deploy hook), Version's Deployed and SettingsFile, teardown,
``ecs_deployed_version`` and the one-line refusal filters, on the config Runway loads."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from runway.cfngin.environment import parse_environment
from runway.config import CfnginConfig
from runway.context import CfnginContext

from emulator.world import ExampleWorld
from stacker_ecs import stacker_log
from stacker_ecs.cfngin import hooks
from stacker_ecs.cfngin.lookups import DeployedVersionLookup
from stacker_ecs.core.errors import ConfigError
from tests.blueprints.test_blueprints_render import VERSION_VARIABLES
from tests.core.ops.conftest import REGION, World
from tests.engines.render_support import cfngin_stack

ROOT = Path(__file__).resolve().parents[2]
RUNWAY_DEFAULTS = {"app": "none", "version": "none", "deploy": "false", "verify": "false", "cutover": "false",
                   "rollback": "false", "cleanup": "false", "teardown": "false", "teardown_force": "false",
                   "alarm_names": "[]"}
"""What config/runway.yml passes when the environment names nothing (a plain deploy)."""
PROVIDER = SimpleNamespace(region=REGION)
ACCOUNT: dict[str, str] = {}
"""The seeded account's values for dev.env (``account`` fixture): check_build reads the account."""


@pytest.fixture
def account() -> Any:
    """An in-process account with the example's network, certificate, zone and cluster stack."""
    with mock_aws():
        example = ExampleWorld.create(boto3.Session(region_name=REGION))
        ACCOUNT.update(example.seeded.as_env())
        yield example
        ACCOUNT.clear()


@pytest.fixture(autouse=True)
def _in_the_module_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runway runs a CFNgin module in its directory: the config's relative paths start there."""
    monkeypatch.chdir(ROOT / "config" / "cfngin")


def load(**parameters: str) -> CfnginContext:
    """Load config/cfngin/ecs.yml with dev.env and ``parameters`` (as runway.yml passes them), as Runway does."""
    values = {**parse_environment((ROOT / "config/cfngin/dev.env").read_text()), **ACCOUNT, **RUNWAY_DEFAULTS,
              **parameters}
    config = CfnginConfig.parse_raw((ROOT / "config/cfngin/ecs.yml").read_text(), parameters=values,
                                    skip_package_sources=True)
    config.load()  # registers the lookups, as Runway does before it builds the stacks
    return CfnginContext(config=config, parameters=values)


def check(context: CfnginContext, caplog: pytest.LogCaptureFixture) -> tuple[Any, list[str]]:
    """Run the config's pre_deploy hook as CFNgin would; return its result and the errors it logged."""
    (hook,) = context.config.pre_deploy
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        result = hooks.check_build(context=context, provider=PROVIDER, **hook.args)
    return result, [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def deployed(context: CfnginContext) -> list[str]:
    """Return the stacks CFNgin will deploy (the enabled ones)."""
    return [stack.name for stack in context.stacks if stack.enabled]


# ---- check_build -------------------------------------------------------------------------------

def test_a_plain_deploy_passes_and_deploys_the_cluster_and_the_application_stacks_only(caplog, account):
    context = load()
    result, errors = check(context, caplog)
    assert (result, errors) == ({"app": None, "switches": []}, [])
    assert deployed(context) == ["cluster", "app-web", "app-web-admin"]


def test_an_app_pipeline_deploys_its_version_stack_and_no_other_stack(caplog, account):
    context = load(app="web-admin", version="42-b4c1e", deploy="true", verify="true", cutover="true")
    result, errors = check(context, caplog)
    assert errors == []
    assert result == {"app": "web-admin", "version": "42-b4c1e", "switches": ["deploy", "verify", "cutover"]}
    assert deployed(context) == ["app-web-admin-V-42-b4c1e"]


def test_an_unknown_alarm_of_a_stepped_cutover_is_refused_before_any_change(caplog, account):
    context = load(app="web", version="v2", deploy="true", cutover="true", cutover_steps_percent="[10]",
                   alarm_names="[web-5xx]")
    result, errors = check(context, caplog)
    assert result is False
    (message,) = errors
    assert message.startswith("check_build failed: runway deploy: alarm_names: 'web-5xx' not found in CloudWatch")


def test_a_rollback_pipeline_deploys_no_stack(caplog, account):
    context = load(app="web", rollback="true")
    result, _ = check(context, caplog)
    assert result["switches"] == ["rollback"]
    assert deployed(context) == []


def test_a_deploy_that_names_an_app_without_a_switch_deploys_no_stack(caplog, account):
    context = load(app="web")
    result, errors = check(context, caplog)
    assert (result["switches"], errors) == ([], [])
    assert deployed(context) == []


def test_an_app_not_in_the_config_is_refused_naming_the_apps_and_the_environment_variable(caplog):
    context = load(app="api", version="v1", deploy="true")
    result, errors = check(context, caplog)
    assert result is False
    assert errors == ["check_build failed: runway deploy: app: 'api' is not an app of this config (apps: web, "
                      "web-admin); pass APP=<app> with deploy, or add the app's stack to the config"]


def test_a_switch_that_needs_a_version_without_one_is_refused_naming_the_environment_variable(caplog):
    result, errors = check(load(app="web", cutover="true"), caplog)
    assert result is False
    assert "version: not given; pass VERSION=<version> with cutover" in errors[0]


def test_a_bad_argument_of_an_enabled_post_deploy_hook_is_refused(caplog):
    result, errors = check(load(app="web", version="v2", deploy="true", cutover="true",
                                health_timeout_seconds="-5"), caplog)
    assert result is False
    (message,) = errors
    assert message.startswith("check_build failed: runway deploy: hook "
                              "stacker_ecs.cfngin.hooks.cutover args: timeout_seconds: -5 is not accepted")


def test_a_bad_application_variable_is_refused_before_the_cluster_stack_changes(caplog):
    result, errors = check(load(alb_scheme="publik"), caplog)
    assert result is False
    assert "stack 'app-web-admin' (Application blueprint): Scheme: 'publik' is not accepted" in errors[0]


def test_a_bad_value_in_an_apps_settings_file_is_refused_before_its_version_stack_exists(caplog, tmp_path):
    settings = tmp_path / "version.yaml"
    settings.write_text("HealthCheckPath: health\n")
    context = load(app="web", version="v2", deploy="true")
    context.config.stacks[-1].variables["SettingsFile"] = str(settings)
    result, errors = check(context, caplog)
    assert result is False
    assert "stack 'app-web-V-v2' (Version blueprint): HealthCheckPath: 'health' does not start with '/'" in errors[0]
    assert len(deployed(context)) == 4  # nothing was disabled: the deploy stops here


def test_check_build_refuses_persistent_graph_key(caplog):
    context = load()
    context.config.persistent_graph_key = "ecs"
    result, errors = check(context, caplog)
    assert result is False
    assert "persistent_graph_key: 'ecs' is set" in errors[0]


# ---- the Version blueprint's Deployed and SettingsFile; ecs_deployed_version; teardown -------------

def _fingerprint(variables: dict[str, Any]) -> str:
    stack = cfngin_stack("version", "app-web-V-v1", variables)
    return json.loads(stack.blueprint.rendered)["Outputs"]["Fingerprint"]["Value"]


def test_a_changed_template_of_a_live_version_is_refused_naming_the_environment_variable():
    deployed_fingerprint = _fingerprint(VERSION_VARIABLES)
    changed = {**VERSION_VARIABLES, "HealthCheckPath": "/ready", "Deployed": f"live:{deployed_fingerprint}"}

    with pytest.raises(ConfigError) as caught:
        cfngin_stack("version", "app-web-V-v1", changed).blueprint.render_template()

    assert str(caught.value) == (
        "stack 'app-web-V-v1' (Version blueprint): web/v1 is live and this build would change its stack in place "
        "(its template differs from the deployed one); deploy the change as a new version (VERSION=<new>) and cut "
        "over to it")


def test_an_unchanged_live_version_renders_and_the_settings_file_wins_over_the_config(tmp_path):
    settings = tmp_path / "version.yaml"
    settings.write_text("HealthCheckPath: /ready\n")
    with_file = {**VERSION_VARIABLES, "SettingsFile": str(settings)}
    expected = _fingerprint({**VERSION_VARIABLES, "HealthCheckPath": "/ready"})

    stack = cfngin_stack("version", "app-web-V-v1", {**with_file, "Deployed": f"live:{expected}"})
    template = json.loads(stack.blueprint.rendered)

    assert template["Outputs"]["Fingerprint"]["Value"] == expected
    assert template["Resources"]["TargetGroup"]["Properties"]["HealthCheckPath"] == "/ready"


def test_the_deployed_version_lookup_names_the_role_of_a_version(live_world: World):
    context = load()
    assert DeployedVersionLookup.handle("web::version=v1", context, provider=PROVIDER).startswith("live:")
    assert DeployedVersionLookup.handle("web::version=v9", context, provider=PROVIDER) == "absent:"


def test_teardown_is_refused_while_live_and_forced_removes_the_app(live_world: World, caplog):
    context = load()
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        assert hooks.teardown(context=context, provider=PROVIDER, app="web") is False
    assert "web: v1 is live" in caplog.records[-1].getMessage()
    assert live_world.version_stacks()

    result = hooks.teardown(context=context, provider=PROVIDER, app="web", force=True)

    assert result is not False
    assert not any("-app-web" in name for name in live_world.stack_names())


# ---- one line per refusal -----------------------------------------------------------------------

class _LookupWrapperError(Exception):
    """Like Runway's FailedVariableLookup: the cause is an attribute."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("Could not resolve lookup")
        self.cause = cause


def _logged(logger: logging.Logger, error: BaseException) -> logging.LogRecord:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        try:
            raise error
        except Exception as exc:
            logger.exception(exc)
    finally:
        logger.removeHandler(handler)
    return records[-1]


def test_our_error_wrapped_by_the_engine_or_from_a_reimported_module_is_one_line_and_a_bug_keeps_its_traceback():
    stacker_log.install_on("tests.cfngin.plan", "tests.cfngin.plan")
    logger = logging.getLogger("tests.cfngin.plan")
    # Runway pops the modules a CFNgin run imported, so the next import makes a new class of the same name
    again = type("StackerEcsError", (Exception,), {"__module__": "stacker_ecs.core.errors"})

    refusal = ConfigError("Scheme: 'publik' is not accepted", where="stack 'app-web'")
    wrapped = _logged(logger, _LookupWrapperError(refusal))
    reimported = _logged(logger, again("web/v1 is live"))
    bug = _logged(logger, KeyError("bug"))

    assert (wrapped.getMessage(), wrapped.exc_info) == ("stack 'app-web': Scheme: 'publik' is not accepted", None)
    assert (reimported.getMessage(), reimported.exc_info) == ("web/v1 is live", None)
    assert bug.exc_info is not None


def test_destroy_is_refused_while_an_app_it_deletes_is_live_naming_runways_teardown(live_world: World, caplog):
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        assert hooks.check_destroy(context=load(), provider=PROVIDER) is False

    message = caplog.records[-1].getMessage()
    assert message.startswith("check_destroy failed: destroy of ecs-dev refused: web: v1 is live")
    assert "(APP=<app> TEARDOWN=true [TEARDOWN_FORCE=true] runway deploy)" in message
    assert live_world.live_version() == "v1"
