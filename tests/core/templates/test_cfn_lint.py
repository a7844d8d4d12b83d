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
