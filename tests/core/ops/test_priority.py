"""Rule priorities: the same one on re-runs, different ones for concurrent deploys, a full listener refused."""

from __future__ import annotations

import pytest

from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.listener import Application, ListenerState, VersionRule, read_listener
from stacker_ecs.core.ops.priority import MAX_PRIORITY, STRIDE, choose_priority, start_priority
from stacker_ecs.core.ops.queries import RulePriorityQuery, find_rule_priority
from tests.core.ops.conftest import APP, NAMESPACE, World

APPLICATION = Application(namespace=NAMESPACE, app=APP, stack_name="ecs-dev-app-web", listener_arn="listener",
                          cluster_name="cluster", domain="dev.example.com")


def state_with(*priorities: int, rules: dict[str, int] | None = None) -> ListenerState:
    """Return a listener state whose taken priorities are ``priorities`` plus those of ``rules``."""
    versions = {v: VersionRule(version=v, priority=p, target_group_arn=f"tg-{v}", rule_arn=f"rule-{v}")
                for v, p in (rules or {}).items()}
    taken = frozenset(priorities) | {r.priority for r in versions.values()}
    return ListenerState(application=APPLICATION, forward={}, rules=versions, priorities=taken,
                         rule_count=len(taken))


def next_after(priority: int) -> int:
    """Return the priority the search tries after ``priority``."""
    return (priority - 1 + STRIDE) % MAX_PRIORITY + 1


def priority_for(world: World, version: str, max_rules: int = 100) -> int:
    """Return what the ``alb_rule_priority`` lookup answers for ``version``."""
    return find_rule_priority(world.session, RulePriorityQuery(app=APP, namespace=NAMESPACE, version=version,
                                                               max_rules=max_rules))


def test_existing_version_gets_the_priority_its_rule_already_has(world: World, deploy_version):
    deploy_version("v1")
    deployed = read_listener(world.session, NAMESPACE, APP).rules["v1"].priority

    assert priority_for(world, "v1") == deployed
    assert priority_for(world, "v1") == deployed


def test_two_new_versions_get_different_priorities_from_the_same_listener_state(world: World):
    world.deploy_version("v1")
    # Two pipelines ask at the same moment, before either version is deployed.
    first, second = priority_for(world, "v4"), priority_for(world, "v5")

    assert first != second
    world.deploy_version("v4", RulePriority=first)
    world.deploy_version("v5", RulePriority=second)
    rules = read_listener(world.session, NAMESPACE, APP).rules
    assert (rules["v4"].priority, rules["v5"].priority) == (first, second)


def test_twelve_versions_each_get_their_own_priority(world: World):
    for index in range(1, 13):
        world.deploy_version(f"b{index}")

    rules = read_listener(world.session, NAMESPACE, APP).rules

    assert len({rule.priority for rule in rules.values()}) == 12


def test_full_listener_is_refused_with_a_message_naming_cleanup(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")

    with pytest.raises(AwsStateError) as caught:
        priority_for(world, "v4", max_rules=2)

    message = str(caught.value)
    assert "the listener has 2 rules, the limit of 2" in message
    assert "cleanup" in message
    assert message.startswith("web/v4: ")


def test_full_listener_still_answers_for_a_version_it_already_has(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")

    assert priority_for(world, "v2", max_rules=2) == read_listener(world.session, NAMESPACE, APP).rules["v2"].priority


@pytest.mark.parametrize(("version", "taken", "expected"), [
    ("v1", [], lambda s: s),
    ("v1", ["start"], lambda s: next_after(s)),
    ("v1", ["start", "next"], lambda s: next_after(next_after(s))),
    ("v1", [1, 2, 3], lambda s: s),
], ids=["free-start", "start-taken", "start-and-next-taken", "others-taken"])
def test_choose_priority_searches_from_the_versions_start_by_a_fixed_stride(version, taken, expected):
    start = start_priority(APP, version)
    resolved = [start if t == "start" else next_after(start) if t == "next" else t for t in taken]

    assert choose_priority(state_with(*resolved), version, max_rules=100) == expected(start)


@pytest.mark.parametrize(("priority", "expected"), [
    (1, 1 + STRIDE),
    (MAX_PRIORITY - STRIDE, MAX_PRIORITY),
    (MAX_PRIORITY - STRIDE + 1, 1),
    (MAX_PRIORITY, STRIDE),
], ids=["low", "to-the-top", "wraps-to-1", "from-the-top"])
def test_the_search_step_stays_within_1_and_50000(priority, expected):
    assert next_after(priority) == expected
    assert 1 <= expected <= MAX_PRIORITY


def test_the_stride_visits_every_priority_once_before_repeating():
    seen, priority = set(), 1
    for _ in range(MAX_PRIORITY):
        seen.add(priority)
        priority = next_after(priority)

    assert priority == 1
    assert len(seen) == MAX_PRIORITY


@pytest.mark.parametrize(("rules", "max_rules", "outcome"), [
    ({"v1": 7}, 1, 7),
    ({"v1": 7, "v2": 8}, 2, AwsStateError),
    ({"v1": 7}, 2, "new"),
    ({}, 1, "new"),
], ids=["existing-on-full-listener", "new-on-full-listener", "room-for-one-more", "empty"])
def test_choose_priority_refuses_only_a_new_version_on_a_full_listener(rules, max_rules, outcome):
    state = state_with(rules=rules)
    version = "v1" if outcome == 7 else "v9"

    if outcome is AwsStateError:
        with pytest.raises(AwsStateError, match="limit of 2; run the cleanup hook"):
            choose_priority(state, version, max_rules=max_rules)
    else:
        expected = outcome if outcome == 7 else start_priority(APP, version)
        assert choose_priority(state, version, max_rules=max_rules) == expected


@pytest.mark.parametrize(("app", "version"), [("web", "v1"), ("web", "v2"), ("api", "v1"), ("web", "42-b4c1e")])
def test_start_priority_is_a_stable_hash_of_app_and_version_within_range(app, version):
    assert start_priority(app, version) == start_priority(app, version)
    assert 1 <= start_priority(app, version) <= MAX_PRIORITY


def test_start_priority_differs_between_versions_and_between_apps():
    starts = {start_priority("web", f"v{i}") for i in range(1, 51)}

    assert len(starts) == 50
    assert start_priority("web", "v1") != start_priority("api", "v1")
