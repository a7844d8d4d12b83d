"""Rule priorities: the same one on re-runs, different ones for concurrent deploys, a full listener refused."""

from __future__ import annotations

import itertools
import os
import random
import statistics
import subprocess
import sys

import pytest

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.listener import Application, ListenerState, VersionRule, read_listener
from stacker_ecs.core.ops.lookups import RulePriorityQuery, find_rule_priority
from stacker_ecs.core.ops.priority import MAX_PRIORITY, choose_priority, start_priority
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


def priority_for(world: World, version: str, max_rules: int = 100) -> int:
    """Return what the ``alb_rule_priority`` lookup answers for ``version``."""
    return find_rule_priority(AwsContext.create(world.session), RulePriorityQuery(app=APP, namespace=NAMESPACE,
                                                                                  version=version,
                                                               max_rules=max_rules))


def test_existing_version_gets_the_priority_its_rule_already_has(world: World, deploy_version):
    deploy_version("v1")
    deployed = read_listener(AwsContext.create(world.session), NAMESPACE, APP).rules["v1"].priority

    assert priority_for(world, "v1") == deployed
    assert priority_for(world, "v1") == deployed


def test_two_new_versions_get_different_priorities_from_the_same_listener_state(world: World):
    world.deploy_version("v1")
    # Two pipelines ask at the same moment, before either version is deployed.
    first, second = priority_for(world, "v4"), priority_for(world, "v5")

    assert first != second
    world.deploy_version("v4", RulePriority=first)
    world.deploy_version("v5", RulePriority=second)
    rules = read_listener(AwsContext.create(world.session), NAMESPACE, APP).rules
    assert (rules["v4"].priority, rules["v5"].priority) == (first, second)


def test_twelve_versions_each_get_their_own_priority(world: World):
    for index in range(1, 13):
        world.deploy_version(f"b{index}")

    rules = read_listener(AwsContext.create(world.session), NAMESPACE, APP).rules

    assert len({rule.priority for rule in rules.values()}) == 12


def test_full_listener_is_refused_with_a_message_naming_cleanup(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")

    with pytest.raises(AwsStateError) as caught:
        priority_for(world, "v4", max_rules=2)

    message = str(caught.value)
    assert "the listener has 4 rules and a version needs 2 more, above the limit of 2" in message
    assert "cleanup" in message
    assert message.startswith("web/v4: ")


def test_full_listener_still_answers_for_a_version_it_already_has(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")

    assert priority_for(world, "v2", max_rules=2) == read_listener(AwsContext.create(world.session), NAMESPACE,
                                                                   APP).rules["v2"].priority


VERSIONS = [f"v{i}" for i in range(1, 201)] + [f"42-b{i:04x}" for i in range(200)]


def taken_around(start: int, rng: random.Random, count: int) -> list[int]:
    """Return ``count`` taken priorities, the version's start and its neighbourhood among them."""
    near = [(start - 1 + offset) % MAX_PRIORITY + 1 for offset in range(-count // 2, count // 2)]
    return near + [rng.randint(1, MAX_PRIORITY) for _ in range(count)]


@pytest.mark.parametrize("taken_count", [0, 1, 10, 99], ids=lambda n: f"{n}-taken")
def test_a_new_version_always_gets_a_free_priority_in_range(taken_count):
    rng = random.Random(taken_count)
    for version in VERSIONS:
        state = state_with(*taken_around(choose_priority(state_with(), version, max_rules=1000), rng, taken_count))

        priority = choose_priority(state, version, max_rules=1000)

        assert priority not in state.priorities, (version, priority)
        assert naming.test_rule_priority(priority) not in state.priorities, (version, priority, "its test-header rule")
        assert 1 <= priority <= MAX_PRIORITY
        # a version takes two rules: a free start whose neighbour (its test-header rule's priority) is taken is passed
        start = choose_priority(state_with(), version, max_rules=1000)
        assert choose_priority(state_with(naming.test_rule_priority(start)), version, max_rules=1000) != start


def test_the_same_listener_state_always_gives_the_same_priority():
    rng = random.Random(7)
    for version in VERSIONS[:50]:
        taken = taken_around(choose_priority(state_with(), version, max_rules=1000), rng, 40)

        answers = {choose_priority(state_with(*taken), version, max_rules=1000) for _ in range(3)}
        answers.add(choose_priority(state_with(*reversed(taken)), version, max_rules=1000))

        assert len(answers) == 1, (version, answers)


def test_priorities_are_the_same_in_another_process_with_another_hash_seed():
    code = ("from stacker_ecs.core.ops.priority import start_priority; "
            f"print([start_priority('web', v) for v in {VERSIONS[:20]!r}])")
    answers = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}

    assert answers == {f"{[start_priority('web', v) for v in VERSIONS[:20]]}\n"}


def test_two_versions_deployed_at_once_from_the_same_state_get_priorities_far_apart():
    state = state_with(*range(1, 30), rules={"v0": 30})
    distances = []
    for first, second in itertools.pairwise(VERSIONS):
        a, b = choose_priority(state, first, max_rules=1000), choose_priority(state, second, max_rules=1000)
        distances.append(min(abs(a - b), MAX_PRIORITY - abs(a - b)))

    assert min(distances) > 0, "two versions got the same priority"
    assert statistics.median(distances) > MAX_PRIORITY // 8, "priorities cluster: concurrent deploys would race"
    assert sum(d < 100 for d in distances) <= len(distances) // 100


def test_the_same_version_of_two_apps_starts_at_different_priorities():
    assert all(start_priority("web", v) != start_priority("api", v) for v in VERSIONS)


@pytest.mark.parametrize(("rules", "max_rules", "outcome"), [
    ({"v1": 7}, 1, 7),
    ({"v1": 7, "v2": 8}, 2, AwsStateError),
    ({"v1": 7}, 2, AwsStateError),
    ({"v1": 7}, 3, "new"),
    ({}, 2, "new"),
], ids=["existing-on-full-listener", "new-on-full-listener", "room-for-one-rule-not-two", "room-for-two-more",
        "empty"])
def test_choose_priority_refuses_only_a_new_version_on_a_full_listener(rules, max_rules, outcome):
    state = state_with(rules=rules)
    version = "v1" if outcome == 7 else "v9"

    if outcome is AwsStateError:
        with pytest.raises(AwsStateError, match="limit of 2; run the cleanup hook"):
            choose_priority(state, version, max_rules=max_rules)
    else:
        expected = outcome if outcome == 7 else start_priority(APP, version)
        assert choose_priority(state, version, max_rules=max_rules) == expected
