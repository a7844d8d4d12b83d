"""Golden templates: a rendered template must match its file in tests/fixtures/templates."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest
from troposphere import Template

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "templates"


def props_of(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """Return the properties of the one resource of ``resource_type`` in ``template``."""
    found = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0].get("Properties", {})


def assert_matches_golden(template: Template, variant: str) -> None:
    """Compare ``template`` with tests/fixtures/templates/<variant>.json (UPDATE_GOLDEN=1 rewrites it)."""
    rendered = template.to_json() + "\n"
    path = GOLDEN_DIR / f"{variant}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered)
        return
    assert path.is_file(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    expected = path.read_text()
    if rendered != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), rendered.splitlines(keepends=True),
            fromfile=f"golden {variant}.json", tofile="rendered now"))
        pytest.fail(f"{variant}: rendered template differs from {path}; if the change is intended, rerun "
                    f"with UPDATE_GOLDEN=1 and review the fixture's diff\n{diff}", pytrace=False)
