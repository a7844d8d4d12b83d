"""History and events: every change of traffic or versions is appended (bounded) and put on the default bus."""

from __future__ import annotations

import json

import pytest

from emulator.calls import CallCounter
from emulator.faults import ErrorInjection, inject_errors
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError
from stacker_ecs.core.ops import events, history
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.history import KEPT, Entry, append, format_history, read_history
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, FakeTime, World, create_alarm


def capture_events(world: World) -> str:
    """Route every ``stacker-ecs`` event on the default bus to a new SQS queue; return its URL."""
    sqs, bus = world.session.client("sqs"), world.session.client("events")
    url = sqs.create_queue(QueueName="stacker-ecs-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus.put_rule(Name="stacker-ecs", EventPattern=json.dumps({"source": [events.SOURCE]}))
    bus.put_targets(Rule="stacker-ecs", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def received(world: World, url: str) -> list[dict]:
    """Return the events the queue holds, oldest first."""
    sqs, found = world.session.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])
    return found


@pytest.fixture
def aws(live_world: World, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch) -> AwsContext:
    monkeypatch.delenv(history.ACTOR_ENV, raising=False)
    monkeypatch.delenv("STACKER_ECS_HOLDER", raising=False)
    return AwsContext.create(live_world.session, clock=fake_time.clock)


def test_cutover_rollback_and_cleanup_are_recorded_newest_first_with_who_and_the_traffic(
        live_world: World, aws: AwsContext):
    live_world.deploy_version("v4")
    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))
    rollback(aws, RollbackArgs(app=APP, namespace=NAMESPACE))
    cleanup(aws, CleanupArgs(app=APP, namespace=NAMESPACE, in_flight_hours=0))

    entries = read_history(aws, NAMESPACE, APP)

    assert [(e.operation, e.version, e.outcome) for e in entries] == [
        ("cleanup", "v4", "succeeded"), ("rollback", "v1", "rolled-back"), ("cutover", "v2", "succeeded"),
        ("cutover", "v1", "succeeded")]
    assert (entries[1].before, entries[1].after) == ({"v2": 100}, {"v1": 100})
    assert (entries[2].before, entries[2].after) == ({"v1": 100}, {"v2": 100})
    assert (entries[0].before, entries[0].after) == ({}, {}), "cleanup moved no traffic"
    assert entries[0].reason == ""
    assert entries[2].reason == "v2 is live (was v1)"
    assert {e.who for e in entries} == {"arn:aws:sts::123456789012:user/moto"}
    assert [e.seq for e in entries] == [4, 3, 2, 1]
    table = format_history({"app": APP, "entries": [e.__dict__ for e in entries]}).splitlines()
    assert table[0].split()[:4] == ["WHEN", "(UTC)", "OPERATION", "VERSION"]
    assert "rollback   v1       rolled-back  v2 100% -> v1 100%" in table[2]


def test_a_refused_cutover_is_recorded_as_failed_with_its_reason_and_no_traffic_moved(
        live_world: World, aws: AwsContext):
    with pytest.raises(AwsStateError) as caught:
        cutover(aws, CutoverArgs(app=APP, version="v9", namespace=NAMESPACE))

    (last, _) = read_history(aws, NAMESPACE, APP)
    assert (last.operation, last.version, last.outcome, last.reason) == ("cutover", "v9", "failed", str(caught.value))
    assert (last.before, last.after) == ({}, {})


def test_dry_runs_and_no_ops_add_no_entry(live_world: World, aws: AwsContext):
    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, dry_run=True))
    cutover(aws, CutoverArgs(app=APP, version="v1", namespace=NAMESPACE))

    assert [e.version for e in read_history(aws, NAMESPACE, APP)] == ["v1"], "only deploy_live's own cutover"


def test_history_keeps_the_newest_hundred_entries_per_app_and_reads_them_in_two_calls(
        live_world: World, aws: AwsContext):
    for n in range(KEPT + 7):
        append(aws, NAMESPACE, Entry(
            at=float(n), who="t", app="other", version=f"v{n}", operation="cutover", outcome="succeeded"))
    counter = CallCounter(live_world.session)

    entries = read_history(AwsContext.create(live_world.session), NAMESPACE, "other")

    assert len(entries) == KEPT
    assert (entries[0].version, entries[-1].version) == (f"v{KEPT + 6}", "v7")
    assert counter.calls == {"dynamodb.GetItem": 1, "dynamodb.BatchGetItem": 1}
    items = live_world.session.client("dynamodb").scan(TableName=naming.coordination_table(NAMESPACE))["Items"]
    assert sum(1 for i in items if i["pk"]["S"].startswith("history/other/")) == KEPT


def test_the_events_of_a_cutover_reach_a_queue_through_a_rule(live_world: World, aws: AwsContext):
    url = capture_events(live_world)

    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))

    started, done = received(live_world, url)
    assert (started["source"], started["detail-type"]) == ("stacker-ecs", "Operation Started")
    assert started["detail"] == {"app": APP, "version": "v2", "operation": "cutover", "outcome": "started"}
    assert done["detail-type"] == "Operation Succeeded"
    assert done["detail"]["traffic"] == {"before": {"v1": 100}, "after": {"v2": 100}}
    assert done["detail"]["reason"] == "v2 is live (was v1)"


def test_a_refused_put_or_history_write_never_fails_the_cutover(live_world: World, fake_time: FakeTime, caplog):
    injection = inject_errors(live_world.session, ErrorInjection("AccessDeniedException", times=10,
                                                                 operations={"PutEvents", "PutItem"}))
    aws = AwsContext.create(live_world.session, clock=fake_time.clock)

    result = cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))

    assert result["changed"]
    assert live_world.live_version() == "v2"
    assert sorted(set(injection.answered)) == ["PutEvents", "PutItem"]
    assert "could not put the started event (the operation goes on)" in caplog.text
    assert "could not append to the history (the operation's outcome stands)" in caplog.text


def test_a_canary_an_alarm_ends_is_recorded_as_aborted_with_the_traffic_it_put_back(live_world: World,
                                                                                    aws: AwsContext):
    url = capture_events(live_world)
    cloudwatch = create_alarm(live_world)

    class AlarmDuringTheBake:
        """ECS as usual; the alarm goes off at the first wait once the first step is written."""

        def sync(self) -> None:
            live_world.agent.sync()
            if len(live_world.forward()) > 1:
                cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")

    with pytest.raises(CanaryRolledBackError) as caught:
        cutover(AwsContext.create(live_world.session, clock=FakeTime(AlarmDuringTheBake()).clock),
                CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10, 50], bake_seconds=60,
                            alarm_names=[ALARM]))

    last = read_history(aws, NAMESPACE, APP)[0]
    assert (last.operation, last.version, last.outcome, last.reason) == ("cutover", "v2", "aborted", str(caught.value))
    assert (last.before, last.after) == ({"v1": 100}, {"v1": 100}), "the step moved traffic, the restore put it back"
    done = received(live_world, url)[-1]
    assert (done["detail-type"], done["detail"]["outcome"]) == ("Canary Aborted", "aborted")


def test_a_pause_is_recorded_as_paused_with_the_share_it_holds(live_world: World, aws: AwsContext):
    url = capture_events(live_world)

    result = cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10, 50],
                                      bake_seconds=60, pause_after_percent=[10]))

    assert result["paused"]
    last = read_history(aws, NAMESPACE, APP)[0]
    assert (last.operation, last.version, last.outcome) == ("cutover", "v2", "paused")
    assert (last.before, last.after) == ({"v1": 100}, {"v1": 90, "v2": 10})
    done = received(live_world, url)[-1]
    assert (done["detail-type"], done["detail"]["outcome"]) == ("Canary Paused", "paused")


def test_an_append_killed_between_its_two_calls_shows_no_entry_of_a_hundred_appends_before(
        live_world: World, aws: AwsContext):
    for n in range(KEPT):
        append(aws, NAMESPACE, Entry(at=float(n), who="t", app="other", version=f"v{n}", operation="cutover",
                                     outcome="succeeded"))
    # the next append counts itself (seq KEPT + 1, the slot of seq 1) and is killed before it writes the slot
    live_world.session.client("dynamodb").update_item(
        TableName=naming.coordination_table(NAMESPACE), Key={"pk": {"S": "history/other"}},
        UpdateExpression="ADD seq :one", ExpressionAttributeValues={":one": {"N": "1"}})

    entries = read_history(aws, NAMESPACE, "other")

    assert entries[0].version == f"v{KEPT - 1}", "the newest entry written, not v0 from the slot never rewritten"
    assert "v0" not in [e.version for e in entries]
    assert len(entries) == KEPT - 1


def test_who_is_stacker_ecs_actor_when_set_else_stacker_ecs_holder(live_world: World, aws: AwsContext,
                                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STACKER_ECS_HOLDER", "runner-7")
    cutover(aws, CutoverArgs(app=APP, version="v2", namespace=NAMESPACE))
    monkeypatch.setenv(history.ACTOR_ENV, "alice (https://ci.example.com/jobs/42)")
    rollback(aws, RollbackArgs(app=APP, namespace=NAMESPACE))

    entries = read_history(aws, NAMESPACE, APP)

    assert [(e.operation, e.who) for e in entries[:2]] == [
        ("rollback", "alice (https://ci.example.com/jobs/42)"), ("cutover", "runner-7")]
