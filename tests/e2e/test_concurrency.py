"""Twenty pipelines across five apps at once, with cutovers and cleanups interleaved, against one server."""

from __future__ import annotations

import pytest

from emulator import concurrency
from emulator.server import client_env, moto_server

pytestmark = pytest.mark.e2e


def test_concurrent_deploys_cutovers_and_cleanups_lose_nothing_and_collide_nowhere(monkeypatch):
    with moto_server() as url:
        for key, value in client_env(url).items():
            monkeypatch.setenv(key, value)
        # when
        outcome = concurrency.run(apps=5, versions_per_app=4, cleanup_rounds=2)
    # then
    print(outcome.summary())
    assert outcome.deploys == 20
    assert outcome.failed_deploys == []
    assert outcome.priority_collisions == 0
    assert outcome.live_versions_lost == []
    assert outcome.cleanups == 10
    assert outcome.deleted > 0  # cleanup really ran beside the cutovers
