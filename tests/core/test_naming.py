"""Names cannot collide: proved with Hypothesis over every app and version the validators accept.

Each property is stated both ways: a name decodes back to exactly the (app, version) it was made
from (which makes it injective over the whole accepted set), and the pairs that collided under the
old ``<app>-<version>`` scheme (the same characters split at another ``-``) get different names.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from stacker_ecs.core import naming
from stacker_ecs.core.validation import check_name, check_version

NAMESPACE = "ecs-dev"
DOMAIN = "dev.example.com"

# Exactly the validators' languages: a letter (app) or letter/digit (version) first, then letters,
# digits and single '-', never a trailing '-', at most 40 characters.
apps = st.from_regex(r"\A[a-z](?:-?[a-z0-9]){0,39}\Z").filter(lambda s: len(s) <= 40)
versions = st.from_regex(r"\A[a-z0-9](?:-?[a-z0-9]){0,39}\Z").filter(lambda s: len(s) <= 40)
pairs = st.tuples(apps, versions)


def _names(app: str, version: str) -> dict[str, str]:
    return {
        "stack": naming.version_stack(NAMESPACE, app, version),
        "service": naming.service_name(app, version),
        "host": naming.version_host(app, version, DOMAIN),
        "log prefix": naming.log_stream_prefix(app, version),
    }


def _resplits(app: str, version: str) -> list[tuple[str, str]]:
    """Return the other (app, version) pairs made of the same characters split at another '-'."""
    joined = f"{app}-{version}"
    cuts = [i for i, c in enumerate(joined) if c == "-" and i != len(app)]
    return [(joined[:i], joined[i + 1:]) for i in cuts]


def _accepted(app: str, version: str) -> bool:
    try:
        check_name("app", app)
        check_version(version)
    except ValueError:
        return False
    return True


@given(pairs)
def test_the_strategies_generate_only_what_the_validators_accept(pair):
    assert _accepted(*pair)


@given(pairs)
@example(("web", "admin-v1"))
@example(("web-admin", "v1"))
def test_every_version_name_decodes_back_to_its_own_app_and_version(pair):
    app, version = pair
    names = _names(app, version)
    assert naming.version_from_stack(NAMESPACE, app, names["stack"]) == version
    assert naming.version_from_host(app, names["host"]) == version
    assert naming.FORBIDDEN not in names["stack"]
    assert len(names["host"]) <= len(DOMAIN) + 82 <= naming.MAX_HOST
    for other_app, _ in _resplits(app, version):
        if _accepted(other_app, "x"):
            assert naming.version_from_stack(NAMESPACE, other_app, names["stack"]) is None
            assert naming.version_from_host(other_app, names["host"]) is None


@given(pairs)
@example(("web", "admin-v1"))
@example(("a", "b-c-d"))
def test_pairs_that_collided_under_the_old_scheme_get_different_names(pair):
    names = _names(*pair)
    others = [p for p in _resplits(*pair) if _accepted(*p)]
    for other in others:
        other_names = _names(*other)
        for kind, name in names.items():
            assert other_names[kind] != name, (kind, pair, other)


@given(pairs, pairs)
def test_different_pairs_never_share_any_name(one, two):
    if one == two:
        return
    first, second = _names(*one), _names(*two)
    for kind in first:
        assert first[kind] != second[kind], kind


@given(apps, pairs)
@example("web-v2", ("web", "v2"))
@example("web-admin-v1", ("web-admin", "v1"))
@example("web-v-v2", ("web", "v2"))  # the app name holds the separator in lower case
def test_no_application_stack_or_app_host_equals_a_version_stack_or_host(app, pair):
    assert naming.application_stack(NAMESPACE, app) != naming.version_stack(NAMESPACE, *pair)
    assert naming.app_host(app, DOMAIN) != naming.version_host(*pair, DOMAIN)
    assert naming.cluster_stack(NAMESPACE) not in {naming.application_stack(NAMESPACE, app),
                                                   naming.version_stack(NAMESPACE, *pair)}
    assert naming.version_from_stack(NAMESPACE, pair[0], naming.application_stack(NAMESPACE, app)) is None


@given(apps, apps)
def test_application_stacks_hosts_and_wildcards_are_one_per_app(one, two):
    if one == two:
        return
    assert naming.application_stack(NAMESPACE, one) != naming.application_stack(NAMESPACE, two)
    assert naming.app_host(one, DOMAIN) != naming.app_host(two, DOMAIN)
    assert naming.version_wildcard(one, DOMAIN) != naming.version_wildcard(two, DOMAIN)
    assert naming.task_family(one, "dev") != naming.task_family(two, "dev")


@given(pairs)
def test_a_version_host_is_covered_by_its_own_apps_wildcard_only(pair):
    app, version = pair
    host = naming.version_host(app, version, DOMAIN)
    wildcard = naming.version_wildcard(app, DOMAIN)
    assert host.split(".", 1)[1] == wildcard.split(".", 1)[1]


@pytest.mark.parametrize(("one", "two"), [
    (("web", "v2"), ("web-v2", None)),
    (("web", "admin-v1"), ("web-admin", "v1")),
])
def test_the_collisions_the_issue_reported_are_gone(one, two):
    app, version = one
    other_app, other_version = two
    if other_version is None:
        assert naming.version_stack(NAMESPACE, app, version) != naming.application_stack(NAMESPACE, other_app)
        assert naming.version_host(app, version, DOMAIN) != naming.app_host(other_app, DOMAIN)
    else:
        assert _names(app, version).items().isdisjoint(_names(other_app, other_version).items())


@pytest.mark.parametrize(("value", "rule"), [
    ("a" * 41, "'" + "a" * 41 + "' is 41 characters long; use at most 40"),
    ("web--admin", "contains '--'"),
    ("web-", "ends with '-'; end it with a letter or digit"),
    ("-web", "starts with '-'; start it with a letter"),
    ("Web", "has 'W', which is not allowed in stack and host names"),
], ids=["too-long", "double-dash", "trailing-dash", "leading-dash", "upper-case"])
def test_names_outside_that_language_are_refused_naming_the_rule_broken(value: str, rule: str):
    for check in (lambda v: check_name("app", v), check_version):
        with pytest.raises(ValueError, match=re.escape(rule)):
            check(value)
