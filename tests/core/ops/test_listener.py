"""The live version is what the application listener forwards to; the previous one sits beside it at weight 0."""

from __future__ import annotations

import pytest

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.listener import Application, forward_weights, listener_state, read_listener
from stacker_ecs.core.ops.lookups import LiveVersionQuery, find_live_version
from stacker_ecs.core.ops.services import describe_services
from tests.core.ops.conftest import APP, NAMESPACE, World

NO_LIVE_VERSION = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}
APPLICATION = Application(namespace=NAMESPACE, app=APP, stack_name="ecs-dev-app-web", listener_arn="listener",
                          cluster_name="cluster", domain="dev.example.com")


def host_rule(version: str, priority: int, target_group: str, app: str = APP) -> dict:
    """Return a DescribeRules entry of a version's host-header rule."""
    return {"RuleArn": f"rule/{app}/{version}", "Priority": str(priority), "IsDefault": False,
            "Conditions": [{"Field": "host-header",
                            "HostHeaderConfig": {"Values": [f"{version}.{app}.dev.example.com"]}}],
            "Actions": [{"Type": "forward", "TargetGroupArn": target_group}]}


def default_rule(*actions: dict) -> dict:
    """Return the DescribeRules entry of the listener's default action."""
    return {"RuleArn": "rule/default", "Priority": "default", "IsDefault": True, "Conditions": [],
            "Actions": list(actions)}


def live_rule(*actions: dict) -> dict:
    """Return the DescribeRules entry of the hook-owned live rule."""
    return {"RuleArn": "rule/live", "Priority": str(naming.LIVE_RULE_PRIORITY), "IsDefault": False,
            "Conditions": [{"Field": "path-pattern", "Values": [naming.LIVE_RULE_PATH]}], "Actions": list(actions)}


def forward(**weights: int) -> dict:
    """Return a weighted forward action: ``forward(tg1=1, tg2=0)``."""
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}


def test_nothing_is_live_before_the_first_cutover_and_every_deployed_version_has_its_rule(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")

    state = read_listener(AwsContext.create(world.session), NAMESPACE, APP)

    assert state.live_version is None
    assert state.previous_version is None
    assert state.forward == {}
    assert sorted(state.rules) == ["v1", "v2"]
    assert state.rules["v1"].target_group_arn == world.target_group("v1")


def test_find_live_version_refuses_while_nothing_is_live_and_says_how_to_fix_it(world: World):
    world.deploy_version("v1")

    with pytest.raises(AwsStateError, match="no version is live yet") as caught:
        find_live_version(AwsContext.create(world.session), LiveVersionQuery(app=APP, namespace=NAMESPACE))

    assert "::default=" in str(caught.value)
    assert caught.value.app == APP


def test_find_live_version_returns_the_default_while_nothing_is_live(world: World):
    world.deploy_version("v1")

    assert find_live_version(AwsContext.create(world.session), LiveVersionQuery(app=APP, namespace=NAMESPACE,
                                                                                default="none")) == "none"


def test_live_version_is_the_one_the_listener_forwards_to_after_cutover(world: World, clock):
    world.deploy_version("v1")
    world.deploy_version("v2")
    world.sync()

    world.make_live("v2", clock)

    state = read_listener(AwsContext.create(world.session), NAMESPACE, APP)
    assert state.live_version == "v2"
    assert state.live_target_group == world.target_group("v2")
    assert find_live_version(AwsContext.create(world.session), LiveVersionQuery(app=APP, namespace=NAMESPACE)) == "v2"


def test_previous_live_version_is_recorded_at_weight_zero_after_the_next_cutover(live_world: World, clock):
    live_world.make_live("v2", clock)

    state = read_listener(AwsContext.create(live_world.session), NAMESPACE, APP)
    assert state.forward == {live_world.target_group("v2"): 1, live_world.target_group("v1"): 0}
    assert state.live_version == "v2"
    assert state.previous_version == "v1"


def test_only_the_last_previous_version_is_recorded_after_a_third_cutover(live_world: World, clock):
    live_world.make_live("v2", clock)
    live_world.deploy_version("v4", 2)
    live_world.sync()

    live_world.make_live("v4", clock)

    state = read_listener(AwsContext.create(live_world.session), NAMESPACE, APP)
    assert state.forward == {live_world.target_group("v4"): 1, live_world.target_group("v2"): 0}
    assert (state.live_version, state.previous_version) == ("v4", "v2")


def test_live_target_group_whose_stack_was_deleted_out_of_band_reads_as_no_live_version(world: World, clock):
    world.deploy_version("v1")
    world.sync()
    world.make_live("v1", clock)
    # Real AWS refuses to delete a target group the listener uses; moto lets the stack go.
    world.delete_version_out_of_band("v1")

    state = read_listener(AwsContext.create(world.session), NAMESPACE, APP)

    assert state.live_target_group is not None
    assert state.live_version is None
    with pytest.raises(AwsStateError):
        find_live_version(AwsContext.create(world.session), LiveVersionQuery(app=APP, namespace=NAMESPACE))


def test_live_target_group_whose_stack_was_deleted_is_named_in_the_error(world: World, clock):
    world.deploy_version("v1")
    world.sync()
    world.make_live("v1", clock)
    orphan = world.target_group("v1")
    world.delete_version_out_of_band("v1")

    with pytest.raises(AwsStateError) as caught:
        find_live_version(AwsContext.create(world.session), LiveVersionQuery(app=APP, namespace=NAMESPACE))

    assert orphan in str(caught.value)
    assert "yet" not in str(caught.value)


@pytest.mark.parametrize(("actions", "expected"), [
    ([], {}),
    ([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}], {}),
    ([{"Type": "forward", "TargetGroupArn": "tg1"}], {"tg1": 1}),
    ([forward(tg1=1)], {"tg1": 1}),
    ([forward(tg2=1, tg1=0)], {"tg2": 1, "tg1": 0}),
    ([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg1"}]}}], {"tg1": 1}),
    ([{"Type": "authenticate-oidc"}, {"Type": "forward", "TargetGroupArn": "tg1"}], {"tg1": 1}),
], ids=["no-actions", "fixed-response", "plain-forward", "forward-config", "weighted", "no-weight", "after-auth"])
def test_forward_weights_reads_every_shape_of_forward_action(actions, expected):
    assert forward_weights(actions) == expected


@pytest.mark.parametrize(("weights", "live", "previous"), [
    ({}, None, None),
    ({"tg1": 1}, "v1", None),
    ({"tg2": 1, "tg1": 0}, "v2", "v1"),
    ({"tg1": 0, "tg2": 1}, "v2", "v1"),
    ({"tg2": 90, "tg1": 10}, "v2", None),
    ({"tg-gone": 1, "tg1": 0}, None, "v1"),
    ({"tg2": 1, "tg-gone": 0}, "v2", None),
], ids=["nothing", "one", "with-previous", "previous-first", "weighted-step", "live-gone", "previous-gone"])
def test_listener_state_reads_live_and_previous_from_the_live_rule(weights, live, previous):
    rules = [host_rule("v1", 10, "tg1"), host_rule("v2", 20, "tg2"), live_rule(forward(**weights)),
             default_rule(NO_LIVE_VERSION)]

    state = listener_state(APPLICATION, rules)

    assert (state.live_version, state.previous_version) == (live, previous)
    assert state.priorities == frozenset({10, 20, naming.LIVE_RULE_PRIORITY})
    assert state.rule_count == 3
    assert state.live_rule_arn == "rule/live"


def test_the_default_action_never_decides_what_is_live():
    # given a listener whose default action forwards (as a stack update could make it) and no live rule
    rules = [host_rule("v1", 10, "tg1"), default_rule(forward(tg1=1))]

    state = listener_state(APPLICATION, rules)

    assert (state.live_version, state.live_rule_arn) == (None, None)


def test_listener_state_ignores_rules_of_other_hosts_but_counts_their_priorities():
    rules = [host_rule("v1", 10, "tg1"), host_rule("v1", 11, "tg-api", app="api"),
             {"RuleArn": "rule/path", "Priority": "12", "IsDefault": False,
              "Conditions": [{"Field": "path-pattern", "Values": ["/admin/*"]}],
              "Actions": [{"Type": "forward", "TargetGroupArn": "tg-admin"}]},
             live_rule(forward(tg1=1)), default_rule(NO_LIVE_VERSION)]

    state = listener_state(APPLICATION, rules)

    assert list(state.rules) == ["v1"]
    assert state.live_version == "v1"
    assert state.priorities == frozenset({10, 11, 12, naming.LIVE_RULE_PRIORITY})
    assert state.rule_count == 4


def test_describe_services_returns_only_versions_whose_service_exists(world: World):
    world.deploy_version("v1")

    services = describe_services(AwsContext.create(world.session), world.cluster_name, APP, ["v1", "v9"])

    assert list(services) == ["v1"]
    assert services["v1"]["serviceName"] == "web_v1"
