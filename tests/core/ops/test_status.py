"""status: every version of an app at a glance, which one is live, and how healthy each is."""

from __future__ import annotations

from botocore.stub import Stubber

from emulator.calls import CallCounter
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.protection import PROTECTED
from stacker_ecs.core.ops.status import (
    UnownedTargetGroup,
    VersionStatus,
    describe_app,
    describe_environment,
    describe_status,
    format_app,
    format_status,
)
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
                                    url="https://v2.web.dev.example.com", traffic_percent=100, protected=True)


def test_status_table_shows_versions_live_marker_urls_desired_running_and_healthy(live_world: World,
                                                                                  fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)

    table = format_status(describe_status(AwsContext.create(live_world.session), NAMESPACE, APP)).splitlines()

    assert table[0].split() == ["VERSION", "STACK", "STATUS", "DESIRED/RUNNING", "HEALTHY", "LIVE", "TRAFFIC",
                                "PROTECTED", "URL"]
    assert table[1].split() == ["v2", "ecs-dev-app-web-V-v2", "CREATE_COMPLETE", "2/2", "2", "*", "100%", "yes",
                                "https://v2.web.dev.example.com"]
    assert table[2].split() == ["v1", "ecs-dev-app-web-V-v1", "CREATE_COMPLETE", "2/2", "2", "previous", "-", "yes",
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
        "v7", "ecs-dev-app-web-V-v7", "ROLLBACK_COMPLETE", "-/-", "-", "-", "no", "https://v7.web.dev.example.com"]



# ---- termination protection ------------------------------------------------------------------------

def _aws(world: World, fake_time: FakeTime) -> AwsContext:
    return AwsContext.create(world.session, clock=fake_time.clock)


def _unprotect_by_hand(world: World, version: str) -> None:
    world.session.client("cloudformation").update_termination_protection(
        StackName=naming.version_stack(NAMESPACE, APP, version), EnableTerminationProtection=False)


def test_status_shows_protection_per_version_and_no_warning_when_what_takes_traffic_is_protected(
        live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v3", termination_protection=False)
    live_world.sync()
    live_world.make_live("v2", fake_time.clock)  # v2 live, v1 previous: both protected by the cutover

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    assert [(r.version, r.role, r.protected) for r in status.rows] == [
        ("v3", "", False), ("v2", "live", True), ("v1", "previous", True)]
    assert status.warnings == []
    assert "warning" not in format_app(status)


def test_a_live_version_unprotected_by_hand_is_a_warning_naming_the_stack_and_the_command_that_repairs_it(
        live_world: World, fake_time: FakeTime):
    _unprotect_by_hand(live_world, "v1")

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    stack = naming.version_stack(NAMESPACE, APP, "v1")
    assert status.warnings == [
        f"v1 is live (100% of the traffic) but its stack {stack} has no termination protection: deleting the stack "
        "by hand would delete its service first and the app would answer 503 for that traffic. Switch it on: "
        f"`aws cloudformation update-termination-protection --enable-termination-protection --stack-name {stack}`"]
    assert f"warning: {status.warnings[0]}" in format_app(status).splitlines()
    # the suite's record says v1 is protected, so a re-run of the cutover would not repair it: not offered


def test_protection_an_interrupted_run_left_undone_is_a_warning_offering_the_cutover_rerun_that_repairs_it(
        live_world: World, fake_time: FakeTime):
    _unprotect_by_hand(live_world, "v1")
    app_records(_aws(live_world, fake_time), NAMESPACE, APP).update(set_docs={PROTECTED: {"versions": ["v1"],
                                                                                         "pending": True}})

    (warning,) = describe_app(_aws(live_world, fake_time), NAMESPACE, APP).warnings
    assert warning.endswith("or re-run `stacker-ecs cutover web v1 --namespace ecs-dev` (it moves no traffic and "
                            "finishes the protection an interrupted run left undone)")

    cutover(_aws(live_world, fake_time), CutoverArgs(app=APP, version="v1", namespace=NAMESPACE))

    assert live_world.termination_protection("v1")
    assert describe_app(_aws(live_world, fake_time), NAMESPACE, APP).warnings == []


def test_an_unprotected_previous_version_is_a_warning_that_rollback_to_it_would_fail(live_world: World,
                                                                                      fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)
    _unprotect_by_hand(live_world, "v1")

    (warning,) = describe_app(_aws(live_world, fake_time), NAMESPACE, APP).warnings

    assert warning.startswith("v1 is recorded as the previous live version (the rollback target) but its stack "
                              "ecs-dev-app-web-V-v1 has no termination protection: deleting the stack by hand would "
                              "delete its service first and rollback to it would fail.")


def test_an_idle_protected_version_is_a_warning_that_cleanup_keeps_it(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v3", termination_protection=True)

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    stack = naming.version_stack(NAMESPACE, APP, "v3")
    assert status.warnings == [
        f"v3 takes no traffic but its stack {stack} has termination protection on: cleanup keeps it. If it is no "
        f"longer needed: `aws cloudformation update-termination-protection --no-enable-termination-protection "
        f"--stack-name {stack}`"]


# ---- a live version whose stack is gone ---------------------------------------------------------------

def test_a_live_version_whose_stack_was_deleted_by_hand_names_the_target_group_no_stack_owns_and_the_fix(
        live_world: World, fake_time: FakeTime):
    orphan = live_world.target_group("v1")
    live_world.delete_version_out_of_band("v1")  # DELETE_FAILED on the target group, then deleted retaining it
    live_world.sync()  # ECS stops the deleted service's tasks: its targets are deregistered
    counter = CallCounter(live_world.session)

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    assert [r.version for r in status.rows] == ["v2"]
    assert status.unowned_target_groups == [UnownedTargetGroup(target_group_arn=orphan, weight=1,
                                                               traffic_percent=100, healthy=0)]
    name = orphan.split(":targetgroup/")[1].split("/")[0]
    assert status.warnings == [
        f"the live rule forwards 100% of the traffic to target group {name} ({orphan}), which no version stack owns "
        "(its stack was deleted, by hand?): its target group has no healthy target, so the app answers 503 for that "
        "traffic. Cut over to a healthy version (`stacker-ecs cutover web <version> --namespace ecs-dev`; healthy "
        "now: v2)"]
    # reads only, and one more call than a healthy app: the orphan's target health
    assert counter.mutating() == []
    assert counter.calls["elbv2.DescribeTargetHealth"] == 2
    assert counter.calls["cloudformation.DescribeStacks"] == 2  # the application stack and v2's, by name or id

    cutover(_aws(live_world, fake_time), CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))  # the fix works
    assert describe_app(_aws(live_world, fake_time), NAMESPACE, APP).warnings == []


def test_a_live_version_whose_delete_failed_is_named_with_its_stack_status_and_the_fix(live_world: World,
                                                                                       fake_time: FakeTime):
    _unprotect_by_hand(live_world, "v1")
    live_world.session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, "v1"))
    live_world.sync()

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    assert [(r.version, r.stack_status, r.role, r.traffic_percent) for r in status.rows] == [
        ("v2", "CREATE_COMPLETE", "", 0), ("v1", "DELETE_FAILED", "live", 100)]
    assert status.warnings == [
        "v1 is live (100% of the traffic) but its stack ecs-dev-app-web-V-v1 is DELETE_FAILED (deleted by hand?): its "
        "service is gone and its target group has no healthy target, so the app answers 503 for that traffic. Cut "
        "over to a healthy version (`stacker-ecs cutover web <version> --namespace ecs-dev`; healthy now: v2)"]


def test_a_live_version_deleted_by_hand_with_a_previous_version_offers_the_rollback_first(live_world: World,
                                                                                          fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)
    live_world.delete_version_out_of_band("v2")

    (warning,) = describe_app(_aws(live_world, fake_time), NAMESPACE, APP).warnings

    assert warning.endswith("Roll back to v1 (`stacker-ecs rollback web --namespace ecs-dev`), or cut over to a "
                            "healthy version (`stacker-ecs cutover web <version> --namespace ecs-dev`; healthy now: "
                            "v1)")
    assert "its 2 healthy targets stop with their tasks (no service replaces them)" in warning


def test_a_live_version_deleted_by_hand_offers_no_rollback_to_a_previous_version_deleted_too(live_world: World,
                                                                                            fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)  # v1 previous
    cloudformation = live_world.session.client("cloudformation")
    for version in ("v2", "v1"):
        _unprotect_by_hand(live_world, version)
        cloudformation.delete_stack(StackName=naming.version_stack(NAMESPACE, APP, version))
    live_world.sync()

    status = describe_app(_aws(live_world, fake_time), NAMESPACE, APP)

    assert [(r.version, r.stack_status, r.role) for r in status.rows] == [
        ("v2", "DELETE_FAILED", "live"), ("v1", "DELETE_FAILED", "previous")]
    (live,) = [w for w in status.warnings if w.startswith("v2 is live")]
    assert live.endswith("Deploy a version and cut over to it (`stacker-ecs cutover web <version> --namespace "
                         "ecs-dev`; no other version has healthy targets now)")
    assert "Roll back" not in live


def test_status_of_every_app_shows_the_protection_of_what_the_live_rule_reaches_and_warns(live_world: World,
                                                                                          fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)
    aws = _aws(live_world, fake_time)
    (summary,) = describe_environment(aws, NAMESPACE).apps
    assert (summary.live, summary.protected, summary.warnings) == ("v2", {"v1": True, "v2": True}, [])

    _unprotect_by_hand(live_world, "v1")
    text = format_app(describe_environment(aws, NAMESPACE))

    assert text.splitlines()[1].split()[:7] == ["web", "v2", "v2", "100%", "v1", "NO,", "v2"]
    assert text.splitlines()[-1] == ("warning: web: v1 is reached by the live rule but its stack has no termination "
                                     "protection; `stacker-ecs status web --namespace ecs-dev` says how to switch it "
                                     "on")

    live_world.delete_version_out_of_band("v2")
    (summary,) = describe_environment(aws, NAMESPACE).apps
    assert summary.live.startswith("? (ecs-dev-app-web-V-v")
    assert summary.warnings[0].startswith("web: the live rule forwards 100% of the traffic to target group "
                                          "ecs-dev-app-web-V-v")
    assert summary.warnings[0].endswith("which no version stack owns (deleted by hand?); `stacker-ecs status web "
                                        "--namespace ecs-dev` says what to do")


def test_a_deleted_stack_the_tagging_api_still_returns_is_skipped_by_status(live_world: World, fake_time: FakeTime):
    cfn = live_world.session.client("cloudformation")
    arns = {v: cfn.describe_stacks(StackName=naming.version_stack(NAMESPACE, APP, v))["Stacks"][0]["StackId"]
            for v in ("v1", "v2")}
    cfn.delete_stack(StackName=arns["v2"])  # idle: deleted
    aws = _aws(live_world, fake_time)
    tagging = aws.client("resourcegroupstaggingapi")
    with Stubber(tagging) as stub:  # the tagging API may still return a "previously tagged" (deleted) stack
        stub.add_response("get_resources", {"ResourceTagMappingList": [
            {"ResourceARN": arn, "Tags": [{"Key": "stacker-ecs:app", "Value": APP}]} for arn in arns.values()]})
        status = describe_app(aws, NAMESPACE, APP)

    assert [(r.version, r.role) for r in status.rows] == [("v1", "live")]
    assert status.warnings == []
