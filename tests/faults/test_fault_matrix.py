"""The fault matrix: each fault either lets the operation finish or fails it with one clear message,
and in every case the live version still serves and no stack that should stay was deleted.

World (in-process moto): app ``web`` with v0 (previous live), v1 (live, 2 tasks) and v2 (deployed,
healthy, 1 task). Faults are injected with botocore events (``emulator.faults``); failed stack
states are set on moto's record (``emulator.states``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator.clock import FakeTime
from emulator.ecs_agent import EcsAgent
from emulator.faults import ErrorInjection, SimulatedCrash, crash_before, inject_errors
from emulator.states import failed_version_template, set_stack_status
from emulator.world import NAMESPACE, ExampleWorld, create_stack
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, StackerEcsError
from stacker_ecs.core.ops import lookups as queries
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.health import read_target_health
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from stacker_ecs.core.ops.version_target import describe_version

APP = "web"


def on_fake_time(session: boto3.Session, agent: EcsAgent) -> AwsContext:
    """Return an operation's AWS context on simulated time: sleeping moves it on and lets the ECS agent act."""
    return AwsContext.create(session, clock=FakeTime(agent).clock)


@pytest.fixture(autouse=True)
def _no_real_retry_sleep(no_retry_waits: None) -> None:
    """botocore's retry back-off and rate limiter wait for real; the retries themselves still happen."""


@pytest.fixture
def world() -> Iterator[tuple[boto3.Session, EcsAgent]]:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        example = ExampleWorld.create(session)
        example.add_app(APP)
        for version in ("v0", "v1", "v2"):
            example.add_version(version, desired_count=2 if version == "v1" else 1)
        agent = EcsAgent(boto3.Session(region_name="us-east-1"))
        agent.sync()
        agent.follow(session)
        for version in ("v0", "v1"):
            cutover(AwsContext.create(session), CutoverArgs(app=APP, version=version, namespace=NAMESPACE))
        yield session, agent


def observer() -> boto3.Session:
    """A session without injected faults, to look at the world afterwards."""
    return boto3.Session(region_name="us-east-1")


def assert_live_serves(_: boto3.Session, expected: str | None = None) -> str:
    """The listener forwards to a version whose stack exists and has healthy targets."""
    session = observer()
    live = read_listener(AwsContext.create(session), NAMESPACE, APP).live_version
    assert live is not None, "the listener forwards to no version"
    if expected:
        assert live == expected
    assert read_target_health(AwsContext.create(session), describe_version(session, NAMESPACE, APP, live)).healthy >= 1
    return live


def stacks(_: boto3.Session) -> set[str]:
    return {s["StackName"] for s in observer().client("cloudformation").describe_stacks()["Stacks"]}


OPERATIONS: dict[str, Callable[[boto3.Session, EcsAgent], Any]] = {
    "ecs_live_version": lambda s, _: queries.find_live_version(AwsContext.create(s), queries.LiveVersionQuery(app=APP,
                                                                                           namespace=NAMESPACE)),
    "alb_listener": lambda s, _: queries.find_listener_arn(AwsContext.create(s),
                                                           queries.AppQuery(app=APP, namespace=NAMESPACE)),
    "alb_rule_priority": lambda s, _: queries.find_rule_priority(
        AwsContext.create(s), queries.RulePriorityQuery(app=APP, namespace=NAMESPACE, version="v3")),
    "ecs_live_desired_count": lambda s, _: queries.find_live_desired_count(
        AwsContext.create(s), queries.LiveDesiredCountQuery(app=APP, namespace=NAMESPACE)),
    "verify_health": lambda s, a: verify_health(
        on_fake_time(s, a), VerifyHealthArgs(app=APP, version="v2", namespace=NAMESPACE)),
    "cutover": lambda s, a: cutover(on_fake_time(s, a), CutoverArgs(app=APP, version="v2", namespace=NAMESPACE)),
    "rollback": lambda s, a: rollback(on_fake_time(s, a), RollbackArgs(app=APP, namespace=NAMESPACE)),
    "cleanup": lambda s, a: cleanup(on_fake_time(s, a), CleanupArgs(app=APP, namespace=NAMESPACE)),
}
# What must still exist after each operation (cleanup may delete v2, nothing else may go).
KEPT = {"cleanup": ("v0", "v1")}


# Each operation meets one of the throttling codes AWS services use (query APIs say "Throttling").
THROTTLING = ["Throttling", "ThrottlingException", "TooManyRequestsException"]
# A call botocore's default retries give up on: legacy mode makes 5 attempts (3 in standard mode), so
# 5 failures in a row end the call unless the suite's own retry policy (11 attempts) is in force.
PAST_BOTOCORE_DEFAULTS = 5
# The call each operation is for, besides the lease's: it must be among those throttled.
OWN_CALL = {"ecs_live_version": "DescribeRules", "alb_listener": "DescribeStacks", "alb_rule_priority": "DescribeRules",
            "ecs_live_desired_count": "DescribeServices", "verify_health": "DescribeTargetHealth",
            "cutover": "ModifyRule", "rollback": "ModifyRule", "cleanup": "DeleteStack"}


@pytest.mark.parametrize(("operation", "code"), [(op, THROTTLING[i % 3]) for i, op in enumerate(OPERATIONS)])
def test_throttling_of_every_call_is_ridden_out(world, operation: str, code: str):
    session, agent = world
    # given the first five calls of every kind (the operation's own, not only the lease's) are throttled
    injection = inject_errors(session, ErrorInjection(code=code, times=PAST_BOTOCORE_DEFAULTS, each=True))
    # when
    OPERATIONS[operation](session, agent)
    # then every kind of call was throttled five times, the operation's own call among them, and it finished
    assert OWN_CALL[operation] in injection.answered, injection.answered
    assert set(Counter(injection.answered).values()) == {PAST_BOTOCORE_DEFAULTS}
    assert_live_serves(session)
    for version in KEPT.get(operation, ("v0", "v1", "v2")):
        assert naming.version_stack(NAMESPACE, APP, version) in stacks(session)


@pytest.mark.parametrize(("operation", "failing"), [
    ("cutover", "DescribeRules"), ("cutover", "ModifyRule"), ("cutover", "UpdateService"),
    ("cleanup", "DescribeStacks"), ("cleanup", "DeleteStack"), ("cleanup", "DescribeRules"),
])
def test_a_run_of_5xx_on_a_read_or_a_write_is_retried(world, operation: str, failing: str):
    session, agent = world
    # given the call fails five times in a row (more than botocore's default retries ride out)
    injection = inject_errors(session, ErrorInjection(code="InternalFailure", status=500,
                                                      times=PAST_BOTOCORE_DEFAULTS, operations={failing}))
    OPERATIONS[operation](session, agent)
    assert injection.answered == [failing] * PAST_BOTOCORE_DEFAULTS
    assert_live_serves(session, "v2" if operation == "cutover" else "v1")


@pytest.mark.parametrize(("operation", "failing"), [
    ("cutover", "DescribeRules"), ("cutover", "ModifyRule"),
    ("cleanup", "DeleteStack"), ("cleanup", "DescribeRules"),
])
def test_a_lasting_5xx_fails_with_one_message_naming_the_call_and_changes_nothing_live(world, operation, failing):
    session, agent = world
    before = stacks(session)
    inject_errors(session, ErrorInjection(code="ServiceUnavailable", status=503, times=1000,
                                          operations={failing}))
    with pytest.raises(StackerEcsError) as raised:
        OPERATIONS[operation](session, agent)
    assert failing in str(raised.value)
    assert "ServiceUnavailable" in str(raised.value)
    assert_live_serves(session, "v1")
    assert stacks(session) == before


def test_cutover_killed_after_scaling_and_before_the_switch_finishes_on_a_rerun(world):
    session, agent = world
    # given the process dies right before the listener switch
    crash_before(session, "ModifyRule", when=lambda: not rerun)
    rerun = False
    with pytest.raises(SimulatedCrash):
        OPERATIONS["cutover"](session, agent)
    # then v1 still serves, and v2 was already scaled to v1's size
    assert_live_serves(session, "v1")
    ecs = session.client("ecs")
    cluster = read_listener(AwsContext.create(session), NAMESPACE, APP).application.cluster_name
    service = naming.service_name(APP, "v2")
    assert ecs.describe_services(cluster=cluster, services=[service])["services"][0]["desiredCount"] == 2
    # when the job runs again
    rerun = True
    result = OPERATIONS["cutover"](session, agent)
    # then it finishes: v2 live at v1's size, v1 recorded as previous
    assert result["changed"] is True
    assert_live_serves(session, "v2")
    assert read_listener(AwsContext.create(session), NAMESPACE, APP).previous_version == "v1"


def test_cutover_rechecks_health_and_refuses_a_version_that_lost_its_targets_after_verification(world):
    session, agent = world
    # given v2 was verified healthy
    verify_health(on_fake_time(session, agent), VerifyHealthArgs(app=APP, version="v2",
                                                                                       namespace=NAMESPACE))
    # when its tasks die afterwards (the agent now keeps it at zero)
    agent.broken.add(naming.service_name(APP, "v2"))
    target = describe_version(AwsContext.create(session), NAMESPACE, APP, "v2")
    registered = session.client("elbv2").describe_target_health(TargetGroupArn=target.target_group_arn)
    session.client("elbv2").deregister_targets(
        TargetGroupArn=target.target_group_arn,
        Targets=[t["Target"] for t in registered["TargetHealthDescriptions"]])
    # then the cutover checks again and refuses, naming the cause; v1 stays live
    with pytest.raises(StackerEcsError, match="cutover refused, v1 stays live"):
        OPERATIONS["cutover"](session, agent)
    assert_live_serves(session, "v1")


def test_cleanup_keeps_a_version_a_writer_ignoring_the_lease_made_live_between_its_listing_and_its_delete(world):
    # (cutover, rollback and canary steps hold the app's lease, so they cannot run while cleanup deletes;
    # a writer that ignores the lease, the console or another tool, can: cleanup re-reads the live rule)
    session, _ = world
    other = boto3.Session(region_name="us-east-1").client("elbv2")
    switched: list[str] = []
    live_rule_arn = read_listener(AwsContext.create(session), NAMESPACE, APP).live_rule_arn
    target_groups = {v: describe_version(AwsContext.create(session), NAMESPACE, APP, v).target_group_arn
                     for v in ("v1", "v2")}
    reads: list[str] = []

    def cutover_first(**_: Any) -> None:
        reads.append("DescribeRules")
        if len(reads) == 2 and not switched:  # the first re-read before a delete (the first read plans)
            switched.append("v2")
            other.modify_rule(RuleArn=live_rule_arn, Actions=[{"Type": "forward", "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": target_groups["v2"], "Weight": 1},
                                 {"TargetGroupArn": target_groups["v1"], "Weight": 0}]}}])

    session.events.register("before-call.elastic-load-balancing-v2.DescribeRules", cutover_first)
    # (one delete at a time: a cutover that starts after a parallel delete has read the listener is
    # the window that re-reading before each delete narrows to milliseconds, not closes)
    result = cleanup(AwsContext.create(session), CleanupArgs(app=APP, namespace=NAMESPACE, keep_previous=False,
                                                             in_flight_hours=0,
                                                             max_parallel=1))
    assert result["skipped"] == {"v2": "became live while cleanup ran"}
    assert_live_serves(session, "v2")
    assert naming.version_stack(NAMESPACE, APP, "v2") in stacks(session)


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "DELETE_FAILED"])
def test_a_failed_version_stack_is_cleaned_up_refused_by_cutover_and_ignored_by_lookups(world, status: str):
    session, agent = world
    # given v3's stack is in a failed state (for ROLLBACK_COMPLETE: no resources, no outputs)
    name = naming.version_stack(NAMESPACE, APP, "v3")
    create_stack(session, name, failed_version_template(APP, "v3"),
                 Tags=[{"Key": contract.TAG_APP, "Value": APP}])
    set_stack_status(name, status)
    # lookups are not disturbed
    assert OPERATIONS["ecs_live_version"](session, agent) == "v1"
    assert OPERATIONS["ecs_live_desired_count"](session, agent) == 2
    # cutover refuses it with one clear message
    with pytest.raises(AwsStateError, match="unknown version: the listener has no rule for v3"):
        cutover(on_fake_time(session, agent), CutoverArgs(app=APP, version="v3",
                                                                                namespace=NAMESPACE))
    # verify_health says what state the stack is in
    with pytest.raises(AwsStateError, match=status):
        verify_health(on_fake_time(session, agent), VerifyHealthArgs(app=APP, version="v3",
                                                                                           namespace=NAMESPACE))
    # cleanup deletes it (and v2), keeps live v1 and previous v0
    result = cleanup(on_fake_time(session, agent), CleanupArgs(app=APP, namespace=NAMESPACE, in_flight_hours=0))
    assert sorted(result["deleted"]) == ["v2", "v3"]
    assert_live_serves(session, "v1")


def test_a_full_listener_is_refused_before_anything_is_created_and_the_message_names_cleanup(world):
    session, _ = world
    with pytest.raises(AwsStateError, match="cleanup") as raised:
        queries.find_rule_priority(AwsContext.create(session), queries.RulePriorityQuery(app=APP, namespace=NAMESPACE,
                                                                  version="v3", max_rules=3))
    assert "limit of 3" in str(raised.value)
    assert naming.version_stack(NAMESPACE, APP, "v3") not in stacks(session)


def test_nothing_live_yet_lookups_answer_the_default_or_say_so_and_rollback_refuses():
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        example = ExampleWorld.create(session)
        example.add_app(APP)
        example.add_version("v1")
        with pytest.raises(AwsStateError, match="no version is live yet"):
            queries.find_live_version(AwsContext.create(session), queries.LiveVersionQuery(app=APP,
                                                                                           namespace=NAMESPACE))
        assert queries.find_live_version(AwsContext.create(session), queries.LiveVersionQuery(
            app=APP, namespace=NAMESPACE, default="none")) == "none"
        assert queries.find_live_desired_count(AwsContext.create(session), queries.LiveDesiredCountQuery(
            app=APP, namespace=NAMESPACE, default=3)) == 3
        with pytest.raises(AwsStateError, match="no previous live version"):
            rollback(AwsContext.create(session), RollbackArgs(app=APP, namespace=NAMESPACE))


def delete_out_of_band(session: boto3.Session, version: str) -> None:
    """Delete a version's stack by hand, as AWS would: its rule and service go, its live target group stays
    (in use by the listener). moto deletes neither rule nor service with the stack, so do it here."""
    state = read_listener(AwsContext.create(session), NAMESPACE, APP)
    session.client("elbv2").delete_rule(RuleArn=state.rules[version].rule_arn)
    session.client("ecs").delete_service(cluster=state.application.cluster_name,
                                         service=naming.service_name(APP, version), force=True)
    session.client("cloudformation").delete_stack(StackName=naming.version_stack(NAMESPACE, APP, version))


def test_live_target_group_of_a_stack_deleted_out_of_band(world):
    session, agent = world
    # given someone deleted the live version's stack by hand
    delete_out_of_band(session, "v1")
    # then the lookups say nothing is live, or give their default
    with pytest.raises(AwsStateError, match="no version is live"):
        OPERATIONS["ecs_live_version"](session, agent)
    assert queries.find_live_desired_count(AwsContext.create(session), queries.LiveDesiredCountQuery(
        app=APP, namespace=NAMESPACE, default=1)) == 1
    # and a cutover to a healthy version restores service
    result = cutover(on_fake_time(session, agent), CutoverArgs(app=APP, version="v2",
                                                                                     namespace=NAMESPACE))
    assert result["changed"] is True
    assert_live_serves(session, "v2")
    # while rolling back to the deleted version is refused with the reason
    with pytest.raises(AwsStateError, match="cannot roll back"):
        rollback(on_fake_time(session, agent), RollbackArgs(app=APP, namespace=NAMESPACE))
