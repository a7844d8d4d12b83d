"""A deployed world for the lifecycle operations, built in-process on moto.

``world`` is what ``stacker build`` of the example config leaves behind: the seeded account, the
cluster stack, the application stack of app ``web`` (namespace ``ecs-dev``), and version stacks
rendered by the same builders the blueprints call, each with the rule priority the
``alb_rule_priority`` lookup would give it. ``world.agent`` plays ECS (moto runs no containers);
it works through its own boto3 session, so a :class:`CallCounter` on ``world.session`` counts only
what the code under test calls.

Tests that only read a world may share one per class (:class:`ReadsOfOneWorld`); any other test gets
its own.

``fake_time`` (:class:`emulator.clock.FakeTime`) is the clock of every wait: its ``sleep`` moves
time forward and lets the agent do one pass, so waits end deterministically and no test sleeps.
``aws`` is the operations' AWS context on that clock.

Other test directories build the same world with :func:`build_world` and :class:`FakeTime`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
import pytest
from moto import mock_aws

from emulator.calls import EveryCall
from emulator.clock import FakeTime
from emulator.ecs_agent import EcsAgent
from emulator.seed import World as Seeded
from emulator.world import ExampleWorld
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.listener import forward_weights
from stacker_ecs.core.ops.lookups import RulePriorityQuery, find_rule_priority
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.templates.version import VersionSpec, render_version
from tests.fake_aws import use_fake_aws

REGION = "us-east-1"
NAMESPACE = "ecs-dev"
ALARM = "web-5xx"
"""The CloudWatch alarm the stepped-cutover tests watch (see :func:`create_alarm`)."""
APP = "web"
TASK_DEFINITION = {"containerDefinitions": [
    {"name": "web", "image": "nginx:1", "memory": 256, "portMappings": [{"containerPort": 80}]}]}
__all__ = ["FakeTime"]


def stack_tags(app: str) -> list[dict[str, str]]:
    """Return a version stack's tags as stacker sets them from the config's ``tags:``."""
    return [{"Key": k, "Value": v} for k, v in contract.version_stack_tags(app).items()]


def outputs_of(session: boto3.Session | Any, stack_name: str) -> dict[str, str]:
    """Return a stack's outputs (through a session or a CloudFormation client); fail the test if it is not complete."""
    cfn = session.client("cloudformation") if isinstance(session, boto3.Session) else session
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", (stack_name, stack["StackStatus"])
    return contract.outputs_of(stack)


@dataclass
class World:
    """Seeded account, cluster and application stacks of app ``web``; versions deployed on demand."""

    session: boto3.Session
    seeded: Seeded
    cluster: dict[str, str]
    application: dict[str, str]
    agent: EcsAgent
    versions: dict[str, dict[str, str]] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """Return the world's own client of ``service`` on ``session``, made once (each new one costs ~10 ms).

        A :class:`CallCounter` on ``session`` sees these calls only if it was made before the client:
        the code under test makes its own clients, so a counter counts all of its calls.
        """
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    @property
    def listener_arn(self) -> str:
        """Return the application's HTTPS listener."""
        return self.application["ListenerArn"]

    @property
    def cluster_name(self) -> str:
        """Return the ECS cluster's name."""
        return self.cluster["ClusterName"]

    def version_spec(self, version: str, desired_count: int = 1, **variables: Any) -> VersionSpec:
        """Return the spec the Version blueprint would build for ``version`` (priority from the lookup)."""
        priority = find_rule_priority(AwsContext.create(self.session), RulePriorityQuery(app=APP, namespace=NAMESPACE,
                                                                                         version=version))
        data = {
            "App": APP, "Version": version, "Environment": "dev",
            "ClusterName": self.cluster["ClusterName"], "LaunchType": self.cluster["LaunchType"],
            "VpcId": self.cluster["VpcId"], "Subnets": self.cluster["Subnets"],
            "ContainerSecurityGroupId": self.cluster["ContainerSecurityGroupId"],
            "LogGroupName": self.cluster["LogGroupName"], "ListenerArn": self.listener_arn,
            "Domain": self.application["Domain"], "RulePriority": priority, "DesiredCount": desired_count,
            "TaskDefinition": TASK_DEFINITION, "HealthCheckPath": "/health", **variables,
        }
        return parse(VersionSpec, data, where=f"test version {version}")

    def deploy_version(self, version: str, desired_count: int = 1, *, termination_protection: bool = False,
                       **variables: Any) -> dict[str, str]:
        """Create ``version``'s stack as ``stacker build`` would, and return its outputs."""
        spec = self.version_spec(version, desired_count, **variables)
        body = render_version(spec, where=f"test version {version}").to_json()
        name = naming.version_stack(NAMESPACE, APP, version)
        self.client("cloudformation").create_stack(
            StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
            EnableTerminationProtection=termination_protection, Tags=stack_tags(APP))
        self.versions[version] = outputs_of(self.client("cloudformation"), name)
        return self.versions[version]

    def target_group(self, version: str) -> str:
        """Return a deployed version's target group ARN."""
        return self.versions[version]["TargetGroupArn"]

    def sync(self) -> None:
        """Let ECS (the agent) catch up: targets registered, running counts set, broken tasks stopped."""
        self.agent.sync()

    def make_live(self, version: str, clock: Clock) -> dict[str, Any]:
        """Cut over to ``version`` through the real operation (the version must be healthy)."""
        result = cutover(AwsContext.create(self.session, clock=clock), CutoverArgs(app=APP, version=version,
                                                                                   namespace=NAMESPACE))
        assert result["changed"], result
        return result

    def forward(self) -> dict[str, int]:
        """Return target group -> weight of the app's live rule, read straight from ELB."""
        rules = self.client("elbv2").describe_rules(ListenerArn=self.listener_arn)["Rules"]
        live = [r for r in rules if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
        return forward_weights(live[0]["Actions"]) if live else {}

    def set_forward(self, weights: dict[str, int]) -> None:
        """Write the live rule as another pipeline's cutover would (``version -> weight``)."""
        actions = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": self.target_group(v), "Weight": w} for v, w in weights.items()]}}]
        elbv2 = self.client("elbv2")
        rules = elbv2.describe_rules(ListenerArn=self.listener_arn)["Rules"]
        live = [r for r in rules if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
        if live:
            elbv2.modify_rule(RuleArn=live[0]["RuleArn"], Actions=actions)
        else:
            elbv2.create_rule(ListenerArn=self.listener_arn, Priority=naming.LIVE_RULE_PRIORITY, Actions=actions,
                              Conditions=[{"Field": "path-pattern", "Values": [naming.LIVE_RULE_PATH]}])

    def live_version(self) -> str | None:
        """Return the deployed version the listener sends traffic to (weight > 0), read straight from ELB."""
        live = [arn for arn, weight in self.forward().items() if weight > 0]
        return next((v for v, out in self.versions.items() if [out["TargetGroupArn"]] == live), None)

    def service(self, version: str) -> dict[str, Any]:
        """Return a version's ECS service."""
        services = self.client("ecs").describe_services(
            cluster=self.cluster_name, services=[naming.service_name(APP, version)], include=["TAGS"])["services"]
        (service,) = [s for s in services if s["status"] == "ACTIVE"]
        return service

    def termination_protection(self, version: str) -> bool:
        """Return whether a version's stack has termination protection on."""
        stack = self.client("cloudformation").describe_stacks(
            StackName=naming.version_stack(NAMESPACE, APP, version))["Stacks"][0]
        return bool(stack.get("EnableTerminationProtection"))

    def desired_count(self, version: str) -> int:
        """Return a version's desired count."""
        return int(self.service(version)["desiredCount"])

    def set_desired_count(self, version: str, count: int) -> None:
        """Scale a version out of band, as an operator or autoscaling would."""
        self.client("ecs").update_service(
            cluster=self.cluster_name, service=naming.service_name(APP, version), desiredCount=count)

    def healthy_targets(self, version: str) -> int:
        """Return how many healthy targets a version's target group has."""
        targets = self.client("elbv2").describe_target_health(
            TargetGroupArn=self.target_group(version))["TargetHealthDescriptions"]
        return sum(1 for t in targets if t["TargetHealth"]["State"] == "healthy")

    def stack_names(self) -> set[str]:
        """Return the names of every stack that is not deleted."""
        pages = self.client("cloudformation").get_paginator("describe_stacks").paginate()
        return {s["StackName"] for page in pages for s in page["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}

    def version_stacks(self) -> set[str]:
        """Return the versions of ``web`` whose stacks exist."""
        return {v for name in self.stack_names() if (v := naming.version_from_stack(NAMESPACE, APP, name))}

    def delete_version_out_of_band(self, version: str) -> None:
        """Delete a version's stack behind the suite's back (console, another tool).

        Termination protection is switched off first (AWS refuses the delete otherwise).
        CloudFormation deletes the service and the host rule; the target group, while the listener
        still uses it, fails the delete (DELETE_FAILED), and a second delete retains it, as an
        operator in the console would.
        """
        cfn = self.client("cloudformation")
        name = naming.version_stack(NAMESPACE, APP, version)
        stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
        cfn.update_termination_protection(StackName=stack_id, EnableTerminationProtection=False)  # first, by hand
        cfn.delete_stack(StackName=stack_id)
        if cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_FAILED":
            cfn.delete_stack(StackName=stack_id, RetainResources=[naming.TARGET_GROUP])
        assert version not in self.version_stacks()


def build_world(session: boto3.Session, *, broken: set[str] | None = None) -> World:
    """Seed the account and deploy the cluster and application stacks of ``web``; no versions yet."""
    example = ExampleWorld.create(session, NAMESPACE)
    application = example.add_app(APP)
    # The agent has its own session: a CallCounter on ``session`` sees only the code under test.
    agent = EcsAgent(boto3.Session(region_name=REGION), broken={naming.service_name(APP, v) for v in broken or ()})
    return World(session=session, seeded=example.seeded, cluster=example.cluster, application=application,
                 agent=agent)


def deploy_live(world: World, fake_time: FakeTime, *, live: str = "v1", live_count: int = 2,
                new: str | None = "v2", new_count: int = 1) -> None:
    """Deploy ``live`` at ``live_count`` and make it live; then deploy ``new`` beside it at ``new_count``."""
    world.deploy_version(live, live_count)
    world.sync()
    world.make_live(live, fake_time.clock)
    if new:
        world.deploy_version(new, new_count)
        world.sync()


@pytest.fixture
def world(session: boto3.Session) -> World:
    """The account after the cluster and application stacks of ``web`` are deployed; ``web_v3`` is broken."""
    return build_world(session, broken={"v3"})


@pytest.fixture
def deploy_version(world: World) -> Callable[..., dict[str, str]]:
    """``deploy_version(version, desired_count=1)``: deploy a version stack, return its outputs."""
    return world.deploy_version


@pytest.fixture
def fake_time(world: World) -> FakeTime:
    """Fake time whose sleeps let the world's ECS agent act."""
    return FakeTime(world.agent)


@pytest.fixture
def aws(world: World, fake_time: FakeTime) -> AwsContext:
    """The AWS context of the operations under test: the world's session, the fake clock."""
    return AwsContext.create(world.session, clock=fake_time.clock)


@pytest.fixture
def clock(fake_time: FakeTime) -> Clock:
    """The clock the operations take: no real sleeping."""
    return fake_time.clock


@pytest.fixture
def live_world(world: World, fake_time: FakeTime) -> World:
    """``v1`` live at 2 tasks (healthy), ``v2`` deployed beside it at 1 task (healthy), nothing else."""
    deploy_live(world, fake_time)
    return world


def create_alarm(world: World) -> Any:
    """Create the metric alarm :data:`ALARM` (state INSUFFICIENT_DATA); return the CloudWatch client."""
    cloudwatch = world.session.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName=ALARM, MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=10,
                                ComparisonOperator="GreaterThanThreshold")
    return cloudwatch


READS = ("Describe", "List", "Get", "Query", "Scan", "BatchGet", "Filter", "Lookup", "Search")
"""The names of the API calls that change nothing."""


class _Writes:
    """The write calls of every boto3 session made while installed (botocore's ``before-call``), while watching."""

    def __init__(self) -> None:
        self.watching = False
        self.seen: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        if self.watching and not model.name.startswith(READS):
            self.seen.append(f"{model.service_model.service_name}.{model.name}")


class ReadsOfOneWorld:
    """Base of a test class whose tests only read: they share one world, built once for the class.

    A world costs 0.3-1 s to build; tests that read it need not each build their own. The class's
    ``world`` and ``live_world`` are that world (``LIVE``: :func:`deploy_live`'s arguments, or None for a
    world without versions), ``fake_time`` and ``aws`` are each test's own over it, and a test that makes
    any write call (anything but Describe, List, Get...) fails: it must take a fresh world, outside the class.
    """

    LIVE: dict[str, Any] | None = {}

    def build(self, session: boto3.Session) -> Any:
        """Return the class's world, built through ``session`` (a class may build another kind of world)."""
        world = build_world(session, broken={"v3"})
        if self.LIVE is not None:
            deploy_live(world, FakeTime(world.agent), **self.LIVE)
        return world

    @pytest.fixture(scope="class")
    def shared_world(self) -> Iterator[tuple[Any, _Writes]]:
        """Build the class's world in its own moto, with the in-process tests' environment."""
        writes = _Writes()
        entry = ("before-call.*.*", writes)
        with pytest.MonkeyPatch.context() as env:
            use_fake_aws(env)
            botocore.handlers.BUILTIN_HANDLERS.append(entry)  # every session made from now on reports its calls
            try:
                with mock_aws():
                    yield self.build(boto3.Session(region_name=REGION)), writes
            finally:
                botocore.handlers.BUILTIN_HANDLERS.remove(entry)

    @pytest.fixture
    def world(self, shared_world: tuple[World, _Writes]) -> Iterator[World]:
        """The class's world; the test fails if it wrote to it."""
        world, writes = shared_world
        writes.seen.clear()
        writes.watching = True
        yield world
        writes.watching = False
        assert not writes.seen, f"a test sharing its class's world wrote to it ({sorted(set(writes.seen))}): " \
                                "give it a fresh world outside the class"

    @pytest.fixture
    def live_world(self, world: World) -> World:
        """The class's world (with versions unless ``LIVE`` is None)."""
        return world

    @pytest.fixture
    def adapter_calls(self, world: World) -> Iterator[EveryCall]:
        """The AWS calls of the sessions the adapters make from now on."""
        with EveryCall() as calls:
            yield calls

    @pytest.fixture
    def session(self) -> boto3.Session:
        """Refused: inside the class's moto a fresh one would not be fresh (moto resets only the outermost)."""
        pytest.fail("a test sharing its class's world cannot have a fresh moto session: move it out of the class")
