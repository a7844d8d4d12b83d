"""cleanup: delete version stacks that are not live; never the live one, even if a cutover runs meanwhile."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from emulator.calls import CallCounter
from emulator.states import failed_version_template, set_stack_status
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.cleanup import PROTECTED_REASON, CleanupArgs, cleanup, plan_cleanup, wait_for_deletes
from stacker_ecs.core.ops.inventory import VersionStack, list_version_stacks
from stacker_ecs.core.templates.version import render_version
from tests.core.ops.conftest import APP, NAMESPACE, REGION, FakeTime, World, stack_tags

T0 = datetime(2026, 1, 1, tzinfo=UTC)
UNRELATED_TEMPLATE = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'


def args(**extra) -> CleanupArgs:
    """Return the hook's arguments for ``web``; the in-flight rule is off unless a test turns it on.

    (These tests deploy their versions after the live one went live; test_cleanup_in_flight.py covers that rule.)
    """
    return CleanupArgs(app=APP, namespace=NAMESPACE, **{"in_flight_hours": 0, **extra})


def deploy(world: World, fake_time: FakeTime, *versions: str, live: tuple[str, ...] = ()) -> None:
    """Deploy ``versions``, then cut over to each of ``live`` in turn (the last is live, the one before previous)."""
    for version in versions:
        world.deploy_version(version)
    world.sync()
    for version in live:
        world.make_live(version, fake_time.clock)


def stack(version: str, hours_old: float = 0, *, status: str = "CREATE_COMPLETE", protected: bool = False,
          now: datetime = T0) -> VersionStack:
    """Return a version stack as list_version_stacks sees it."""
    outputs = {} if status == "ROLLBACK_COMPLETE" else {"TargetGroupArn": f"tg-{version}", "Version": version}
    return VersionStack(version=version, name=f"ecs-dev-app-web-V-{version}", stack_id=f"id-{version}", status=status,
                        created=now - timedelta(hours=hours_old), termination_protection=protected, outputs=outputs)


def test_cleanup_deletes_versions_that_are_neither_live_nor_previous(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", "v5", live=("v4", "v5"))

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert sorted(result["deleted"]) == ["v1", "v2"]
    assert result["kept"] == {"v5": "live", "v4": "previous live version (keep_previous)"}
    assert result["skipped"] == {}
    assert world.version_stacks() == {"v4", "v5"}
    assert world.live_version() == "v5"


def test_cleanup_without_keep_previous_never_writes_the_listener_and_skips_the_recorded_previous_version(
        world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", live=("v1", "v2"))
    before = world.forward()

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(keep_previous=False))

    assert result["deleted"] == []
    assert result["kept"]["v1"].startswith("termination protection is on"), "the previous live version is protected"
    assert world.forward() == before
    assert world.version_stacks() == {"v1", "v2"}


def test_cleanup_without_keep_previous_deletes_a_previous_version_the_listener_no_longer_records(
        world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", live=("v1", "v2", "v4"))  # v1 is no longer recorded

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(keep_previous=False))

    assert result["deleted"] == ["v1"], "the cutover to v4 took v1's protection away"
    assert "v2" in result["kept"]
    assert world.version_stacks() == {"v2", "v4"}


def test_cleanup_keeps_the_newest_versions_with_keep_last(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", "v5", "v6", live=("v1",))

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(keep_last=2))

    assert sorted(result["deleted"]) == ["v2", "v4"]
    assert result["kept"]["v6"] == result["kept"]["v5"] == "one of the 2 newest (keep_last)"
    assert world.version_stacks() == {"v1", "v5", "v6"}


def test_cleanup_never_deletes_versions_matching_an_exclude_pattern(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "release-1", "release-2", "v2", live=("v1",))

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(exclude=["release-*"]))

    assert result["deleted"] == ["v2"]
    assert result["kept"]["release-1"] == "excluded by 'release-*'"
    assert world.version_stacks() == {"v1", "release-1", "release-2"}


def test_cleanup_deletes_only_versions_older_than_older_than_hours(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", live=("v1",))
    created = next(s.created for s in list_version_stacks(AwsContext.create(world.session), NAMESPACE,
                                                          APP) if s.version == "v2")

    fake_time.wall_start = created + timedelta(minutes=30) - timedelta(seconds=fake_time.waited)
    young = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(older_than_hours=1))
    assert young["deleted"] == []
    assert young["kept"]["v2"] == "0.5h old, younger than older_than_hours 1"
    assert world.version_stacks() == {"v1", "v2"}

    fake_time.wall_start = created + timedelta(hours=2) - timedelta(seconds=fake_time.waited)
    old = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(older_than_hours=1))
    assert old["deleted"] == ["v2"]
    assert world.version_stacks() == {"v1"}


def test_cleanup_dry_run_deletes_nothing_and_reports_what_it_would_delete(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", live=("v1",))
    counter = CallCounter(world.session)

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(dry_run=True))

    assert (result["dry_run"], sorted(result["deleted"])) == (True, ["v2", "v4"])
    assert counter.mutating() == []
    assert world.version_stacks() == {"v1", "v2", "v4"}


def test_cleanup_skips_a_termination_protected_stack_and_reports_why(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", live=("v1",))
    world.deploy_version("v4", termination_protection=True)

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert result["deleted"] == ["v2"]
    assert result["kept"]["v4"] == PROTECTED_REASON
    assert world.version_stacks() == {"v1", "v4"}


def test_cleanup_of_web_never_touches_the_stacks_of_an_app_named_web_admin(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", live=("v1",))
    # App "web-admin", version "1": its stack name starts like a version "admin-1" of "web" (and, copied
    # from web's block, its tag says "web" too).
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"App": {"Value": "web-admin"}, "Version": {"Value": "1"}}}
    world.session.client("cloudformation").create_stack(StackName="ecs-dev-app-web-admin-1",
                                                        TemplateBody=json.dumps(template), Tags=stack_tags(APP))

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert result["deleted"] == ["v2"]
    assert "ecs-dev-app-web-admin-1" in world.stack_names()


def test_cleanup_never_deletes_the_live_version_even_if_cutover_runs_between_list_and_delete(
        world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", "v5", live=("v1",))
    other_pipeline = boto3.Session(region_name=REGION).client("elbv2")
    lock, cutovers, reads = threading.Lock(), [], []

    def cut_over_to_v4_the_first_time_cleanup_rereads_the_listener(**_: object) -> None:
        with lock:  # the deleting threads wait until the other pipeline's cutover is done
            reads.append(1)
            if len(reads) == 2 and not cutovers:  # the first read plans; the second is the first re-read
                rule = other_pipeline.describe_rules(ListenerArn=world.listener_arn)["Rules"]
                (live,) = [r for r in rule if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
                other_pipeline.modify_rule(RuleArn=live["RuleArn"], Actions=[
                    {"Type": "forward", "ForwardConfig": {"TargetGroups": [
                        {"TargetGroupArn": world.target_group("v4"), "Weight": 1},
                        {"TargetGroupArn": world.target_group("v1"), "Weight": 0}]}}])
                cutovers.append("v4")

    # botocore names the event after elbv2's service id, not "elasticloadbalancing" (that is the classic ELB).
    world.session.events.register("before-call.elbv2.DescribeRules",
                                  cut_over_to_v4_the_first_time_cleanup_rereads_the_listener)

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert cutovers == ["v4"], "the cutover ran between cleanup's listing and its deletes"
    assert result["skipped"] == {"v4": "became live while cleanup ran"}
    assert sorted(result["deleted"]) == ["v2", "v5"]
    assert world.version_stacks() == {"v1", "v4"}
    assert world.live_version() == "v4"


def test_cleanup_never_writes_the_listener_so_it_cannot_undo_a_concurrent_cutover(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", live=("v1", "v2"))
    counter = CallCounter(world.session)

    cleanup(AwsContext.create(world.session, clock=fake_time.clock), args(keep_previous=False, max_parallel=1))

    assert not {"elbv2.ModifyListener", "elbv2.ModifyRule", "elbv2.CreateRule", "elbv2.DeleteRule"} & set(counter.calls)
    assert world.live_version() == "v2"


def test_cleanup_of_ten_versions_out_of_twelve_costs_the_same_calls_beside_unrelated_stacks(
        world: World, fake_time: FakeTime):
    versions = [f"b{i}" for i in range(1, 13)]
    deploy(world, fake_time, *versions, live=("b11", "b12"))
    cfn = world.session.client("cloudformation")
    for index in range(30):
        cfn.create_stack(StackName=f"other-team-{index}", TemplateBody=UNRELATED_TEMPLATE)
    counter = CallCounter(world.session)

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert sorted(result["deleted"]) == sorted(versions[:10])
    # app stack + rules, 1 tagging call + 1 read per version stack, then per deleted version: the listener
    # re-read, the delete and one read of the stack by id (DELETE_COMPLETE): 2 + 1 + 12 + 3 * 10
    assert counter.total - counter.coordination() - counter.dashboard() == 45, counter.calls
    # take the lease (its answer holds the canary plan), fence, release (AWS's time: from the started event's
    # answer); then the history entry (count it, write it) and the start and success events
    assert counter.coordination() == 3 + 2 + 2, counter.calls
    assert counter.calls["events.PutEvents"] == 2
    assert counter.calls["resourcegroupstaggingapi.GetResources"] == 1
    assert counter.calls["cloudformation.DescribeStacks"] == 1 + 12 + 10, "the app stack, each version, each delete"
    assert counter.calls["cloudformation.DeleteStack"] == 10
    # one read to plan, then the live rule is re-read right before each delete
    assert counter.calls["elbv2.DescribeRules"] == 1 + 10, "the live rule is re-read right before each delete"


def test_failed_version_stacks_are_listed_by_their_description(world: World):
    cfn = world.session.client("cloudformation")
    world.deploy_version("v8")
    for name, app, version in (("ecs-dev-app-web-V-v7", APP, "v7"), ("ecs-dev-app-web-admin-1", "web-admin", "1")):
        cfn.create_stack(StackName=name, TemplateBody=failed_version_template(app, version),
                         Tags=stack_tags(APP))
        set_stack_status(name, "ROLLBACK_COMPLETE")
    world.deploy_version("v9")
    cfn.delete_stack(StackName="ecs-dev-app-web-V-v9")

    stacks = list_version_stacks(AwsContext.create(world.session), NAMESPACE, APP)

    assert sorted((s.version, s.status, s.target_group_arn) for s in stacks) == [
        ("v7", "ROLLBACK_COMPLETE", None), ("v8", "CREATE_COMPLETE", world.target_group("v8"))]


@pytest.mark.parametrize(("stacks", "live", "previous", "extra", "deleted", "kept"), [
    ([stack("v1", 3), stack("v2", 2), stack("v3", 1)], "v3", "v2", {}, ["v1"],
     {"v3": "live", "v2": "previous live version (keep_previous)"}),
    ([stack("v1", 3), stack("v2", 2), stack("v3", 1)], "v3", "v2", {"keep_previous": False}, ["v2", "v1"],
     {"v3": "live"}),
    ([stack("v1", 4), stack("v2", 3), stack("v3", 2), stack("v4", 1)], "v1", None, {"keep_last": 2}, ["v2"],
     {"v1": "live", "v4": "one of the 2 newest (keep_last)", "v3": "one of the 2 newest (keep_last)"}),
    ([stack("v1", 2), stack("v2", 1)], "v1", None, {"keep_last": 5}, [],
     {"v1": "live", "v2": "one of the 5 newest (keep_last)"}),
    ([stack("v1", 3), stack("release-7", 2), stack("v2", 1)], "v1", None, {"exclude": ["release-*", "x"]}, ["v2"],
     {"v1": "live", "release-7": "excluded by 'release-*'"}),
    ([stack("v1", 3), stack("v2", 2, protected=True)], "v1", None, {}, [],
     {"v1": "live", "v2": PROTECTED_REASON}),
    ([stack("v1", 30), stack("v2", 25), stack("v3", 5)], "v1", None, {"older_than_hours": 24}, ["v2"],
     {"v1": "live", "v3": "5.0h old, younger than older_than_hours 24"}),
    ([stack("v1", 3), stack("v2", 2, status="ROLLBACK_COMPLETE")], "v1", None, {}, ["v2"], {"v1": "live"}),
    ([stack("v1", 3), stack("v2", 2)], None, None, {}, ["v2", "v1"], {}),
    ([stack("v1", 3), stack("v2", 2)], "v1", "v1", {"exclude": ["v*"], "keep_previous": False}, [],
     {"v1": "live", "v2": "excluded by 'v*'"}),
], ids=["live-and-previous", "no-keep-previous", "keep-last", "keep-last-more-than-there-are", "exclude",
        "termination-protection", "older-than", "failed-stack", "nothing-live", "live-even-if-excluded"])
def test_plan_cleanup_decides_what_goes_and_why_the_rest_stays(stacks, live, previous, extra, deleted, kept):
    plan = plan_cleanup(stacks, live=live, previous=previous, args=args(**extra), now=T0)

    assert [s.version for s in plan.delete] == deleted
    assert plan.keep == kept


def test_wait_for_deletes_names_each_stack_that_failed_to_delete_and_why(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2")
    failing, gone = sorted(list_version_stacks(AwsContext.create(world.session), NAMESPACE, APP),
                           key=lambda s: s.version)
    # the listener still forwards to v1's target group (weight 0): AWS cannot delete it
    world.session.client("elbv2").modify_listener(ListenerArn=world.listener_arn, DefaultActions=[
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": world.target_group("v1"), "Weight": 0}]}}])
    cfn = world.session.client("cloudformation")
    for doomed in (failing, gone):
        cfn.delete_stack(StackName=doomed.stack_id)

    failed = wait_for_deletes(AwsContext.create(world.session, clock=fake_time.clock), [failing, gone],
                              timeout_seconds=60)

    assert list(failed) == ["v1"]
    assert failed["v1"].startswith("The following resource(s) failed to delete: [TargetGroup].")
    assert fake_time.sleeps == []


def test_a_version_stack_without_the_app_tag_is_named_in_a_warning(world: World, fake_time: FakeTime, caplog):
    deploy(world, fake_time, "v1", live=("v1",))
    untagged = world.version_spec("v2")
    body = render_version(untagged, where="v2").to_json()
    world.session.client("cloudformation").create_stack(StackName="ecs-dev-app-web-V-v2", TemplateBody=body,
                                                        Capabilities=["CAPABILITY_IAM"])

    result = cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    assert result["deleted"] == []
    assert "web/v2: has a listener rule but no stack tagged stacker-ecs:app=web" in caplog.text


def test_a_refused_delete_ends_the_report_only_after_the_others_are_deleted(world: World, fake_time: FakeTime):
    deploy(world, fake_time, "v1", "v2", "v4", live=("v1",))
    cfn = world.session.client("cloudformation")
    v2 = naming.version_stack(NAMESPACE, APP, "v2")

    def protect_v2_first(params, **_):  # someone protects v2 by hand while cleanup runs
        if params.get("StackName", "").split("/")[-2:-1] == [v2] or params.get("StackName") == v2:
            cfn.update_termination_protection(StackName=v2, EnableTerminationProtection=True)
    world.session.events.register("before-parameter-build.cloudformation.DeleteStack", protect_v2_first)

    with pytest.raises(AwsStateError) as caught:
        cleanup(AwsContext.create(world.session, clock=fake_time.clock), args())

    message = str(caught.value)
    assert "cleanup deleted v4, but could not delete v2" in message
    assert "TerminationProtection is enabled" in message
    assert world.version_stacks() == {"v1", "v2"}
