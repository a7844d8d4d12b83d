"""The stacker lookups: parse the query, call one read, return a string; bad queries refused before any AWS call."""

from __future__ import annotations

import pytest

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, ConfigError
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.lookups import ListenerLookup, LiveDesiredCountLookup, LiveVersionLookup, RulePriorityLookup
from tests.core.ops.conftest import APP, NAMESPACE, ReadsOfOneWorld, World

LOOKUPS = [LiveVersionLookup, ListenerLookup, RulePriorityLookup, LiveDesiredCountLookup]


def test_live_version_lookup_fails_while_nothing_is_live_unless_given_a_default(world: World, context, provider):
    world.deploy_version("v1")

    with pytest.raises(AwsStateError, match="no version is live yet"):
        LiveVersionLookup.handle("web", context=context, provider=provider)
    assert LiveVersionLookup.handle("web::default=none", context=context, provider=provider) == "none"


def test_live_desired_count_lookup_returns_the_live_count_or_the_default(world: World, context, provider, clock):
    world.deploy_version("v1", 2)
    assert LiveDesiredCountLookup.handle("web", context=context, provider=provider) == "1"
    assert LiveDesiredCountLookup.handle("web::default=3", context=context, provider=provider) == "3"

    world.sync()
    world.make_live("v1", clock)

    assert LiveDesiredCountLookup.handle("web::default=3", context=context, provider=provider) == "2"


@pytest.mark.parametrize(("lookup", "query", "field"), [
    (RulePriorityLookup, "web::version=V2", "version"),
    (RulePriorityLookup, "web::version=12_b4c", "version"),
    (RulePriorityLookup, "web::version=", "version"),
    (LiveVersionLookup, "Web", "app"),
    (ListenerLookup, "web_api", "app"),
    (LiveDesiredCountLookup, "web::default=-1", "default"),
], ids=["upper-case-version", "underscore-version", "empty-version", "upper-case-app", "underscore-app",
        "negative-default"])
def test_malformed_query_is_refused_before_any_aws_call(context, provider, adapter_calls, lookup, query, field):
    with pytest.raises(ConfigError) as caught:
        lookup.handle(query, context=context, provider=provider)

    assert adapter_calls.total == 0
    assert any(problem.startswith(f"{field}: ") for problem in caught.value.problems), caught.value.problems


def test_query_key_typo_is_refused_listing_the_known_keys(context, provider, adapter_calls):
    with pytest.raises(ConfigError) as caught:
        RulePriorityLookup.handle("web::versoin=v2", context=context, provider=provider)

    message = str(caught.value)
    assert message.startswith("lookup alb_rule_priority 'web::versoin=v2': 2 problems")
    assert "versoin: unknown name; check the spelling or remove it (known: app, max_rules, namespace, version)" \
        in message
    assert "version: required but not given; set it" in message
    assert adapter_calls.total == 0


def test_config_without_namespace_is_refused_asking_for_one(provider, adapter_calls):
    no_namespace = type("Context", (), {"namespace": ""})()

    with pytest.raises(ConfigError, match="namespace: required but not given"):
        ListenerLookup.handle("web", context=no_namespace, provider=provider)
    assert adapter_calls.total == 0


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_lookups_are_plain_classes_as_stacker_1_7_requires(lookup):
    assert type(lookup) is type


class TestReadsOfTheLiveWorld(ReadsOfOneWorld):
    """Lookups that only read: one live world (``v1`` live, ``v2`` beside it) for the class."""

    def test_live_version_lookup_returns_the_live_version(self, live_world: World, context, provider):
        assert LiveVersionLookup.handle("web", context=context, provider=provider) == "v1"

    def test_rule_priority_lookup_returns_the_versions_own_priority_as_a_string(self, live_world: World, context,
                                                                                 provider):
        existing = read_listener(AwsContext.create(live_world.session), NAMESPACE, APP).rules["v2"].priority

        assert RulePriorityLookup.handle("web::version=v2", context=context, provider=provider) == str(existing)
        assert RulePriorityLookup.handle("web::version=v9", context=context, provider=provider).isdigit()

    def test_rule_priority_lookup_refuses_a_full_listener_naming_cleanup(self, live_world: World, context, provider):
        with pytest.raises(AwsStateError, match="cleanup"):
            RulePriorityLookup.handle("web::version=v9, max_rules=2", context=context, provider=provider)

    @pytest.mark.parametrize(("lookup", "budget"), [
        (LiveVersionLookup, 2), (ListenerLookup, 1), (RulePriorityLookup, 2), (LiveDesiredCountLookup, 3)])
    def test_each_lookup_costs_its_reads_budget(self, live_world: World, context, provider, adapter_calls, lookup,
                                                budget):
        query = "web::version=v4" if lookup is RulePriorityLookup else "web"
        adapter_calls.reset()

        lookup.handle(query, context=context, provider=provider)

        assert 1 <= adapter_calls.total <= budget, adapter_calls.calls


class TestReadsOfTheDeployedWorld(ReadsOfOneWorld):
    """Lookups that only read: one world without versions for the class."""

    LIVE = None

    def test_listener_lookup_returns_the_listener_arn(self, world: World, context, provider):
        assert ListenerLookup.handle("web", context=context, provider=provider) == world.listener_arn

    @pytest.mark.parametrize("lookup", LOOKUPS)
    def test_unknown_app_is_refused_naming_the_application_stack(self, world: World, context, provider, lookup):
        query = "api::version=v1" if lookup is RulePriorityLookup else "api"

        with pytest.raises(AwsStateError, match="no application stack 'ecs-dev-app-api'"):
            lookup.handle(query, context=context, provider=provider)

    def test_namespace_comes_from_the_config_unless_the_query_gives_one(self, world: World, provider):
        other = type("Context", (), {"namespace": "ecs-prod"})()

        with pytest.raises(AwsStateError, match="'ecs-prod-app-web'"):
            ListenerLookup.handle("web", context=other, provider=provider)
        assert ListenerLookup.handle("web::namespace=ecs-dev", context=other, provider=provider) == world.listener_arn
