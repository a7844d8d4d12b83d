"""Test traffic on the live host: each version's test-header rule, read back from the listener's rules."""

from __future__ import annotations

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import forward_weights, read_listener
from tests.core.ops.conftest import APP, NAMESPACE, World


def header_routes(world: World) -> dict[str, str]:
    """Return version in the test header -> target group, from the listener's rules on the app's own host."""
    rules = world.session.client("elbv2").describe_rules(ListenerArn=world.listener_arn)["Rules"]
    host = naming.app_host(APP, world.application["Domain"])
    routes = {}
    for rule in rules:
        conditions = {c["Field"]: c for c in rule["Conditions"]}
        if "http-header" in conditions and conditions["host-header"]["HostHeaderConfig"]["Values"] == [host]:
            header = conditions["http-header"]["HttpHeaderConfig"]
            assert header["HttpHeaderName"] == naming.TEST_HEADER
            (target,) = forward_weights(rule["Actions"])
            routes[header["Values"][0]] = target
    return routes


def test_every_deployed_version_takes_header_traffic_on_the_live_host_beside_the_untouched_live_rule(
        live_world: World):
    live_world.deploy_version("v4")

    assert header_routes(live_world) == {v: live_world.target_group(v) for v in ("v1", "v2", "v4")}
    assert live_world.forward() == {live_world.target_group("v1"): 1}
    state = read_listener(AwsContext.create(live_world.session), NAMESPACE, APP)
    assert set(state.rules) == {"v1", "v2", "v4"}, "header rules are not mistaken for versions' host rules"
    assert state.rule_count == 7, "three versions' two rules each, and the live rule"
    for rule in state.rules.values():
        assert naming.test_rule_priority(rule.priority) in state.priorities


def test_a_deleted_version_takes_its_header_rule_with_it(live_world: World):
    live_world.deploy_version("v4")
    live_world.delete_version_out_of_band("v4")

    assert set(header_routes(live_world)) == {"v1", "v2"}
