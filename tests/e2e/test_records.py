"""History and events through the real ``stacker-ecs`` CLI on moto_server: what an operator and a chat room see."""

from __future__ import annotations

import json

import pytest

from stacker_ecs.core import contract, naming
from stacker_ecs.core.ops import events
from tests.e2e.test_crashed_writers import ALARM, NAMESPACE, deploy_web, start_canary, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployed(emulator):
    """The emulator after :func:`deploy_web`, and its world."""
    return emulator, deploy_web(emulator)


def capture_events(session) -> str:
    """Route every ``stacker-ecs`` event of the default bus to a new SQS queue (a rule); return its URL."""
    sqs, bus = session.client("sqs"), session.client("events")
    url = sqs.create_queue(QueueName="stacker-ecs-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus.put_rule(Name="stacker-ecs", EventPattern=json.dumps({"source": [events.SOURCE]}))
    bus.put_targets(Rule="stacker-ecs", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def drain(session, url: str) -> list[dict]:
    """Return every event the queue holds, oldest first."""
    sqs, found = session.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])
    return found


def test_history_after_deploy_cutover_rollback_and_cleanup_newest_first(deployed):
    emulator, world = deployed
    world.add_version("v4")
    for argv in (["cutover", "web", "v2"], ["rollback", "web"], ["cleanup", "web", "--in-flight-hours", "0"]):
        done = emulator.stacker_ecs(*argv, "--namespace", NAMESPACE)
        assert done.returncode == 0, done.stderr

    text = emulator.stacker_ecs("history", "web", "--namespace", NAMESPACE)
    document = json.loads(emulator.stacker_ecs("--output", "json", "history", "web", "--namespace", NAMESPACE).stdout)

    assert text.returncode == 0, text.stderr
    entries = document["result"]["entries"]
    rows = [(e["operation"], e["version"], e["outcome"], e["before"], e["after"]) for e in entries]
    assert rows == [("cleanup", "v4", "succeeded", {}, {}),
                    ("rollback", "v1", "rolled-back", {"v2": 100}, {"v1": 100}),
                    ("cutover", "v2", "succeeded", {"v1": 100}, {"v2": 100}),
                    ("cutover", "v1", "succeeded", {}, {"v1": 100})]
    assert {e["who"] for e in entries} == {"arn:aws:sts::123456789012:user/moto"}
    lines = text.stdout.splitlines()
    assert lines[0].startswith("WHEN (UTC)")
    assert [line.split()[2] for line in lines[1:]] == ["cleanup", "rollback", "cutover", "cutover"]
    everything = emulator.stacker_ecs("status", "--all", "--namespace", NAMESPACE)
    assert everything.returncode == 0, everything.stderr
    assert everything.stdout.splitlines()[1].split()[:4] == ["web", "v1", "v1", "100%"]


def test_the_events_of_a_canary_aborted_by_its_alarm_reach_a_queue_through_a_rule(deployed):
    emulator, _ = deployed
    url = capture_events(emulator.session)
    canary = start_canary(emulator)
    emulator.session.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")
    try:
        assert canary.wait(timeout=120) == 3
    finally:
        if canary.poll() is None:
            canary.kill()
    got: list[dict] = []

    def two_events() -> bool:
        got.extend(drain(emulator.session, url))
        return len(got) >= 2

    wait_for(two_events, "the canary's two events")

    assert [(e["source"], e["detail-type"]) for e in got] == [("stacker-ecs", "Operation Started"),
                                                             ("stacker-ecs", "Canary Aborted")]
    detail = got[1]["detail"]
    assert (detail["app"], detail["version"], detail["operation"], detail["outcome"]) == (
        "web", "v2", "cutover", "aborted")
    assert f"alarm {ALARM} went off with 10% of traffic on v2" in detail["reason"]
    assert detail["traffic"] == {"before": {"v1": 100}, "after": {"v1": 100}}


def test_a_promoted_canary_puts_its_start_and_success_with_the_traffic_it_moved(deployed):
    emulator, _ = deployed
    url = capture_events(emulator.session)

    done = emulator.stacker_ecs("cutover", "web", "v2", "--namespace", NAMESPACE, "--steps-percent", "10", "50",
                                "--bake-seconds", "0", "--alarm-name", ALARM)

    assert done.returncode == 0, done.stderr
    got = drain(emulator.session, url)
    assert [e["detail-type"] for e in got] == ["Operation Started", "Operation Succeeded"]
    assert got[1]["detail"]["traffic"] == {"before": {"v1": 100}, "after": {"v2": 100}}


def test_header_routing_to_each_version_is_read_from_the_listeners_rules_and_leaves_the_live_rule_alone(deployed):
    emulator, world = deployed
    elbv2 = emulator.session.client("elbv2")
    listener = world.apps["web"][contract.LISTENER_ARN]
    host = naming.app_host("web", world.apps["web"][contract.DOMAIN])

    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]

    routes = {}
    for rule in rules:
        conditions = {c["Field"]: c for c in rule["Conditions"]}
        if "http-header" in conditions:
            assert conditions["host-header"]["HostHeaderConfig"]["Values"] == [host]
            assert conditions["http-header"]["HttpHeaderConfig"]["HttpHeaderName"] == "X-Stacker-Ecs-Version"
            routes[conditions["http-header"]["HttpHeaderConfig"]["Values"][0]] = rule["Actions"][0]["TargetGroupArn"]
    cfn = emulator.session.client("cloudformation")
    groups = {v: contract.outputs_of(cfn.describe_stacks(StackName=naming.version_stack(NAMESPACE, "web", v))[
        "Stacks"][0])[contract.TARGET_GROUP_ARN] for v in ("v1", "v2")}
    assert routes == groups
    live = [r for r in rules if r["Priority"] == "50000"]
    assert [g["TargetGroupArn"] for g in live[0]["Actions"][0]["ForwardConfig"]["TargetGroups"]] == [groups["v1"]]
