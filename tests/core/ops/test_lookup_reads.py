"""The reads behind the lookups: a constant, small number of AWS calls, and bad queries refused before any."""

from __future__ import annotations

import json

import pytest

from emulator.calls import CallCounter
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, ConfigError
from stacker_ecs.core.lookup_query import parse_query
from stacker_ecs.core.ops.lookups import (
    AppQuery,
    LiveDesiredCountQuery,
    LiveVersionQuery,
    RulePriorityQuery,
    VersionQuery,
    find_listener_arn,
    find_live_desired_count,
    find_live_version,
    find_rule_priority,
    find_version_desired_count,
)
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, ReadsOfOneWorld, World

UNRELATED_TEMPLATE = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
# Call budgets from the design: "finding the live version, the listener or a free rule priority
# costs a constant number of AWS calls, whatever else lives in the account".
BUDGETS = {"find_live_version": 2, "find_rule_priority": 2, "find_live_desired_count": 3, "find_listener_arn": 1,
           "find_version_desired_count": 1}


def measure_reads(world: World) -> dict[str, int]:
    """Return how many AWS calls each read makes right now."""
    counter = CallCounter(world.session)
    reads = {
        "find_live_version": lambda: find_live_version(AwsContext.create(world.session),
                                                       LiveVersionQuery(app=APP, namespace=NAMESPACE)),
        "find_rule_priority": lambda: find_rule_priority(
            AwsContext.create(world.session), RulePriorityQuery(app=APP, namespace=NAMESPACE, version="new")),
        "find_live_desired_count": lambda: find_live_desired_count(
            AwsContext.create(world.session), LiveDesiredCountQuery(app=APP, namespace=NAMESPACE)),
        "find_listener_arn": lambda: find_listener_arn(AwsContext.create(world.session), AppQuery(app=APP,
                                                                                                  namespace=NAMESPACE)),
        "find_version_desired_count": lambda: find_version_desired_count(
            AwsContext.create(world.session), VersionQuery(app=APP, namespace=NAMESPACE, version="b1")),
    }
    measured = {}
    for name, read in reads.items():
        counter.reset()
        read()
        measured[name] = counter.total
    return measured


def test_reads_cost_a_constant_number_of_calls_whatever_else_lives_in_the_account(world: World, clock):
    world.deploy_version("b1")
    world.sync()
    world.make_live("b1", clock)
    with_one_version = measure_reads(world)
    for index in range(2, 13):
        world.deploy_version(f"b{index}")
    with_twelve_versions = measure_reads(world)
    cfn = world.session.client("cloudformation")
    for index in range(30):
        cfn.create_stack(StackName=f"other-team-{index}", TemplateBody=UNRELATED_TEMPLATE)

    with_thirty_unrelated_stacks = measure_reads(world)

    assert with_one_version == with_twelve_versions == with_thirty_unrelated_stacks
    for name, budget in BUDGETS.items():
        assert with_one_version[name] <= budget, f"{name}: {with_one_version[name]} calls, budget {budget}"


def test_find_live_desired_count_is_the_live_services_desired_count(live_world: World):
    query = LiveDesiredCountQuery(app=APP, namespace=NAMESPACE)

    assert find_live_desired_count(AwsContext.create(live_world.session), query) == 2


def test_find_live_desired_count_is_the_default_while_nothing_is_live(world: World):
    world.deploy_version("v1")

    assert find_live_desired_count(AwsContext.create(world.session), LiveDesiredCountQuery(app=APP,
                                                                                           namespace=NAMESPACE)) == 1
    assert find_live_desired_count(AwsContext.create(world.session), LiveDesiredCountQuery(app=APP, namespace=NAMESPACE,
                                                                        default=3)) == 3


@pytest.mark.parametrize(("model", "value", "field"), [
    (RulePriorityQuery, "web::version=V1", "version"),
    (RulePriorityQuery, "web::version=12_b4c", "version"),
    (RulePriorityQuery, "web::version=v1--b", "version"),
    (RulePriorityQuery, "web::version=-v1", "version"),
    (RulePriorityQuery, "web", "version"),
    (RulePriorityQuery, "web::version=v1, max_rules=0", "max_rules"),
    (LiveVersionQuery, "Web", "app"),
    (LiveVersionQuery, "", "app"),
    (LiveVersionQuery, "1web", "app"),
    (LiveDesiredCountQuery, "web::default=many", "default"),
], ids=["upper-case-version", "underscore", "double-dash", "leading-dash", "missing-version", "zero-max-rules",
        "upper-case-app", "empty-app", "digit-first-app", "non-numeric-default"])
def test_malformed_query_is_refused_before_any_aws_call(session, model, value, field):
    counter = CallCounter(session)

    with pytest.raises(ConfigError) as caught:
        parse_query(model, value, lookup="some_lookup", namespace=NAMESPACE)

    assert counter.total == 0
    assert any(problem.startswith(f"{field}:") for problem in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith(f"lookup some_lookup {value!r}: ")


def test_query_key_typo_is_refused_listing_the_known_keys():
    with pytest.raises(ConfigError) as caught:
        parse_query(RulePriorityQuery, "web::versoin=v1", lookup="alb_rule_priority", namespace=NAMESPACE)

    message = str(caught.value)
    assert "versoin: unknown name; check the spelling" in message
    assert "known: app, max_rules, namespace, version" in message


def test_query_item_without_equals_is_refused_with_an_example():
    with pytest.raises(ConfigError, match=r"'default' is not key=value; write e.g."):
        parse_query(LiveVersionQuery, "web::default", lookup="ecs_live_version", namespace=NAMESPACE)


@pytest.mark.parametrize(("value", "expected"), [
    ("web", {"app": "web", "namespace": NAMESPACE, "version": None}),
    (" web :: version = 42-b4c ", {"app": "web", "namespace": NAMESPACE, "version": "42-b4c"}),
    ("web::version=7,max_rules=5", {"app": "web", "namespace": NAMESPACE, "version": "7", "max_rules": 5}),
    ("web::version=v1, namespace=ecs-prod", {"app": "web", "namespace": "ecs-prod", "version": "v1"}),
], ids=["app-only", "spaces", "number-version", "namespace-given"])
def test_query_parses_app_keys_and_the_configs_namespace(value, expected):
    model = LiveVersionQuery if expected["version"] is None else RulePriorityQuery
    expected = {k: v for k, v in expected.items() if v is not None}

    query = parse_query(model, value, lookup="x", namespace=NAMESPACE)

    assert {k: getattr(query, k) for k in expected} == expected


# ---- ecs_version_desired_count: 0 for a new version, the count its template was deployed with afterwards
# (tests/core/ops/test_rerun.py: a re-run renders the deployed template; a stack from an earlier release)

def _count(world: World, version: str) -> int:
    return find_version_desired_count(AwsContext.create(world.session),
                                      VersionQuery(app=APP, namespace=NAMESPACE, version=version))


def test_a_running_version_reads_the_count_its_template_was_deployed_with_so_a_resubmitted_stack_is_the_same(
        world: World, fake_time: FakeTime):
    world.deploy_version("v1", 2)
    world.sync()
    world.make_live("v1", fake_time.clock)
    world.set_desired_count("v1", 5)  # autoscaling or an operator scaled it since

    assert _count(world, "v1") == 2


class TestReadsOfTheDeployedWorld(ReadsOfOneWorld):
    """Reads of one world without versions, shared by the class."""

    LIVE = None

    def test_find_listener_arn_is_the_application_stacks_listener(self, world: World):
        assert find_listener_arn(AwsContext.create(world.session), AppQuery(app=APP,
                                                                            namespace=NAMESPACE)) == world.listener_arn

    @pytest.mark.parametrize("read", [
        lambda s: find_live_version(s, LiveVersionQuery(app="nope", namespace=NAMESPACE)),
        lambda s: find_live_version(s, LiveVersionQuery(app="nope", namespace=NAMESPACE, default="none")),
        lambda s: find_rule_priority(s, RulePriorityQuery(app="nope", namespace=NAMESPACE, version="v1")),
        lambda s: find_live_desired_count(s, LiveDesiredCountQuery(app="nope", namespace=NAMESPACE)),
        lambda s: find_listener_arn(s, AppQuery(app="nope", namespace=NAMESPACE)),
    ], ids=["live-version", "live-version-with-default", "rule-priority", "desired-count", "listener"])
    def test_unknown_app_is_refused_naming_the_application_stack_it_looked_for(self, world: World, read):
        with pytest.raises(AwsStateError, match="no application stack 'ecs-dev-app-nope'") as caught:
            read(world.session)

        assert "check the app name and namespace" in str(caught.value)

    def test_unknown_namespace_is_refused_naming_the_application_stack_it_looked_for(self, world: World):
        with pytest.raises(AwsStateError, match="'ecs-prod-app-web'"):
            find_listener_arn(AwsContext.create(world.session), AppQuery(app=APP, namespace="ecs-prod"))

    def test_a_version_without_a_stack_starts_at_zero(self, world: World):
        assert _count(world, "v9") == 0
