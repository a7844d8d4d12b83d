"""The app's dashboard follows the versions in play: rewritten by cutover, each canary step and rollback."""

from __future__ import annotations

import json
from typing import Any

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.dashboard import dashboard_name
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.status import StatusArgs, format_app, status
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def record_bodies(world: World) -> list[dict[str, Any]]:
    """Return a list that fills with each dashboard body written."""
    bodies: list[dict[str, Any]] = []
    world.session.events.register("provide-client-params.cloudwatch.PutDashboard",
                                  lambda params, **_: bodies.append(json.loads(params["DashboardBody"])))
    return bodies


def versions_in(body: dict[str, Any]) -> set[str]:
    """Return the ``version (role)`` labels of the body's lines."""
    return {m[-1]["label"] for w in body["widgets"] for m in w["properties"]["metrics"]
            if isinstance(m[-1], dict) and "(" in m[-1].get("label", "") and "%" not in m[-1]["label"]}


def test_the_dashboard_shows_exactly_the_versions_in_play_after_each_step_and_the_cutover(live_world: World,
                                                                                           fake_time: FakeTime):
    live_world.deploy_version("v3", 1)  # deployed, not in play
    live_world.sync()
    bodies = record_bodies(live_world)
    aws = AwsContext.create(live_world.session, clock=fake_time.clock)

    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10, 50], bake_seconds=60))

    assert [versions_in(b) for b in bodies] == [{"v1 (live)", "v2 (canary)"}, {"v1 (live)", "v2 (canary)"},
                                                {"v2 (live)", "v1 (previous)"}]
    share = bodies[0]["widgets"][-1]["properties"]["metrics"][-1][0]
    assert share["label"] == "live share (%)"
    stored = live_world.session.client("cloudwatch").get_dashboard(DashboardName=dashboard_name(NAMESPACE, APP))
    assert json.loads(stored["DashboardBody"]) == bodies[-1]
    # rollback rewrites it too; status prints its URL
    rollback(aws, RollbackArgs(app=APP, namespace=NAMESPACE))
    assert versions_in(bodies[-1]) == {"v1 (live)", "v2 (previous)"}
    text = format_app(status(aws, StatusArgs(app=APP, namespace=NAMESPACE)))
    assert f"#dashboards:name={NAMESPACE}-{APP}" in text


def test_cleanup_rewrites_the_dashboard_without_the_deleted_versions_and_keeps_the_previous_one(
        live_world: World, fake_time: FakeTime):
    bodies = record_bodies(live_world)
    aws = AwsContext.create(live_world.session, clock=fake_time.clock)
    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))  # v1 previous
    live_world.deploy_version("v3", 1)
    live_world.sync()
    written = len(bodies)

    result = cleanup(aws, CleanupArgs(app=APP, namespace=NAMESPACE, in_flight_hours=0))

    assert result["deleted"] == ["v3"]
    assert [versions_in(b) for b in bodies[written:]] == [{"v2 (live)", "v1 (previous)"}]


def test_the_platform_can_turn_the_dashboard_off(live_world: World, fake_time: FakeTime):
    bodies = record_bodies(live_world)
    aws = AwsContext.create(live_world.session, clock=fake_time.clock)
    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, dashboard=False))
    assert bodies == []
    assert live_world.live_version() == "v2"
