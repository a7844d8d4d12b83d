"""The real Sceptre CLI (``sceptre launch -y dev``) on the example project, against moto_server.

Sceptre waits a fixed 4 s per stack state check, so this is one lean lifecycle.
"""

from __future__ import annotations

import pytest

from emulator.engines import Sceptre, copy_config
from stacker_ecs.core import naming
from tests.e2e.engine_support import NAMESPACE, listener_weights, stack_names, versions

pytestmark = pytest.mark.e2e


@pytest.fixture
def sceptre(emulator, tmp_path) -> Sceptre:
    """``sceptre launch`` of a copy of config/sceptre, with the emulator's ids; a failing check gives up after 60 s."""
    return Sceptre(copy_config(tmp_path), emulator.env,
                   values={**emulator.world, "health_timeout_seconds": 60, "cleanup_keep_last": 0,
                           "cleanup_in_flight_hours": 0})


def test_the_lifecycle_runs_end_to_end_through_sceptre_launch(emulator, sceptre):
    session = emulator.session
    # deploy, verify and cut over v1: Sceptre names the stacks as hooks and resolvers find them
    first = sceptre.run(web_version="v1", verify="true", cutover="true")
    assert first.returncode == 0, first.stderr
    assert {naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, "web"),
            naming.version_stack(NAMESPACE, "web", "v1")} <= stack_names(session)
    assert listener_weights(session) == {"v1": 1}
    # v2 beside it, verified and cut over
    second = sceptre.run(web_version="v2", verify="true", cutover="true")
    assert second.returncode == 0, second.stderr
    assert listener_weights(session) == {"v2": 1, "v1": 0}
    # roll back
    back = sceptre.run(web_version="v2", rollback="true")
    assert back.returncode == 0, back.stderr
    assert listener_weights(session) == {"v1": 1, "v2": 0}
    # a broken v3 fails verification: one line with the cause (a SceptreException), exit 1, v1 stays live
    broken = sceptre.run(web_version="v3", verify="true")
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1
    assert ("ecs_verify_health failed: web/v3: 3 tasks stopped before becoming healthy: "
            "CannotPullContainerError") in output
    assert "Traceback" not in output
    assert listener_weights(session) == {"v1": 1, "v2": 0}
    # and cutting over to it anyway is refused
    refused = sceptre.run(web_version="v3", cutover="true")
    assert refused.returncode == 1
    assert "ecs_cutover failed: web/v3" in refused.stdout + refused.stderr
    assert listener_weights(session) == {"v1": 1, "v2": 0}
    # cleanup deletes v3 and keeps live v1 and previous v2
    clean = sceptre.run(web_version="v1", cleanup="true")
    assert clean.returncode == 0, clean.stderr
    assert versions(session) == {"v1", "v2"}
