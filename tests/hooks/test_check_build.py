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
    assert errors == ["check_build failed: build switches: app: 'api' is not an app of this config (apps: web, "
                      "web-admin); pass -e app=<app> with cutover, or add the app's stack to the config"]


def test_a_bad_argument_of_an_enabled_hook_is_refused_before_any_stack_changes(caplog):
    result, errors = run_check(caplog, app="web", version="v2", deploy="true", cutover="true",
                               health_timeout_seconds="0", cutover_steps_percent="[50, 10]")
    assert result is False
    (message,) = errors
    assert message.startswith("check_build failed: post_build hooks and lookups: hook stacker_ecs.hooks.cutover "
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
    assert errors[0].startswith("check_build failed: post_build hooks and lookups: ")
    assert "start_count: 0 is not accepted" in errors[0]
