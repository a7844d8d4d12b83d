"""Every template the example config produces passes cfn-lint without errors or warnings."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from variants import REGIONS, VARIANTS


def describe(match: Any) -> str:
    """Return one line per cfn-lint finding: rule, message, where."""
    path = "/".join(str(p) for p in getattr(match, "path", None) or [])
    return f"{match.rule.id} {match.message} (line {match.linenumber}{', ' + path if path else ''})"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_cfn_lint_finds_no_errors_or_warnings_in_the_example_template(variant: str):
    # given
    rendered = VARIANTS[variant]().to_json()

    # when
    matches = lint(rendered, config=ManualArgs(regions=REGIONS))

    # then
    findings = [describe(m) for m in matches if m.rule.id[0] in "EW"]
    assert not findings, f"{variant}: cfn-lint findings:\n  " + "\n  ".join(findings)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_resource_takes_a_new_stack_tag_in_place(variant: str):
    # `stacker-ecs adopt` tags a stack made before the app tag with an UpdateStack that keeps its template:
    # CloudFormation passes stack tags on to each resource that takes tags, and a resource whose tags cannot
    # be updated (or whose tag property is create-only) would be replaced, a live version's task definition or
    # service among them. The resource schemas cfn-lint ships (AWS's registry schemas) say which.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    replaced = []
    for name, resource in VARIANTS[variant]().resources.items():
        for region in REGIONS:
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource.resource_type).schema
            tagging = schema.get("tagging", {})
            prop = tagging.get("tagProperty", "/properties/Tags")
            if tagging.get("taggable", True) and (not tagging.get("tagUpdatable", True)
                                                  or prop in schema.get("createOnlyProperties", [])):
                replaced.append(f"{name} ({resource.resource_type}, {region})")

    assert replaced == [], f"{variant}: a new stack tag would replace {replaced}"
