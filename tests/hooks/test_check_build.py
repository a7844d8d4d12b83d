"""``check_build``, the example config's pre_build hook: switches, app, version and every enabled
lifecycle hook's arguments, checked from the config stacker loaded, before any AWS call."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from stacker.config import render_parse_load
from stacker.context import Context
from stacker.environment import parse_environment

from stacker_ecs import hooks

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = SimpleNamespace(region="us-east-1")


def run_check(caplog: pytest.LogCaptureFixture, **settings: str) -> tuple[Any, list[str]]:
    """Load config/stacker-Dev.yml with config/dev.env and ``settings`` (as ``-e``), run the pre_build hook."""
    environment = parse_environment((ROOT / "config" / "dev.env").read_text())
    environment.update(settings)
    config = render_parse_load((ROOT / "config" / "stacker-Dev.yml").read_text(), environment)
    context = Context(environment=environment, config=config)
    (check,) = [h for h in config.pre_build if h.path == "stacker_ecs.hooks.check_build"]
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        result = hooks.check_build(provider=PROVIDER, context=context, **check.args)
    return result, [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_plain_build_passes_without_naming_an_app(caplog):
    result, errors = run_check(caplog)
    assert result == {"app": None, "switches": []}
    assert errors == []


def test_a_pipeline_build_of_a_hyphenated_app_passes(caplog):
    result, errors = run_check(caplog, app="web-admin", version="42-b4c1e", deploy="true", cutover="true")
    assert result == {"app": "web-admin", "version": "42-b4c1e", "switches": ["deploy", "cutover"]}
    assert errors == []


def test_an_app_not_in_the_config_is_refused_naming_the_apps_it_has(caplog):
    result, errors = run_check(caplog, app="api", version="v1", cutover="true")
    assert result is False
    assert errors == ["check_build failed: stacker build: app: 'api' is not an app of this config (apps: web, "
                      "web-admin); pass -e app=<app> with cutover, or add the app's stack to the config"]


def test_a_bad_argument_of_an_enabled_hook_is_refused_before_any_stack_changes(caplog):
    result, errors = run_check(caplog, app="web", version="v2", deploy="true", cutover="true",
                               health_timeout_seconds="0", cutover_steps_percent="[50, 10]")
    assert result is False
    (message,) = errors
    assert message.startswith("check_build failed: stacker build: hook stacker_ecs.hooks.cutover "
                              "args: 2 problems")
    assert "timeout_seconds: 0 is not accepted" in message
    assert "steps_percent: [50, 10] is not a rising list of percentages" in message


def test_a_disabled_hooks_arguments_are_not_judged(caplog):
    # rollback is off: its (bad) timeout does not matter to a deploy
    result, errors = run_check(caplog, app="web", version="v2", deploy="true", health_timeout_seconds="0")
    assert result["switches"] == ["deploy"]
    assert errors == []


def test_a_bad_start_count_of_verify_health_is_refused_before_any_stack_changes(caplog):
    # the example config passes first_desired_count to verify_health's start_count (new versions start at 0)
    result, errors = run_check(caplog, app="web", version="v2", deploy="true", verify="true", first_desired_count="0")
    assert result is False
    assert len(errors) == 1
    assert errors[0].startswith("check_build failed: stacker build: ")
    assert "start_count: 0 is not accepted" in errors[0]


def test_a_bad_application_variable_is_refused_before_the_cluster_stack_changes(caplog):
    # a plain build: the cluster stack would be built first, so the app stacks' variables are judged now
    result, errors = run_check(caplog, alb_scheme="publik")
    assert result is False
    (message,) = errors
    assert "stack 'app-web' (Application blueprint): Scheme: 'publik' is not accepted" in message
    assert "stack 'app-web-admin' (Application blueprint): Scheme: 'publik' is not accepted" in message


def test_a_bad_value_in_an_apps_settings_file_is_refused_before_its_version_stack_exists(caplog, tmp_path):
    settings = tmp_path / "version.yaml"
    settings.write_text("HealthCheckPath: health\nHealthCheckTimeoutSeconds: 500\n")
    config = (ROOT / "config" / "stacker-Dev.yml").read_text().replace(
        "config/apps/${app}/version.yaml", str(settings))
    environment = parse_environment((ROOT / "config" / "dev.env").read_text())
    environment.update(app="web", version="v2", deploy="true")
    context = Context(environment=environment, config=render_parse_load(config, environment))
    (check,) = context.config.pre_build
    with caplog.at_level(logging.ERROR, logger="stacker_ecs"):
        assert hooks.check_build(provider=PROVIDER, context=context, **check.args) is False
    (message,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "stack 'app-${app}-V-${version}'" not in message
    assert "(Version blueprint): 2 problems" in message
    assert "HealthCheckPath:" in message


def test_values_that_only_a_lookup_or_an_output_can_give_are_left_to_the_render(caplog):
    # ListenerArn, DesiredCount, ... hold ${...}: they are judged when the version stack renders
    result, errors = run_check(caplog, app="web-admin", version="v3", deploy="true")
    assert errors == []
    assert result["switches"] == ["deploy"]
