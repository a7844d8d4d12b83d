"""The real Runway CLI (``runway deploy --ci``, CFNgin inside) on the example config, against moto_server."""

from __future__ import annotations

import pytest

from emulator.engines import Runway, copy_config
from stacker_ecs.core import naming
from tests.e2e.engine_support import NAMESPACE, listener_weights, stack_names, versions

pytestmark = pytest.mark.e2e


@pytest.fixture
def runway(emulator, tmp_path) -> Runway:
    """``runway deploy`` of a copy of config/, with the emulator's ids; a failing check gives up after 60 s."""
    return Runway(copy_config(tmp_path), emulator.env,
                  values={**emulator.world, "health_timeout_seconds": "60", "cleanup_keep_last": "0",
                          "cleanup_in_flight_hours": "0"})


def test_the_lifecycle_runs_end_to_end_through_runway_deploy(emulator, runway):
    session = emulator.session
    # deploy, verify and cut over v1: the three stacks exist and v1 takes all traffic (weight 1, the only one above 0)
    first = runway.run(web_version="v1", verify="true", cutover="true")
    assert first.returncode == 0, first.stderr
    assert {naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, "web"),
            naming.version_stack(NAMESPACE, "web", "v1")} <= stack_names(session)
    assert listener_weights(session) == {"v1": 1}
    # v2 beside it, verified and cut over; v1 stays recorded at weight 0
    second = runway.run(web_version="v2", verify="true", cutover="true")
    assert second.returncode == 0, second.stderr
    assert listener_weights(session) == {"v2": 1, "v1": 0}
    # roll back: one listener change
    back = runway.run(web_version="v2", rollback="true")
    assert back.returncode == 0, back.stderr
    assert listener_weights(session) == {"v1": 1, "v2": 0}
    # a broken v3 fails verification with the cause in one message, exit 1, and v1 stays live
    broken = runway.run(web_version="v3", verify="true")
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1
    assert "verify_health failed: web/v3: 3 tasks stopped before becoming healthy: CannotPullContainerError" in output
    assert "Traceback" not in output
    assert listener_weights(session) == {"v1": 1, "v2": 0}
    # cleanup deletes v3 and keeps live v1 and previous v2
    clean = runway.run(web_version="v1", cleanup="true")
    assert clean.returncode == 0, clean.stderr
    assert versions(session) == {"v1", "v2"}
    assert listener_weights(session) == {"v1": 1, "v2": 0}
