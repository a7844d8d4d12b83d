"""Twenty pipelines across five apps at once, with cutovers and cleanups interleaved, against one server."""

from __future__ import annotations

import pytest

from emulator.server import client_env, moto_server
from tests.e2e import scenario

pytestmark = pytest.mark.e2e
APPS = 5
PIPELINES_PER_APP = 4


def test_concurrent_deploys_cutovers_and_cleanups_lose_nothing_and_collide_nowhere(monkeypatch):
    with moto_server() as url:
        for key, value in client_env(url).items():
            monkeypatch.setenv(key, value)
        # when
        outcome = scenario.run(apps=APPS, versions_per_app=PIPELINES_PER_APP, cleanup_rounds=2)
    # then
    print(outcome.summary())
    assert outcome.deploys == APPS * PIPELINES_PER_APP
    assert outcome.failed_deploys == []
    assert outcome.priority_collisions == 0
    assert outcome.live_versions_lost == []
    # Cleanup keeps the newest PIPELINES_PER_APP versions besides live and previous, so a pipeline's
    # version is never deleted under it, and every cutover of a healthy version goes through.
    assert outcome.cutovers_refused == []
    assert outcome.cutovers == APPS * PIPELINES_PER_APP
    # Every cleanup finished (one when the app's pipelines have verified, two rounds beside the pipelines,
    # one after), and what cleanup deleted was only ever the two old versions of each app.
    assert outcome.failed_cleanups == []
    assert outcome.cleanups == APPS * (1 + 2 + 1)
    # The round run once an app's pipelines have verified, with default settings, planned around the
    # live version (v0, older than every version in flight): only cleanup's live-version guards kept it.
    assert sorted(outcome.live_reached) == [f"app{i}/v0" for i in range(1, APPS + 1)]
    assert {deleted.split("/")[0] for deleted in outcome.deleted} == {f"app{i}" for i in range(1, APPS + 1)}
    assert {deleted.split("/")[1] for deleted in outcome.deleted} <= {"old1", "old2"}
