"""The crash sweep of the operations that delete an app or take its stacks over: teardown, teardown-environment, adopt.

Each is stopped right before each of its AWS writes (:data:`WRITES`, kept true against a clean run), killed or
interrupted (:mod:`tests.faults.sweep_support`), in an environment of two apps: ``web`` (v2 live, v1 the previous
live version, both protected, a dashboard; for ``teardown-canary``, v1 live and a canary of v2 paused at 10 %) and
``web-admin`` (v1 live; its name starts with ``web``'s). Then the operator breaks the leases (``stacker-ecs unlock``)
and the sweep checks what a user relies on:

- whatever the live rule of an app still sends traffic to has its stack and healthy targets; ``web-admin``,
  which a teardown of ``web`` never touches, is exactly as it was (stacks, protection, records, traffic);
- ``status`` of a half-torn-down ``web`` names nothing live that takes no traffic, and ``status --all`` agrees
  with every app's live rule;
- a re-run finishes, refusing only what it should (a teardown without ``force`` while ``web`` still takes
  traffic): nothing of ``web`` left (stacks, services, dashboard), no lease, no termination protection nor
  record of it pointing at deleted stacks, the teardown in its history; and ``web`` deploys and goes live again;
- a re-run of adopt ends with every stack of ``web`` tagged once, tags the crashed run already put on none again,
  and keeps the stacks' other tags.

``unlock`` makes one write (its ``UpdateItem`` removes both leases at once): nothing to crash between.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.faults import SimulatedCrash
from emulator.states import failed_version_template, set_stack_status
from emulator.world import ExampleWorld
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, describe_stack
from stacker_ecs.core.coordination import LIVE, PLAN, app_records
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.adopt import AdoptArgs, adopt
from stacker_ecs.core.ops.canary import SWITCH
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.dashboard import dashboard_name
from stacker_ecs.core.ops.events import SUCCEEDED
from stacker_ecs.core.ops.history import read_history
from stacker_ecs.core.ops.inventory import list_version_stacks
from stacker_ecs.core.ops.lookups import AppQuery
from stacker_ecs.core.ops.protection import PROTECTED
from stacker_ecs.core.ops.status import describe_environment
from stacker_ecs.core.ops.teardown import TeardownArgs, TeardownEnvironmentArgs, teardown, teardown_environment
from stacker_ecs.core.ops.unlock import unlock
from stacker_ecs.core.templates.version import render_version
from tests.core.ops.conftest import ALARM, APP, NAMESPACE, REGION, FakeTime, World, create_alarm, deploy_live
from tests.faults import sweep_support as sweep

pytestmark = pytest.mark.usefixtures("no_retry_waits")

OTHER = "web-admin"
"""The other app of the environment (its name starts with ``web``'s: a prefix match would take it for web's)."""
UNTAGGED = "v0"
"""A version of ``web`` deployed before the app tag (adopt's setup): only its host rule finds it."""

DELETE_RULE, UNDASH, TAG = "elbv2.DeleteRule", "cloudwatch.DeleteDashboards", "cloudformation.UpdateStack"
UNPROTECT = sweep.PROTECT


def _teardown_writes(versions: int) -> list[str]:
    """Return a forced teardown's writes for an app with ``versions`` protected versions and a live rule."""
    return [sweep.STARTED, sweep.TAKE, f"{sweep.FENCE.split(' ')[0]} (drop the canary and live records)", DELETE_RULE,
            f"{sweep.FENCE.split(' ')[0]} (protection record)", *[UNPROTECT] * versions, *[sweep.DELETE] * versions,
            UNDASH, f"{sweep.DELETE} (application)", sweep.RELEASE, *sweep.DONE]


WRITES: dict[str, list[str]] = {
    "teardown": _teardown_writes(2),
    "teardown-canary": _teardown_writes(2),
    "teardown-environment": [*_teardown_writes(2), *_teardown_writes(1), f"{sweep.DELETE} (cluster)"],
    "adopt": [sweep.TAKE, f"{TAG} (application)", f"{TAG} ({UNTAGGED})", sweep.RELEASE],
}
"""The writes a clean run of each operation makes, in order (``(what)`` says which stack or record it is for):
teardown-environment tears down ``web`` then ``web-admin``, then deletes the cluster stack."""

SWEPT_TO = {"teardown-canary": 5}
"""A teardown with a canary paused: from its first unprotect on, its crash points are the plain teardown's (its
first fence dropped the canary record and the live rule is gone: what is left is the same stacks, protection and
records)."""
SWEPT_BEFORE = {"teardown-environment": 10}
"""teardown-environment: its crash points in web's teardown before web's application stack is deleted are the
teardown sweep's (the same writes, and the re-run tears web down the same way); from there on (the app is found by
that stack), web-admin's teardown and the cluster's delete, they are swept here."""
KNOWN: dict[str, str] = {}
"""Crash points expected to fail, and why (a test id -> the defect; none today)."""


@dataclass(frozen=True)
class Operation:
    """One operation of the sweep: how its world is prepared, how it runs, how it is run again, what it ends in."""

    setup: Callable[[World, FakeTime], None]
    run: sweep.Run
    rerun: Callable[[AwsContext, World], dict[str, Any]]
    check: Callable[[World, AwsContext, FakeTime, dict[str, Any]], None]
    """Asserts the end state, given the world, an observer, the clock and what the crashed run left."""


# ---- the world -----------------------------------------------------------------------------------


def two_apps(world: World, fake_time: FakeTime) -> None:
    """``web``: v1 live at 2 tasks, then v2 cut over (v1 recorded as previous); ``web-admin``: v1 live."""
    deploy_live(world, fake_time)
    world.make_live("v2", fake_time.clock)
    _other_app_live(world, fake_time)


def _other_app_live(world: World, fake_time: FakeTime) -> None:
    other = ExampleWorld(session=world.session, seeded=world.seeded, cluster=world.cluster)
    other.add_app(OTHER)
    other.add_version("v1", app=OTHER)
    world.sync()
    done = cutover(AwsContext.create(world.session, clock=fake_time.clock),
                   CutoverArgs(app=OTHER, version="v1", namespace=NAMESPACE))
    assert done["changed"], done


def a_paused_canary(world: World, fake_time: FakeTime) -> None:
    """``web``: v1 live, a canary of v2 paused at 10 % (both protected); ``web-admin``: v1 live."""
    deploy_live(world, fake_time)
    create_alarm(world).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="ok")
    paused = cutover(AwsContext.create(world.session, clock=fake_time.clock), CutoverArgs(
        app=APP, version="v2", namespace=NAMESPACE, steps_percent=[10], bake_seconds=0, alarm_names=[ALARM],
        pause_after_percent=[10]))
    assert paused["paused"], paused
    _other_app_live(world, fake_time)


def with_an_untagged_version(world: World, fake_time: FakeTime) -> None:
    """Both apps, and a version of ``web`` deployed as an earlier release did: no app tag on its stack."""
    two_apps(world, fake_time)
    body = render_version(world.version_spec(UNTAGGED, 1), where=UNTAGGED).to_json()
    world.client("cloudformation").create_stack(
        StackName=naming.version_stack(NAMESPACE, APP, UNTAGGED), TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
        Tags=[{"Key": "stacker_namespace", "Value": NAMESPACE}])
    world.sync()


# ---- what the user sees --------------------------------------------------------------------------


def app_stacks(world: World, app: str) -> dict[str, dict[str, Any]]:
    """Return name -> (status, protection, tags) of every existing stack of ``app`` (its application stack and
    versions, by exact name)."""
    pages = world.client("cloudformation").get_paginator("describe_stacks").paginate()
    return {s["StackName"]: {"status": s["StackStatus"], "protected": bool(s.get("EnableTerminationProtection")),
                             "tags": sorted((t["Key"], t["Value"]) for t in s.get("Tags", []))}
            for page in pages for s in page["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"
            and (s["StackName"] == naming.application_stack(NAMESPACE, app)
                 or naming.version_from_stack(NAMESPACE, app, s["StackName"]))}


def snapshot(world: World, looking: AwsContext, app: str) -> dict[str, Any]:
    """Return what a teardown of another app must not change of ``app``: its stacks, traffic and records."""
    return {"stacks": app_stacks(world, app), "traffic": sweep.reached(looking, app),
            "item": app_records(looking, NAMESPACE, app).read().item, "services": services_of(world, app)}


def services_of(world: World, app: str) -> dict[str, int]:
    """Return the ``ACTIVE`` ECS services of ``app`` -> desired count."""
    ecs = world.client("ecs")
    arns = ecs.list_services(cluster=world.cluster_name)["serviceArns"]
    found = ecs.describe_services(cluster=world.cluster_name, services=arns)["services"] if arns else []
    return {s["serviceName"]: s["desiredCount"] for s in found
            if s["status"] == "ACTIVE" and s["serviceName"].rsplit(naming.SERVICE_SEPARATOR, 1)[0] == app}


def cluster_exists(world: World) -> bool:
    """Return whether the environment's cluster stack (and so its coordination table) still exists."""
    return naming.cluster_stack(NAMESPACE) in world.stack_names()


def assert_serving_is_real(world: World, looking: AwsContext, app: str) -> None:
    """Every version ``app``'s live rule sends traffic to has its stack and healthy targets."""
    for version, weight in sweep.reached(looking, app).items():
        if weight == 0:
            continue
        assert naming.version_stack(NAMESPACE, app, version) in app_stacks(world, app), \
            f"{app}: traffic goes to {version}, whose stack is gone"
        group = contract.outputs_of(describe_stack(looking, naming.version_stack(NAMESPACE, app, version)) or {}).get(
            contract.TARGET_GROUP_ARN)
        healthy = [t for t in world.client("elbv2").describe_target_health(TargetGroupArn=group)[
            "TargetHealthDescriptions"] if t["TargetHealth"]["State"] == "healthy"]
        assert healthy, f"{app}: traffic goes to {version}, which has no healthy target"


def assert_every_status_tells_the_truth(world: World, looking: AwsContext) -> None:
    """``status`` of web (while its application stack stands) and ``status --all`` agree with the live rules and the
    stacks' protection; no app is shown live that takes no traffic."""
    if naming.application_stack(NAMESPACE, APP) in app_stacks(world, APP):
        sweep.assert_status_tells_the_truth(world, looking)
    for summary in describe_environment(looking, NAMESPACE).apps:
        weights = sweep.reached(looking, summary.app)
        serving = [v for v, w in weights.items() if w > 0]
        assert summary.live == (max(serving, key=weights.__getitem__) if serving else "-"), (summary, weights)
        stacks = app_stacks(world, summary.app)
        assert summary.protected == {v: stacks[naming.version_stack(NAMESPACE, summary.app, v)]["protected"]
                                     for v in weights}, summary


def unlock_what_is_left(world: World, looking: AwsContext) -> None:
    """Break each app's leases as the operator would; with the environment's cluster stack gone (and its table with
    it), unlock says there is no lease to break."""
    for app in (APP, OTHER):
        result = unlock(looking, AppQuery(app=app, namespace=NAMESPACE))
        if not cluster_exists(world):
            assert result["message"].startswith("no lease was held: environment ecs-dev has no cluster stack"), result


# ---- the operations ------------------------------------------------------------------------------


def _teardown(aws: AwsContext) -> dict[str, Any]:
    return teardown(aws, TeardownArgs(app=APP, namespace=NAMESPACE, force=True, lease_wait_seconds=0))


def _teardown_again(aws: AwsContext, world: World) -> dict[str, Any]:
    """Run teardown again without force; while web still takes traffic it must be refused naming force (and, for a
    canary, rollback), then forced."""
    return _again(aws, lambda force: teardown(aws, TeardownArgs(app=APP, namespace=NAMESPACE, force=force,
                                                                lease_wait_seconds=0)),
                  live=takes_traffic(world, APP))


def _teardown_environment(aws: AwsContext) -> dict[str, Any]:
    return teardown_environment(aws, TeardownEnvironmentArgs(namespace=NAMESPACE, force=True, lease_wait_seconds=0))


def _teardown_environment_again(aws: AwsContext, world: World) -> dict[str, Any]:
    return _again(aws, lambda force: teardown_environment(
        aws, TeardownEnvironmentArgs(namespace=NAMESPACE, force=force, lease_wait_seconds=0)),
                  live=takes_traffic(world, APP) or takes_traffic(world, OTHER))


def takes_traffic(world: World, app: str) -> bool:
    """Return whether ``app``'s live rule sends traffic anywhere (read through the world's own session)."""
    return bool(app_stacks(world, app)) and any(sweep.reached(AwsContext.create(world.session), app).values())


def _again(aws: AwsContext, run: Callable[[bool], dict[str, Any]], *, live: bool) -> dict[str, Any]:
    if live:
        with pytest.raises(AwsStateError, match=r"offline\. .*(Pass|pass) (--)?force"):
            run(False)
        return run(True)
    return run(False)


def _adopt(aws: AwsContext) -> dict[str, Any]:
    return adopt(aws, AdoptArgs(app=APP, namespace=NAMESPACE, lease_wait_seconds=0))


def _adopt_again(aws: AwsContext, world: World) -> dict[str, Any]:
    return _adopt(aws)


def ends_torn_down(world: World, looking: AwsContext, fake_time: FakeTime, left: dict[str, Any]) -> None:
    """Nothing of web is left, nothing of it recorded but an empty protection record; web-admin is as it was; web
    deploys and goes live again."""
    assert app_stacks(world, APP) == {}
    assert services_of(world, APP) == {}
    assert not dashboards(world, APP)
    item = app_records(looking, NAMESPACE, APP).read()
    sweep.assert_no_lease(looking)
    assert item.doc(PROTECTED) == {"versions": []}, item.doc(PROTECTED)
    assert [doc for doc in (PLAN, LIVE, SWITCH) if item.doc(doc) is not None] == [], item.item
    if left["rerun"]["changed"]:  # (a re-run that found nothing to delete records nothing, as any no-op)
        last = read_history(looking, NAMESPACE, APP, limit=1)[0]
        assert (last.operation, last.outcome) == ("teardown", SUCCEEDED), last
    assert snapshot(world, looking, OTHER) == left["other"], "tearing web down changed web-admin"
    deploy_again(world, fake_time, looking)


def dashboards(world: World, app: str) -> list[str]:
    """Return the app's dashboard, if it exists."""
    name = dashboard_name(NAMESPACE, app)
    found = world.client("cloudwatch").list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    return [d["DashboardName"] for d in found if d["DashboardName"] == name]


def deploy_again(world: World, fake_time: FakeTime, looking: AwsContext) -> None:
    """Deploy web's application stack and a new version, cut over: it goes live and is protected, alone."""
    world.application = ExampleWorld(session=world.session, seeded=world.seeded, cluster=world.cluster).add_app(APP)
    world.deploy_version("v3", 1)
    world.sync()
    world.make_live("v3", fake_time.clock)
    assert sweep.reached(looking) == {"v3": 1}
    assert {v: s["protected"] for v, s in app_stacks(world, APP).items()} == {
        naming.application_stack(NAMESPACE, APP): False, naming.version_stack(NAMESPACE, APP, "v3"): True}
    sweep.assert_status_tells_the_truth(world, looking)
    assert app_records(looking, NAMESPACE, APP).read().doc(PROTECTED) == {"versions": ["v3"]}


def ends_without_an_environment(world: World, looking: AwsContext, fake_time: FakeTime, left: dict[str, Any]) -> None:
    """No stack of the environment is left, and its ECS cluster is gone."""
    assert world.stack_names() == set()
    clusters = world.client("ecs").describe_clusters(clusters=[world.cluster_name])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters), clusters
    assert not dashboards(world, APP)
    assert not dashboards(world, OTHER)


def ends_adopted(world: World, looking: AwsContext, fake_time: FakeTime, left: dict[str, Any]) -> None:
    """Every stack of web carries the app tag once, besides the tags it had; the re-run tagged only what the crashed
    run had not; cleanup, status and teardown find v0 once; traffic and protection are as they were."""
    stacks = app_stacks(world, APP)
    for name, stack in stacks.items():
        assert [value for key, value in stack["tags"] if key == contract.TAG_APP] == [APP], (name, stack["tags"])
        assert set(left["web"]["stacks"][name]["tags"]) <= set(stack["tags"]), (name, stack["tags"])
        assert stack["protected"] == left["web"]["stacks"][name]["protected"], name
    rerun = left["rerun"]
    assert sorted(rerun["tagged"] + rerun["already_tagged"]) == sorted(stacks), rerun
    assert not set(rerun["tagged"]) & left["tagged_before"], (rerun, left["tagged_before"])
    assert sorted(v.version for v in list_version_stacks(looking, NAMESPACE, APP)) == [UNTAGGED, "v1", "v2"]
    assert sweep.reached(looking) == left["web"]["traffic"]
    assert snapshot(world, looking, OTHER) == left["other"], "adopting web changed web-admin"


OPERATIONS: dict[str, Operation] = {
    "teardown": Operation(two_apps, _teardown, _teardown_again, ends_torn_down),
    "teardown-canary": Operation(a_paused_canary, _teardown, _teardown_again, ends_torn_down),
    "teardown-environment": Operation(two_apps, _teardown_environment, _teardown_environment_again,
                                      ends_without_an_environment),
    "adopt": Operation(with_an_untagged_version, _adopt, _adopt_again, ends_adopted),
}


# ---- the sweep -----------------------------------------------------------------------------------


def prepared(world: World, fake_time: FakeTime, name: str) -> tuple[Operation, dict[str, Any]]:
    """Return ``name``'s operation with its world prepared, and what each app was before it ran."""
    operation = OPERATIONS[name]
    operation.setup(world, fake_time)
    looking = sweep.observer(fake_time)
    return operation, {"web": snapshot(world, looking, APP), "other": snapshot(world, looking, OTHER)}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_clean_run_makes_the_writes_the_sweep_crashes_before(world: World, fake_time: FakeTime, name: str):
    sweep.assert_writes_as_listed(prepared(world, fake_time, name)[0].run, fake_time, name, WRITES[name])


def test_unlock_makes_one_write(world: World, fake_time: FakeTime):
    sweep.assert_writes_as_listed(lambda aws: unlock(aws, AppQuery(app=APP, namespace=NAMESPACE)), fake_time, "unlock",
                            ["dynamodb.UpdateItem (both leases)"])


@pytest.mark.parametrize(("name", "at", "mode"), sweep.crash_points(WRITES, known=KNOWN, swept_to=SWEPT_TO,
                                                                   swept_before=SWEPT_BEFORE, opens=(DELETE_RULE, TAG)))
def test_a_crash_before_any_write_leaves_other_apps_alone_and_a_rerun_finishes(world: World, fake_time: FakeTime,
                                                                               name: str, at: int, mode: str):
    operation, left = prepared(world, fake_time, name)
    sweep.crashed_run(operation.run, fake_time, at, kill=mode == "kill", writes=len(WRITES[name]))
    looking = sweep.observer(fake_time)
    unlock_what_is_left(world, looking)

    for app in (APP, OTHER):
        if app_stacks(world, app):
            assert_serving_is_real(world, looking, app)
    if name != "teardown-environment":
        assert snapshot(world, looking, OTHER) == left["other"], f"{name} of web changed web-admin"
    if cluster_exists(world):
        assert_every_status_tells_the_truth(world, looking)
    left["tagged_before"] = {n for n, s in app_stacks(world, APP).items()
                             if (contract.TAG_APP, APP) in s["tags"] and (contract.TAG_APP, APP) not in
                             left["web"]["stacks"].get(n, {}).get("tags", [])}

    left["rerun"] = operation.rerun(AwsContext.create(boto3.Session(region_name=REGION), clock=fake_time.clock),
                                    world)
    operation.check(world, looking, fake_time, left)


# ---- a re-run while CloudFormation still deletes ---------------------------------------------------


def killed_during_the_delete_of(world: World, fake_time: FakeTime, run: sweep.Run, stack_name: str) -> None:
    """Run ``run`` until it asks CloudFormation to delete ``stack_name``; then, as AWS answers (the delete starts and
    takes minutes), the stack is ``DELETE_IN_PROGRESS``, and the process is killed while it waits."""
    session = boto3.Session(region_name=REGION)
    killed: list[str] = []

    def call(params: dict[str, Any], model: Any, **_: Any) -> None:
        if not killed and model.name == "DeleteStack" and f"/{stack_name}/" in params["StackName"]:
            set_stack_status(stack_name, "DELETE_IN_PROGRESS")
            killed.append(model.name)
        if killed:  # from the kill on, nothing more is sent
            raise SimulatedCrash(f"{model.name}: killed while {stack_name} is deleted")

    session.events.register("provide-client-params.*.*", call)
    with contextlib.suppress(SimulatedCrash):
        run(AwsContext.create(session, clock=fake_time.clock))
    assert killed, f"{stack_name} was never deleted"


@dataclass(frozen=True)
class Gone:
    """A resource CloudFormation has deleted mid-way through its stack's delete, as a call about it then answers."""

    operation: str
    """The API call (botocore's event name, e.g. ``elastic-load-balancing-v2.DescribeRules``)."""
    param: str
    value: str
    code: str


def cloudformation_finishing(world: World, session: boto3.Session, stack_name: str, gone: Gone) -> None:
    """While ``stack_name`` is being deleted, ``gone`` is gone (AWS answers ``gone.code`` for it); CloudFormation
    finishes the delete when ``session`` reads the stack by its id a second time (the first still sees it deleting)."""
    reads: list[str] = []

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get(gone.param) == gone.value and stack_name in app_stacks_named(world, stack_name):
            raise ClientError({"Error": {"Code": gone.code, "Message": f"{gone.value} not found"}},
                              gone.operation.split(".")[-1])

    def finish(params: dict[str, Any], **_: Any) -> None:
        stack = app_stacks_named(world, stack_name).get(stack_name)
        if not (stack and stack["StackStatus"] == "DELETE_IN_PROGRESS" and params.get("StackName") == stack["StackId"]):
            return
        reads.append(stack_name)
        if len(reads) > 1:
            set_stack_status(stack_name, "CREATE_COMPLETE")
            world.client("cloudformation").delete_stack(StackName=stack["StackId"])

    session.events.register(f"provide-client-params.{gone.operation}", refuse)
    session.events.register("provide-client-params.cloudformation.DescribeStacks", finish)


def deletes_through(session: boto3.Session) -> list[str]:
    """Return (as they are made) the ``StackName`` of each ``DeleteStack`` through ``session``."""
    deletes: list[str] = []
    session.events.register("provide-client-params.cloudformation.DeleteStack",
                            lambda params, **_: deletes.append(params["StackName"]))
    return deletes


def killed_then_unlocked(world: World, fake_time: FakeTime, run: sweep.Run, stack_name: str,
                         gone: Gone) -> tuple[AwsContext, boto3.Session, list[str]]:
    """Kill ``run`` while ``stack_name`` is deleted, unlock as the operator would; return an observer, the re-run's
    session (CloudFormation finishing the delete as it reads, ``gone`` answering as gone) and its deletes."""
    killed_during_the_delete_of(world, fake_time, run, stack_name)
    looking = sweep.observer(fake_time)
    unlock_what_is_left(world, looking)
    rerun = boto3.Session(region_name=REGION)
    cloudformation_finishing(world, rerun, stack_name, gone)
    return looking, rerun, deletes_through(rerun)


def app_stacks_named(world: World, stack_name: str) -> dict[str, dict[str, Any]]:
    """Return ``stack_name``'s ``DescribeStacks`` entry (by name -> entry), if it exists."""
    found = world.client("cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"]: s for s in found if s["StackName"] == stack_name}


def listener_gone(world: World, app: str) -> Gone:
    """``app``'s listener, gone: ``DescribeRules`` answers ``ListenerNotFound``."""
    outputs = contract.outputs_of(describe_stack(AwsContext.create(world.session), naming.application_stack(
        NAMESPACE, app)) or {})
    return Gone("elastic-load-balancing-v2.DescribeRules", "ListenerArn", outputs[contract.LISTENER_ARN],
                "ListenerNotFound")


@pytest.mark.parametrize("stack", ["application", "v1"])
def test_a_teardown_killed_while_a_stack_of_the_app_is_deleted_is_finished_by_a_rerun(world: World,
                                                                                     fake_time: FakeTime, stack: str):
    _, left = prepared(world, fake_time, "teardown")
    if stack == "application":
        name, gone = naming.application_stack(NAMESPACE, APP), listener_gone(world, APP)
    else:
        name = naming.version_stack(NAMESPACE, APP, stack)
        gone = Gone("elastic-load-balancing-v2.DescribeTargetHealth", "TargetGroupArn", world.target_group(stack),
                    "TargetGroupNotFound")
    looking, rerun, deletes = killed_then_unlocked(world, fake_time, _teardown, name, gone)

    left["rerun"] = teardown(AwsContext.create(rerun, clock=fake_time.clock),
                             TeardownArgs(app=APP, namespace=NAMESPACE, lease_wait_seconds=0))

    assert left["rerun"]["application_stack"] == naming.application_stack(NAMESPACE, APP)
    assert not [d for d in deletes if f"/{name}/" in d], "a stack being deleted was deleted again"
    ends_torn_down(world, looking, fake_time, left)


@pytest.mark.parametrize("stack", ["web", "cluster"])
def test_an_environment_teardown_killed_while_a_stack_is_deleted_is_finished_by_a_rerun(world: World,
                                                                                       fake_time: FakeTime, stack: str):
    _, left = prepared(world, fake_time, "teardown-environment")
    name = naming.cluster_stack(NAMESPACE) if stack == "cluster" else naming.application_stack(NAMESPACE, APP)
    gone = Gone("ecs.ListServices", "cluster", world.cluster_name, "ClusterNotFoundException") if stack == "cluster" \
        else listener_gone(world, APP)
    looking, rerun, deletes = killed_then_unlocked(world, fake_time, _teardown_environment, name, gone)

    left["rerun"] = _teardown_environment_again(AwsContext.create(rerun, clock=fake_time.clock), world)

    assert not [d for d in deletes if f"/{name}/" in d], "a stack being deleted was deleted again"
    ends_without_an_environment(world, looking, fake_time, left)


def test_adopt_of_a_stack_cloudformation_cannot_update_is_refused_before_any_tag_naming_the_fix(world: World,
                                                                                              fake_time: FakeTime):
    _, left = prepared(world, fake_time, "adopt")
    failed = naming.version_stack(NAMESPACE, APP, "v9")
    world.client("cloudformation").create_stack(StackName=failed, TemplateBody=failed_version_template(APP, "v9"))
    set_stack_status(failed, "ROLLBACK_COMPLETE")  # its create failed: CloudFormation refuses any UpdateStack
    aws = sweep.observer(fake_time)

    with pytest.raises(AwsStateError) as refused:
        adopt(aws, AdoptArgs(app=APP, namespace=NAMESPACE, versions=["v9"]))

    assert str(refused.value) == (
        f"web: adopt refused, nothing was tagged: CloudFormation updates (and so tags) no stack in these states: "
        f"{failed} is ROLLBACK_COMPLETE: its create failed and it holds nothing to adopt; delete it (`aws "
        f"cloudformation delete-stack --stack-name {failed}`). Then run adopt again")
    assert app_stacks(world, APP) == {**left["web"]["stacks"], failed: app_stacks(world, APP)[failed]}
    world.client("cloudformation").delete_stack(StackName=failed)  # the fix it names
    left["rerun"] = adopt(aws, AdoptArgs(app=APP, namespace=NAMESPACE, versions=["v9"]))
    left["tagged_before"] = set()
    assert left["rerun"]["not_found"] == ["v9"]
    ends_adopted(world, aws, fake_time, left)


def failed_application_stack(world: World, app: str) -> str:
    """Create ``app``'s application stack as a failed create leaves it (e.g. its certificate never validated):
    ``ROLLBACK_COMPLETE``, no listener, no outputs; return its name."""
    failed = naming.application_stack(NAMESPACE, app)
    world.client("cloudformation").create_stack(StackName=failed, TemplateBody=failed_version_template(app, "x"),
                                                Tags=[{"Key": "stacker_namespace", "Value": NAMESPACE}])
    set_stack_status(failed, "ROLLBACK_COMPLETE")
    return failed


def test_teardown_deletes_an_application_stack_whose_create_failed(world: World, fake_time: FakeTime):
    _, left = prepared(world, fake_time, "teardown")
    failed = failed_application_stack(world, "shop")

    result = teardown(sweep.observer(fake_time), TeardownArgs(app="shop", namespace=NAMESPACE, lease_wait_seconds=0))

    assert result["application_stack"] == failed
    assert app_stacks(world, "shop") == {}
    looking = sweep.observer(fake_time)
    assert snapshot(world, looking, APP) == left["web"]
    assert snapshot(world, looking, OTHER) == left["other"]


def test_teardown_environment_deletes_an_application_stack_whose_create_failed(world: World, fake_time: FakeTime):
    _, left = prepared(world, fake_time, "teardown-environment")
    failed_application_stack(world, "shop")

    result = _teardown_environment(sweep.observer(fake_time))

    assert [a["app"] for a in result["apps"]] == ["shop", APP, OTHER]
    ends_without_an_environment(world, sweep.observer(fake_time), fake_time, left)
