"""Many apps in one environment: live routing no stack update reverts, what a redeploy may change,
the build's switches, and teardown of one app or the whole environment."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from emulator.faults import SimulatedCrash, crash_before
from emulator.world import ExampleWorld
from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import LeaseHeldError, app_records, try_acquire
from stacker_ecs.core.errors import AwsCallError, AwsStateError, ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.canary_plan import CanaryPlan, plan_of
from stacker_ecs.core.ops.listener import read_listener, write_forward
from stacker_ecs.core.ops.lookups import VersionQuery, find_deployed_version
from stacker_ecs.core.ops.protection import set_protection
from stacker_ecs.core.ops.teardown import (
    DestroyCheckArgs,
    TeardownArgs,
    TeardownEnvironmentArgs,
    check_destroy,
    find_apps,
    teardown,
    teardown_environment,
)
from stacker_ecs.core.switches import BuildArgs, check_build
from stacker_ecs.core.templates.application import ApplicationSpec, build_application
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World

# ---- live routing ------------------------------------------------------------------------------


def _update_application(world: World, **changes: str) -> None:
    spec = parse(ApplicationSpec, {
        "App": APP, "Environment": "dev", "ClusterName": world.cluster["ClusterName"], "VpcId": world.seeded.vpc_id,
        "Subnets": world.seeded.public_subnets,
        "SharedLoadBalancerSecurityGroupId": world.cluster["SharedLoadBalancerSecurityGroupId"],
        "CertificateArn": world.seeded.certificate_arn, "Domain": world.seeded.domain, **changes}, where=APP)
    world.session.client("cloudformation").update_stack(
        StackName=naming.application_stack(NAMESPACE, APP), TemplateBody=build_application(spec).to_json(),
        Capabilities=["CAPABILITY_IAM"])


def _live_rule_owners(world: World) -> list[str]:
    """Return the stacks that hold the live rule as a resource (an update of such a stack rewrites it)."""
    rules = world.session.client("elbv2").describe_rules(ListenerArn=world.listener_arn)["Rules"]
    (live,) = [r["RuleArn"] for r in rules if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
    cfn = world.session.client("cloudformation")
    return [name for name in sorted(world.stack_names())
            if any(r.get("PhysicalResourceId") == live
                   for r in cfn.describe_stack_resources(StackName=name)["StackResources"])]


def test_an_application_stack_update_of_the_listener_moves_no_traffic(live_world: World, fake_time: FakeTime):
    live_world.make_live("v2", fake_time.clock)
    before = live_world.forward()

    # when the platform changes the listener's TLS policy (CloudFormation re-applies its default action)
    _update_application(live_world, SslPolicy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06")

    # then the live rule, which no stack owns, still sends the traffic where it was
    assert _live_rule_owners(live_world) == []
    listener = live_world.session.client("elbv2").describe_listeners(ListenerArns=[live_world.listener_arn])
    assert listener["Listeners"][0]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert live_world.forward() == before == {live_world.target_group("v2"): 1, live_world.target_group("v1"): 0}
    # and the default action is still the template's (nothing for drift detection to report)
    assert listener["Listeners"][0]["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "503"


def test_the_first_cutover_creates_the_live_rule_at_the_last_priority_on_every_path(world: World,
                                                                                     fake_time: FakeTime):
    world.deploy_version("v1")
    world.sync()

    world.make_live("v1", fake_time.clock)

    rules = world.session.client("elbv2").describe_rules(ListenerArn=world.listener_arn)["Rules"]
    (live,) = [r for r in rules if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
    assert live["Conditions"][0]["Field"] == "path-pattern"
    assert live["Conditions"][0]["PathPatternConfig"]["Values"] == ["/*"]
    assert world.forward() == {world.target_group("v1"): 1}


def test_a_cutover_that_finds_the_live_rule_created_meanwhile_writes_it_instead(world: World, fake_time: FakeTime):
    # given another cutover created the live rule after this one read the listener
    world.deploy_version("v1")
    world.deploy_version("v2")
    world.sync()
    stale = read_listener(AwsContext.create(world.session), NAMESPACE, APP)
    world.set_forward({"v1": 1})

    # when this one writes from its stale read
    write_forward(AwsContext.create(world.session), stale, {world.target_group("v2"): 1})

    # then there is still one live rule, and it says what this cutover wrote
    rules = world.session.client("elbv2").describe_rules(ListenerArn=world.listener_arn)["Rules"]
    assert sum(r["Priority"] == str(naming.LIVE_RULE_PRIORITY) for r in rules) == 1
    assert world.forward() == {world.target_group("v2"): 1}


# ---- what a redeploy may change ----------------------------------------------------------------

def test_the_deployed_version_lookup_tells_live_previous_idle_and_absent(live_world: World, fake_time: FakeTime):
    live_world.deploy_version("v4")
    live_world.sync()
    live_world.make_live("v2", fake_time.clock)

    def role(version: str) -> str:
        query = VersionQuery(app=APP, namespace=NAMESPACE, version=version)
        return find_deployed_version(AwsContext.create(live_world.session), query).partition(":")[0]

    assert [role(v) for v in ("v2", "v1", "v4", "v9")] == ["live", "previous", "idle", "absent"]
    live_world.set_forward({"v2": 60, "v4": 40})
    assert role("v4") == "serving"


# ---- the build's switches ----------------------------------------------------------------------

APPS = ["web", "web-admin"]


def test_a_plain_build_with_no_switch_needs_no_app():
    assert check_build(BuildArgs(apps=APPS)) == {"app": None, "switches": []}


def test_a_pipeline_build_names_its_app_version_and_switches():
    args = BuildArgs(apps=APPS, app="web-admin", version="v7", deploy=True, cutover=True)
    assert check_build(args) == {"app": "web-admin", "version": "v7", "switches": ["deploy", "cutover"]}


@pytest.mark.parametrize(("settings", "expected"), [
    ({"app": "api", "cleanup": True}, "app: 'api' is not an app of this config (apps: web, web-admin); pass "
                                      "-e app=<app> with cleanup"),
    ({"app": "web", "deploy": True}, "version: not given; pass -e version=<version> with deploy"),
    ({"app": "web", "version": "v_1", "cutover": True}, "version: 'v_1' has '_'"),
    ({"app": "web", "version": "v1", "cutover": True, "rollback": True},
     "rollback: cannot run in the same build as cutover; run it alone"),
    ({"app": "web", "teardown": True, "cleanup": True}, "teardown: cannot run in the same build as cleanup"),
], ids=["unknown-app", "no-version", "bad-version", "rollback-with-cutover", "teardown-with-cleanup"])
def test_a_build_whose_switches_cannot_run_is_refused_naming_the_fix(settings: dict, expected: str):
    with pytest.raises(ConfigError) as caught:
        check_build(BuildArgs(apps=APPS, **settings))
    assert str(caught.value).startswith("build switches: ")
    assert expected in str(caught.value)


# ---- teardown ----------------------------------------------------------------------------------

def test_teardown_of_a_live_app_is_refused_unless_forced_and_then_removes_it_in_order(live_world: World,
                                                                                        fake_time: FakeTime):
    before = live_world.stack_names()
    with pytest.raises(AwsStateError, match="web: v1 is live; tearing the app down takes its site offline"):
        teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
                 TeardownArgs(app=APP, namespace=NAMESPACE))
    assert live_world.stack_names() == before

    result = teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
                      TeardownArgs(app=APP, namespace=NAMESPACE, force=True))

    assert result["versions"] == ["v1", "v2"]
    assert live_world.stack_names() == {naming.cluster_stack(NAMESPACE)}


def test_teardown_of_one_app_leaves_the_other_app_alone(live_world: World, fake_time: FakeTime):
    other = ExampleWorld(session=live_world.session, seeded=live_world.seeded, cluster=live_world.cluster)
    other.add_app("web-admin")
    other.add_version("v1", app="web-admin")

    teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
             TeardownArgs(app="web-admin", namespace=NAMESPACE))

    assert find_apps(AwsContext.create(live_world.session), NAMESPACE) == ["web"]
    assert live_world.live_version() == "v1"
    assert naming.version_stack(NAMESPACE, APP, "v2") in live_world.stack_names()


def test_teardown_of_the_environment_refuses_while_an_app_is_live_then_removes_everything(live_world: World,
                                                                                          fake_time: FakeTime):
    with pytest.raises(AwsStateError, match=r"apps still live: web \(v1\)"):
        teardown_environment(AwsContext.create(live_world.session, clock=fake_time.clock),
                             TeardownEnvironmentArgs(namespace=NAMESPACE))

    read: list[str] = []
    live_world.session.events.register("provide-client-params.cloudformation.DescribeStacks",
                                       lambda params, **_: read.append(params.get("StackName", "")))
    teardown_environment(AwsContext.create(live_world.session, clock=fake_time.clock),
                         TeardownEnvironmentArgs(namespace=NAMESPACE, force=True))

    assert live_world.stack_names() == set()
    # the application stack is read by name once to find the app and once by its teardown (its outputs from that read)
    assert read.count(naming.application_stack(NAMESPACE, APP)) == 2


def _record_canary(world: World) -> None:
    """Record a canary of v2 from v1, as a stepped cutover does before its first step."""
    aws = AwsContext.create(world.session)
    v1, v2 = world.target_group("v1"), world.target_group("v2")
    app_records(aws, NAMESPACE, APP).update(set_docs={"canary": CanaryPlan(
        version="v2", target_group_arn=v2, before={v1: 1}, live_version="v1", versions={v1: "v1", v2: "v2"},
        steps_percent=[10, 50], step=0, alarm_names=[], bake_seconds=60, started_by="ci",
        started_at=time.time()).to_doc()})


def test_teardown_refuses_while_a_canary_is_recorded_unless_forced_and_forced_drops_the_record(
        live_world: World, fake_time: FakeTime):
    _record_canary(live_world)
    before = live_world.stack_names()

    with pytest.raises(AwsStateError, match=r"web: a canary of v2 .* is recorded; .* Roll it back first"):
        teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
                 TeardownArgs(app=APP, namespace=NAMESPACE, force=False))
    assert live_world.stack_names() == before
    assert live_world.live_version() == "v1"

    teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
             TeardownArgs(app=APP, namespace=NAMESPACE, force=True))

    assert live_world.stack_names() == {naming.cluster_stack(NAMESPACE)}
    assert plan_of(app_records(AwsContext.create(live_world.session), NAMESPACE, APP).read()) is None


def test_teardown_holds_the_app_lease_so_it_is_refused_while_another_writer_holds_it(live_world: World,
                                                                                      fake_time: FakeTime):
    records = app_records(AwsContext.create(live_world.session), NAMESPACE, APP)
    assert try_acquire(records, "cutover", "v2", ttl_seconds=120)[0] is not None
    before = live_world.stack_names()

    with pytest.raises(LeaseHeldError, match=r"teardown refused: another operation holds the app's lease") as held:
        teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
                 TeardownArgs(app=APP, namespace=NAMESPACE, force=True, lease_wait_seconds=0))

    assert str(held.value).endswith("break it with `stacker-ecs unlock web --namespace ecs-dev`")

    assert live_world.stack_names() == before
    assert live_world.live_version() == "v1"


def test_a_teardown_killed_half_way_is_finished_by_a_rerun_without_force(live_world: World, fake_time: FakeTime):
    deletes: list[str] = []
    live_world.session.events.register("before-call.cloudformation.DeleteStack",
                                       lambda **kwargs: deletes.append(kwargs["model"].name))
    crash_before(live_world.session, "DeleteStack", when=lambda: len(deletes) == 2)
    with pytest.raises(SimulatedCrash):
        teardown(AwsContext.create(live_world.session, clock=fake_time.clock),
                 TeardownArgs(app=APP, namespace=NAMESPACE, force=True))
    # the live rule is gone (the site is offline, as forced) and one version stack was deleted
    assert live_world.live_version() is None
    assert naming.application_stack(NAMESPACE, APP) in live_world.stack_names()

    rerun = live_world.session.__class__(region_name="us-east-1")  # a new process: nothing is live, no force
    result = teardown(AwsContext.create(rerun, clock=fake_time.clock), TeardownArgs(app=APP, namespace=NAMESPACE))

    assert result["live"] is None
    assert live_world.stack_names() == {naming.cluster_stack(NAMESPACE)}


@pytest.mark.parametrize(("status", "done"), [("DELETE_IN_PROGRESS", True), ("UPDATE_COMPLETE", False)])
def test_taking_protection_off_a_stack_being_deleted_is_done_even_if_cloudformation_refuses_the_switch(
        status: str, done: bool):
    # A teardown killed after a version's DeleteStack leaves its protection record pending; the re-run takes the
    # protection off again while CloudFormation deletes the stack. AWS does not document whether it accepts that
    # switch then: its refusal (an answer moto cannot give) must not stop the re-run, and only then.
    name = naming.version_stack(NAMESPACE, APP, "v1")
    aws = AwsContext.create(boto3.Session(region_name="us-east-1"))
    refusal = f"Stack [{name}] is in {status} state and can not be updated."
    with Stubber(aws.client("cloudformation")) as stub:
        stub.add_client_error("update_termination_protection", "ValidationError", refusal)
        stub.add_response("describe_stacks", {"Stacks": [{"StackName": name, "StackStatus": status,
                                                          "CreationTime": datetime.now(UTC)}]}, {"StackName": name})
        if done:
            assert set_protection(aws, NAMESPACE, APP, "v1", on=False) is None
        else:
            with pytest.raises(AwsCallError, match="can not be updated"):
                set_protection(aws, NAMESPACE, APP, "v1", on=False)
        stub.assert_no_pending_responses()


# ---- destroy ------------------------------------------------------------------------------------

def _everything(world: World, *versions: str) -> list[str]:
    """Return what a destroy of the example config deletes: cluster, app stack and the named versions."""
    return [naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, APP),
            *(naming.version_stack(NAMESPACE, APP, v) for v in versions)]


def test_a_destroy_is_refused_while_the_app_is_live_and_reads_only(live_world: World, fake_time: FakeTime):
    before = live_world.stack_names()
    with pytest.raises(AwsStateError, match=r"destroy of ecs-dev refused: web: v1 is live\. Remove each app with "
                                            r"teardown first .* 'stacker-ecs teardown-environment --namespace "
                                            r"ecs-dev \[--force\]'"):
        check_destroy(AwsContext.create(live_world.session), DestroyCheckArgs(
            namespace=NAMESPACE, stacks=_everything(live_world, "v1", "v2")))
    assert live_world.stack_names() == before
    assert live_world.live_version() == "v1"


def test_a_destroy_that_would_leave_versions_behind_is_refused_naming_them(world: World):
    world.deploy_version("v1")
    world.deploy_version("v2")
    with pytest.raises(AwsStateError, match=r"web: its versions v2 would be left behind"):
        check_destroy(AwsContext.create(world.session), DestroyCheckArgs(
            namespace=NAMESPACE, stacks=_everything(world, "v1")))


def test_a_destroy_of_the_cluster_is_refused_while_an_app_outside_the_config_exists(world: World):
    other = ExampleWorld(session=world.session, seeded=world.seeded, cluster=world.cluster)
    other.add_app("web-admin")
    with pytest.raises(AwsStateError, match=r"web-admin: its application stack is not in this config"):
        check_destroy(AwsContext.create(world.session),
                      DestroyCheckArgs(namespace=NAMESPACE, stacks=_everything(world)))


def test_a_destroy_of_everything_that_exists_is_allowed(world: World):
    world.deploy_version("v1")
    result = check_destroy(AwsContext.create(world.session), DestroyCheckArgs(
        namespace=NAMESPACE, stacks=_everything(world, "v1")))
    assert result["stacks"] == sorted(_everything(world, "v1"))
