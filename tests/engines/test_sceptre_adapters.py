"""The Sceptre adapters: the template handler's namespace and refusals, hooks and resolvers on moto."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sceptre.connection_manager import ConnectionManager
from sceptre.exceptions import SceptreException

from emulator.states import set_stack_status
from stacker_ecs.core import naming
from stacker_ecs.sceptre.common import derived_namespace, stack_namespace
from stacker_ecs.sceptre.hooks import Cutover, Rollback, Teardown
from stacker_ecs.sceptre.resolvers import DeployedVersion, LiveDesiredCount, LiveVersion
from tests.blueprints.test_blueprints_render import CLUSTER_VARIABLES, VERSION_VARIABLES
from tests.core.ops.conftest import NAMESPACE, REGION, ReadsOfOneWorld, World, outputs_of
from tests.engines.render_support import sceptre_handler, sceptre_template


def sceptre_stack(path: str, external_name: str, **group_config: str) -> SimpleNamespace:
    """What Sceptre hands a hook or resolver as ``self.stack`` (project ``ecs``), with a real connection manager."""
    return SimpleNamespace(name=path, project_code="ecs", external_name=external_name,
                           stack_group_config=group_config,
                           connection_manager=ConnectionManager(REGION, None, external_name))


def version_stack(version: str) -> SimpleNamespace:
    """The example's version stack file ``dev/app-web-version.yaml``, launched as ``version``."""
    return sceptre_stack("dev/app-web-version", naming.version_stack(NAMESPACE, "web", version))


@pytest.mark.parametrize(("path", "expected"), [
    ("dev/cluster", "ecs-dev"), ("prod/eu/cluster", "ecs-prod-eu"), ("cluster", "ecs")])
def test_namespace_is_the_project_code_and_the_group_path(path, expected):
    assert derived_namespace("ecs", path) == expected


def test_explicit_namespace_in_the_group_config_wins():
    stack = sceptre_stack("dev/app-web-version", "team-app-web-v1", ecs_namespace="team")

    assert stack_namespace(stack) == "team"


def test_handler_refuses_a_stack_named_otherwise_than_hooks_find_it():
    handler = sceptre_handler("version", "dev/app-web-version", "ecs-dev-web-v1", VERSION_VARIABLES)

    with pytest.raises(SceptreException) as caught:
        handler.handle()

    message = str(caught.value)
    assert "stack name: deployed as 'ecs-dev-web-v1'" in message
    assert "find this stack as '<project_code>-dev-app-web-V-v1'" in message
    assert "name the stack file 'app-web-V-v1.yaml' or set stack_name to that name" in message


def test_handler_refuses_a_stack_outside_its_groups_namespace():
    with pytest.raises(SceptreException, match="deployed as 'ecs-prod-cluster'"):
        sceptre_handler("cluster", "dev/cluster", "ecs-prod-cluster", CLUSTER_VARIABLES).handle()


def test_handler_with_an_explicit_namespace_checks_the_name_against_it():
    template = sceptre_template("cluster", "dev/cluster", "team-cluster", CLUSTER_VARIABLES, ecs_namespace="team")
    assert "Cluster" in template["Resources"]

    with pytest.raises(SceptreException, match="find this stack as 'team-cluster'"):
        sceptre_handler("cluster", "dev/cluster", "ecs-dev-cluster", CLUSTER_VARIABLES, ecs_namespace="team").handle()


def test_handler_bad_variables_are_one_line_listing_each_problem():
    variables = {**CLUSTER_VARIABLES, "Capacityy": "ec2"}
    del variables["VpcId"]

    with pytest.raises(SceptreException) as caught:
        sceptre_handler("cluster", "dev/cluster", "ecs-dev-cluster", variables).handle()

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("stack 'dev/cluster' (cluster blueprint): 2 problems: Capacityy: unknown variable")
    assert "VpcId: required but not given; set it in sceptre_user_data" in message


def test_handler_reads_a_relative_task_definition_file_from_the_project_directory(tmp_path):
    (tmp_path / "ecs.json").write_text('{"containerDefinitions": [{"name": "web", "image": "nginx:1", '
                                       '"memory": 256, "portMappings": [{"containerPort": 80}]}]}')
    variables = {**VERSION_VARIABLES, "TaskDefinitionFile": "ecs.json"}

    template = sceptre_template("version", "dev/app-web-version", "ecs-dev-app-web-V-v1", variables,
                                project_path=str(tmp_path))

    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    assert task["Properties"]["ContainerDefinitions"][0]["Image"] == "nginx:1"


def test_cutover_hook_makes_the_version_live(live_world: World):
    live_world.set_desired_count("v2", 2)
    live_world.sync()

    Cutover({"app": "web", "version": "v2", "timeout_seconds": 1}, version_stack("v2")).run()

    assert live_world.live_version() == "v2"


def test_a_cutover_that_pauses_ends_the_launch_with_exit_status_4(live_world: World):
    live_world.set_desired_count("v2", 2)
    live_world.sync()

    with pytest.raises(SystemExit) as ended:
        Cutover({"app": "web", "version": "v2", "timeout_seconds": 1, "steps_percent": [10, 50], "bake_seconds": 0,
                 "pause_after_percent": [10]}, version_stack("v2")).run()

    assert ended.value.code == 4
    assert live_world.forward() == {live_world.target_group("v2"): 10, live_world.target_group("v1"): 90}


def test_hook_refuses_to_run_after_a_launch_that_failed(live_world: World):
    # given Sceptre's launch of v2 failed (it still runs after_launch hooks)
    live_world.set_desired_count("v2", 2)
    live_world.sync()
    set_stack_status(naming.version_stack(NAMESPACE, "web", "v2"), "UPDATE_ROLLBACK_COMPLETE")

    # when the cutover hook runs
    with pytest.raises(SceptreException) as caught:
        Cutover({"app": "web", "version": "v2", "timeout_seconds": 1}, version_stack("v2")).run()

    # then it refuses, saying why, and the listener is unchanged
    assert str(caught.value) == (
        "ecs_cutover failed: stack 'ecs-dev-app-web-V-v2' is UPDATE_ROLLBACK_COMPLETE, so its launch "
        "did not succeed; ecs_cutover did nothing. Fix the stack and launch it again")
    assert live_world.live_version() == "v1"


def test_resolver_failure_is_one_sceptre_line_naming_the_fix(world: World):
    world.deploy_version("v1")

    with pytest.raises(SceptreException, match="!ecs_live_version web: web: no version is live yet"):
        LiveVersion("web", version_stack("v1")).resolve()


# ---- a serving version is never changed in place; the app's settings file ------------------------

def _fingerprint(variables: dict) -> str:
    template = sceptre_template("version", "dev/version", "ecs-dev-app-web-V-v1", variables)
    return template["Outputs"]["Fingerprint"]["Value"]


@pytest.mark.parametrize("role", ["live", "previous", "serving"])
def test_handler_refuses_to_change_a_serving_version_in_place_naming_the_fix(role):
    deployed = _fingerprint(VERSION_VARIABLES)
    changed = {**VERSION_VARIABLES, "HealthCheckPath": "/other", "Deployed": f"{role}:{deployed}"}

    with pytest.raises(SceptreException) as caught:
        sceptre_handler("version", "dev/version", "ecs-dev-app-web-V-v1", changed).handle()

    assert str(caught.value) == (
        f"stack 'dev/version' (version blueprint): web/v1 is {role} and this build would change its stack in place "
        "(its template differs from the deployed one); deploy the change as a new version (--var version=<new>) "
        "and cut over to it")


@pytest.mark.parametrize("deployed", ["live:{same}", "idle:0123456789abcdef", "absent:"])
def test_handler_renders_an_unchanged_rerun_or_a_version_without_traffic(deployed):
    same = _fingerprint(VERSION_VARIABLES)
    changed = VERSION_VARIABLES if "same" in deployed else {**VERSION_VARIABLES, "HealthCheckPath": "/other"}

    template = sceptre_template("version", "dev/version", "ecs-dev-app-web-V-v1",
                                {**changed, "Deployed": deployed.format(same=same)})

    assert "Fingerprint" in template["Outputs"]


def test_handler_reads_the_apps_settings_file_from_the_project_directory_and_its_values_win(tmp_path):
    (tmp_path / "version.yaml").write_text("HealthCheckPath: /from-settings\n")

    template = sceptre_template("version", "dev/version", "ecs-dev-app-web-V-v1",
                                {**VERSION_VARIABLES, "SettingsFile": "version.yaml"}, project_path=str(tmp_path))

    (group,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"]
    assert group["Properties"]["HealthCheckPath"] == "/from-settings"


def test_handler_refuses_a_missing_settings_file_in_one_line(tmp_path):
    with pytest.raises(SceptreException, match=r"SettingsFile: '.*nope\.yaml' is not a file"):
        sceptre_handler("version", "dev/version", "ecs-dev-app-web-V-v1",
                        {**VERSION_VARIABLES, "SettingsFile": "nope.yaml"}, project_path=str(tmp_path)).handle()


# ---- lifecycle hooks act on their own app only; teardown -----------------------------------------

def application_stack(app: str) -> SimpleNamespace:
    """The example's ``dev/app/<app>.yaml``: an application stack whose config names its App."""
    stack = sceptre_stack(f"dev/app/{app}", naming.application_stack(NAMESPACE, app), ecs_namespace=NAMESPACE)
    stack.config = {"template": {"type": "stacker_ecs", "blueprint": "application"},
                    "sceptre_user_data": {"App": app}}
    return stack


def test_a_lifecycle_hook_on_another_apps_stack_does_nothing(live_world: World):
    # a group's hooks are inherited by every app's stack; the launch names app web
    live_world.set_desired_count("v2", 2)
    live_world.sync()
    live_world.session.client("cloudformation").create_stack(  # web-admin's stack launched, so only its app stops it
        StackName=naming.application_stack(NAMESPACE, "web-admin"),
        TemplateBody='{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}')
    Cutover({"app": "web", "version": "v2", "timeout_seconds": 1}, application_stack("web-admin")).run()
    assert live_world.live_version() == "v1"

    Cutover({"app": "web", "version": "v2", "timeout_seconds": 1}, application_stack("web")).run()
    assert live_world.live_version() == "v2"


def test_teardown_hook_refuses_a_live_app_unless_forced_then_removes_it(live_world: World):
    with pytest.raises(SceptreException, match="ecs_teardown failed: web: v1 is live"):
        Teardown({"app": "web"}, application_stack("web")).run()
    assert live_world.version_stacks()

    Teardown({"app": "web", "force": True}, application_stack("web")).run()

    assert naming.application_stack(NAMESPACE, "web") not in live_world.stack_names()
    assert live_world.version_stacks() == set()


class TestReadsOfOneLiveWorld(ReadsOfOneWorld):
    """Hooks and resolvers that only read, or refuse before any change: one live world for the class (``v1``
    live, ``v2`` beside it)."""

    def test_hook_does_nothing_when_not_enabled(self, live_world: World):
        Rollback({"enabled": False, "app": "web"}, version_stack("v2")).run()

        assert live_world.live_version() == "v1"

    @pytest.mark.parametrize(("argument", "problem"), [
        ({"app": "web", "versoin": "v2"}, "versoin: unknown name"),
        ({"enabled": "maybe", "app": "web", "version": "v2"}, "enabled: 'maybe' is not true or false"),
        ("web v2", "give a mapping of the hook's args"),
    ])
    def test_hook_bad_argument_is_refused_in_one_line(self, live_world: World, argument, problem):
        with pytest.raises(SceptreException, match=problem):
            Cutover(argument, version_stack("v2")).run()
        assert live_world.live_version() == "v1"

    def test_resolvers_read_the_live_state_under_the_stack_namespace(self, live_world: World):
        stack = version_stack("v3")

        assert LiveVersion("web", stack).resolve() == "v1"
        assert LiveDesiredCount("web::default=5", stack).resolve() == "2"

    def test_deployed_version_resolver_reads_the_role_fingerprint_and_deployed_count_of_the_version(
            self, live_world: World):
        stack = version_stack("v1")

        live = DeployedVersion("web::version=v1", stack).resolve()
        previous_or_idle = DeployedVersion("web::version=v2", stack).resolve()

        outputs = outputs_of(live_world.session, naming.version_stack(NAMESPACE, "web", "v1"))
        assert live == f"live:{outputs.get('Fingerprint', '')}:{outputs['DesiredCount']}"
        assert previous_or_idle.startswith("idle:")
        assert DeployedVersion("web::version=v9", stack).resolve() == "absent:"
