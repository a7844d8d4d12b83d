"""``!ecs_check_build``: Sceptre reads a copy of the example project, and the check refuses a bad launch.

The stacks are Sceptre's own (its ConfigReader, with the var file and ``--var`` values a launch would
have); the check of the input makes no AWS call, and what it reads of the account is read from moto.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
import yaml
from moto import mock_aws
from sceptre.context import SceptreContext
from sceptre.exceptions import SceptreException
from sceptre.plan.plan import SceptrePlan

from stacker_ecs.sceptre.check import check_delete, check_launch, forget
from tests.core.ops.conftest import REGION, FakeTime, ReadsOfOneWorld, World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of config/ (the Sceptre project in config/sceptre, the apps' files in config/apps)."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    yield tmp_path / "config" / "sceptre"
    forget(str(tmp_path / "config" / "sceptre"))


def launch_stacks(project: Path, path: str = "dev", **variables: str) -> dict[str, object]:
    """Return the stacks Sceptre reads for ``sceptre --var-file vars/dev.yaml --var ... launch <path>``."""
    values = {**yaml.safe_load((project / "vars" / "dev.yaml").read_text()), **variables}
    plan = SceptrePlan(SceptreContext(project_path=str(project), command_path=path, user_variables=values))
    return {stack.name: stack for stack in plan.graph}


def delete_stacks(project: Path, path: str, *, cli: bool = True, **variables: str) -> dict[str, object]:
    """Return the stacks Sceptre reads for ``sceptre delete <path>`` (in its click command, which names the path
    and, from the CLI, carries the options as Sceptre's CLI sets them), in the region of the moto world."""
    values = {**yaml.safe_load((project / "vars" / "dev.yaml").read_text()), "region": REGION, **variables}
    with click.Context(click.Command("delete")) as context:
        context.params.update(path=path, change_set_name=None, yes=True)
        if cli:
            context.obj = {"user_variables": values, "project_path": str(project), "ignore_dependencies": False}
        plan = SceptrePlan(SceptreContext(project_path=str(project), command_path=path, user_variables=values,
                                          full_scan=True))
    plan.resolve(command="delete", reverse=True)
    stacks = {stack.name: stack for stack in plan}
    return stacks | {f"read:{stack.name}": stack for stack in plan.graph if stack.name not in stacks}


def refusal(stack: object) -> str:
    """Run the stack's ``!ecs_check_build`` as Sceptre does before its launch; return the one-line refusal."""
    (hook,) = stack.hooks["before_launch"]
    with pytest.raises(SceptreException) as caught:
        hook.run()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("ecs_check_build failed: sceptre launch: ")
    return message


def assert_version_delete_refused(project: Path, version: str, refused: str) -> None:
    """Assert that deleting ``version``'s stack is refused with ``refused``: before Sceptre prints its plan, and by
    the stack's ``before_delete`` hook."""
    with pytest.raises(SceptreException, match=refused):
        delete_stacks(project, "dev/version.yaml", app="web", version=version)
    stack = delete_stacks(project, "dev/version.yaml", cli=False, app="web", version=version)["dev/version"]
    with pytest.raises(SceptreException, match=refused):
        stack.hooks["before_delete"][0].run()


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))


def test_a_plain_launch_of_the_example_passes_with_no_switch(project):
    stacks = launch_stacks(project)

    assert set(stacks) == {"dev/cluster", "dev/app/web", "dev/app/web-admin", "dev/version"}
    assert stacks["dev/version"].ignore
    assert check_launch(stacks["dev/cluster"]) == {"app": None, "switches": []}


def test_an_app_pipeline_of_a_hyphenated_app_passes(project):
    stacks = launch_stacks(project, "dev/version.yaml", app="web-admin", version="v2", deploy="true",
                           verify="true", cutover="true")

    assert set(stacks) == {"dev/version"}  # no dependency: the cluster and application stacks are not launched
    assert check_launch(stacks["dev/version"]) == {"app": "web-admin", "version": "v2",
                                                   "switches": ["deploy", "verify", "cutover"]}


@pytest.mark.parametrize(("path", "variables", "problem"), [
    ("dev/version.yaml", {"app": "web", "version": "v1", "cutover": "true"},
     "deploy: off, but this launch would launch the version stack 'dev/version' of app 'web'; pass --var deploy=true"),
    ("dev/app/web.yaml", {"app": "web-admin", "rollback": "true"},
     "rollback: on, but no stack of this launch runs it for app 'web-admin', so it would do nothing; launch the "
     "app's application stack"),
    ("dev", {"rollback": "true"}, "app: 'none' is not an app of this config (apps: web, web-admin); "
     "pass --var app=<app> with rollback"),
    ("dev/version.yaml", {"app": "api", "version": "v1", "deploy": "true"}, "app: 'api' is not an app of this config"),
    ("dev/version.yaml", {"app": "web", "version": "v_1", "deploy": "true"}, "version: "),
    ("dev/version.yaml",
     {"app": "web", "version": "v1", "deploy": "true", "verify": "true", "first_desired_count": "-1"},
     "stack 'dev/version': hook !ecs_verify_health args: start_count: "),
    ("dev/app/web.yaml", {"app": "web", "cleanup": "true", "cleanup_keep_last": "many"},
     "stack 'dev/app/web': hook !ecs_cleanup args: keep_last: 'many' is not accepted"),
], ids=["cutover-without-deploy", "rollback-on-another-apps-stack", "no-app", "unknown-app", "bad-version",
        "bad-hook-argument", "bad-cleanup-argument"])
def test_a_bad_launch_is_refused_in_one_line_before_any_change(project, path, variables, problem):
    stacks = launch_stacks(project, path, **variables)
    first = stacks.get("dev/cluster") or next(iter(stacks.values()))

    assert problem in refusal(first)


def test_a_lifecycle_switch_on_a_launch_of_several_apps_stacks_is_refused_once(project):
    # dev/app/web.yaml and dev/app/web-admin.yaml share one copy of dev/app/config.yaml's hooks, bound to the one
    # Sceptre read last: web's rollback would run after neither app's launch, or after both (undoing itself)
    stacks = launch_stacks(project, "dev/app", app="web", rollback="true")
    (hook,) = [h for h in stacks["dev/app/web"].hooks["after_launch"] if type(h).__name__ == "Rollback"]
    other = "dev/app/web-admin" if hook.stack.name == "dev/app/web" else "dev/app/web"

    message = refusal(stacks["dev/cluster"])

    assert message == (f"ecs_check_build failed: sceptre launch: rollback: on, but stack {other!r} shares its hook "
                       f"!ecs_rollback with stack {hook.stack.name!r} (Sceptre gives the stacks of a group one copy "
                       "of its config.yaml's hooks, bound to the stack it read last), so it would run for the wrong "
                       "app's stack or twice; launch the app's own stack file alone (e.g. dev/app/web.yaml)")
    forget(str(project))  # a new command: the app's own file alone passes
    assert check_launch(launch_stacks(project, "dev/app/web.yaml", app="web", rollback="true")["dev/app/web"]) \
        == {"app": "web", "version": None, "switches": ["rollback"]}


def test_the_first_stacks_check_refuses_a_bad_variable_of_another_stack_of_the_launch(project):
    edit(project / "config" / "dev" / "app" / "web-admin.yaml", "{App: web-admin,", "{App: web-admin, Scheme: public,")

    message = refusal(launch_stacks(project)["dev/cluster"])

    assert "stack 'dev/app/web-admin' (application blueprint): Scheme: 'public' is not accepted" in message


def test_the_apps_settings_file_and_the_resolver_queries_of_the_version_stack_are_checked(project):
    edit(project.parent / "apps" / "web" / "version.yaml", "HealthCheckPath: /health", "HealthCheckPath: health")
    edit(project / "config" / "dev" / "version.yaml", "::version={{ var.version }}\n  # 0 for",
         "::versoin={{ var.version }}\n  # 0 for")

    message = refusal(launch_stacks(project, "dev/version.yaml", app="web", version="v2", deploy="true")["dev/version"])

    assert "stack 'dev/version': lookup alb_rule_priority 'web::versoin=v2'" in message
    assert "stack 'dev/version' (version blueprint): HealthCheckPath: " in message


def test_a_pipeline_launch_of_an_app_without_its_application_stack_is_refused_before_any_change(project):
    # the check reads the account (no change): the version's resolvers would fail on the missing stack later
    with mock_aws():
        stacks = launch_stacks(project, "dev/version.yaml", region=REGION, app="web", version="v2", deploy="true")
        message = refusal(stacks["dev/version"])
    assert "app 'web': no application stack 'ecs-dev-app-web' in this account and region" in message
    assert "build the app's application stack first" in message


class TestDeletesOfOneLiveWorld(ReadsOfOneWorld):
    """Deletes checked against one live world for the class (``v1`` live, ``v2`` beside it): checks only read."""

    @pytest.mark.parametrize(("path", "refused"), [
        ("dev", "destroy of ecs-dev refused: web: v1 is live. Remove each app with teardown first (sceptre ... "
         "--var app=<app> --var teardown=true [--var teardown_force=true] launch -y <environment>/app/<app>.yaml)"),
        ("dev/app/web.yaml", "destroy of ecs-dev refused: web: v1 is live."),
        ("dev/app/web-admin.yaml", None),
    ], ids=["environment", "live-app", "app-without-stacks"])
    def test_a_delete_is_refused_while_an_app_it_deletes_is_live(self, project, live_world: World, path, refused):
        # Sceptre's delete command: refused while Sceptre reads the config, before it prints its plan
        if refused is not None:
            with pytest.raises(SceptreException) as early:
                delete_stacks(project, path)
            assert str(early.value).startswith(f"ecs_check_delete failed: {refused}")
        # each stack's before_delete checks again (and alone does, for a plan read through Sceptre's Python API)
        stacks = delete_stacks(project, path, cli=refused is None)
        first = next(iter(stacks.values()))  # Sceptre runs before_delete of the stacks no other depends on first

        if refused is None:
            assert check_delete(first, live_world.session)["stacks"] == ["ecs-dev-app-web-admin"]
            return
        with pytest.raises(SceptreException) as caught:
            first.hooks["before_delete"][0].run()
        assert str(caught.value).startswith(f"ecs_check_delete failed: {refused}")
        assert live_world.live_version() == "v1"

    def test_an_app_stacks_delete_is_checked_for_that_app_though_its_hook_is_bound_to_another_apps_stack(
            self, project, live_world: World):
        # The stacks of dev/app share the hooks of its config.yaml, and Sceptre binds each shared hook to the stack of
        # the group it read last: web-admin's before_delete may hold web's stack (as here), whose v1 is live.
        stacks = delete_stacks(project, "dev/app/web-admin.yaml")
        assert [name for name in stacks if not name.startswith("read:")] == ["dev/app/web-admin"]
        (hook,) = stacks["dev/app/web-admin"].hooks["before_delete"]
        hook.stack = stacks["read:dev/app/web"]

        hook.run()  # not refused: the delete removes web-admin's stack alone, and web-admin has no version

        assert live_world.live_version() == "v1"

    def test_a_delete_of_the_live_version_stack_is_refused_and_of_an_idle_one_allowed(self, project, live_world: World):
        assert_version_delete_refused(project, "v1", "ecs_check_delete failed: web/v1 is live, and deleting its stack")

        idle = delete_stacks(project, "dev/version.yaml", app="web", version="v2")["dev/version"]
        assert check_delete(idle, live_world.session)["stacks"] == ["ecs-dev-app-web-V-v2"]


def test_a_delete_of_the_previous_version_stack_is_refused_so_rollback_keeps_its_target(project, live_world: World,
                                                                                       fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)  # v1 is now the previous version, the one rollback returns to
    assert_version_delete_refused(project, "v1", r"ecs_check_delete failed: web/v1 is previous, and deleting its stack "
                                                 "takes that traffic down")
    assert live_world.forward() == {live_world.target_group("v2"): 1, live_world.target_group("v1"): 0}


def test_a_delete_of_the_cluster_is_checked_with_the_app_stacks_that_depend_on_it(project, world: World):
    # Nothing is live and web has no version. The app stacks read the cluster's outputs (!stack_output), so
    # Sceptre deletes them with it: judged alone, the cluster's delete would leave web's application stack behind.
    stacks = delete_stacks(project, "dev/cluster.yaml", cli=False)
    assert sorted(name for name in stacks if not name.startswith("read:")) == ["dev/app/web", "dev/app/web-admin",
                                                                                "dev/cluster"]

    checked = check_delete(stacks["dev/cluster"], world.session)

    assert checked["stacks"] == ["ecs-dev-app-web", "ecs-dev-app-web-admin", "ecs-dev-cluster"]
