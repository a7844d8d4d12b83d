"""status: every version of an app at a glance, which one is live, and how healthy each is."""

from __future__ import annotations

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.status import VersionStatus, describe_status, format_status
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World


def test_status_has_a_row_per_version_newest_first_with_role_counts_and_url(live_world: World, fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)
    live_world.deploy_version("v3")
    live_world.sync()  # v3 is broken: no targets

    rows = describe_status(AwsContext.create(live_world.session), NAMESPACE, APP)

    assert [(r.version, r.role, r.desired, r.running, r.healthy) for r in rows] == [
        ("v3", "", 1, 0, 0), ("v2", "live", 2, 2, 2), ("v1", "previous", 2, 2, 2)]
    assert rows[1] == VersionStatus(version="v2", stack="ecs-dev-app-web-V-v2", stack_status="CREATE_COMPLETE",
                                    desired=2, running=2, healthy=2, role="live",
                                    url="https://v2.web.dev.example.com", traffic_percent=100)


def test_status_table_shows_versions_live_marker_urls_desired_running_and_healthy(live_world: World,
                                                                                  fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)

    table = format_status(describe_status(AwsContext.create(live_world.session), NAMESPACE, APP)).splitlines()

    assert table[0].split() == ["VERSION", "STACK", "STATUS", "DESIRED/RUNNING", "HEALTHY", "LIVE", "TRAFFIC", "URL"]
    assert table[1].split() == ["v2", "ecs-dev-app-web-V-v2", "CREATE_COMPLETE", "2/2", "2", "*", "100%",
                                "https://v2.web.dev.example.com"]
    assert table[2].split() == ["v1", "ecs-dev-app-web-V-v1", "CREATE_COMPLETE", "2/2", "2", "previous", "-",
                                "https://v1.web.dev.example.com"]
    assert len({line.index("URL") if i == 0 else line.index("https://") for i, line in enumerate(table)}) == 1, \
        "columns line up"


def test_status_of_an_app_without_versions_says_so(world: World):
    assert describe_status(AwsContext.create(world.session), NAMESPACE, APP) == []
    assert format_status([]).splitlines()[-1] == "(no version stacks)"


def test_status_shows_dashes_for_a_version_whose_service_is_gone():
    row = VersionStatus(version="v7", stack="ecs-dev-app-web-V-v7", stack_status="ROLLBACK_COMPLETE", desired=None,
                        running=None, healthy=None, role="", url="https://v7.web.dev.example.com")

    assert format_status([row]).splitlines()[1].split() == [
        "v7", "ecs-dev-app-web-V-v7", "ROLLBACK_COMPLETE", "-/-", "-", "-", "https://v7.web.dev.example.com"]

