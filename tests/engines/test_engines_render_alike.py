"""The three engines render the same template for the same variables."""

from __future__ import annotations

import pytest

from stacker_ecs.core.contract import FINGERPRINT as FINGERPRINT_OUTPUT
from tests.blueprints.test_blueprints_render import APPLICATION_VARIABLES, CLUSTER_VARIABLES, VERSION_VARIABLES
from tests.engines.render_support import cfngin_template, sceptre_template, stacker_template

CASES = [
    ("cluster", "cluster", CLUSTER_VARIABLES),
    ("application", "app-web", APPLICATION_VARIABLES),
    ("version", "app-web-V-v1", VERSION_VARIABLES),
]


@pytest.mark.parametrize(("kind", "name", "variables"), CASES, ids=[c[0] for c in CASES])
def test_cfngin_and_sceptre_render_exactly_what_stacker_renders(kind, name, variables):
    expected = stacker_template(kind, name, variables)
    # every engine's Version adapter adds the Fingerprint output its in-place-change refusal reads
    assert (FINGERPRINT_OUTPUT in expected["Outputs"]) == (kind == "version")
    assert cfngin_template(kind, name, variables) == expected
    assert sceptre_template(kind, f"dev/{name}", f"ecs-dev-{name}", variables) == expected
