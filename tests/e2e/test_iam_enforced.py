"""Least privilege, end to end: the real stacker CLI with credentials that hold only ``stacker-ecs iam-policy``'s.

moto's server checks every request against the caller's IAM policies (:func:`emulator.iam.enforce`).
It judges actions only, so each user holds :func:`emulator.iam.moto_view` of its policy (``docs/iam.md``
says what that proves and what only AWS's documentation does).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from emulator import iam
from emulator.ecs_agent import EcsAgent
from emulator.engines import Runway, Sceptre, copy_config, engine_cli
from emulator.seed import seed
from emulator.server import REGION, client_env
from stacker_ecs.core import iam_policy, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import read_listener
from tests.e2e.conftest import CONFIG, ROOT, SharedServer

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"
PIPELINE = ["--targets", "pipeline"]
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""The emulator's own user (seeding done, it plays ECS and reads results): not a principal under test."""
MISSING = "elasticloadbalancing:CreateRule"
STACK_ARN = f"arn:aws:cloudformation:{REGION}:123456789012:stack/"


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    statements = [{**s, "Action": [a for a in s["Action"] if a != action]} for s in document["Statement"]]
    return {**document, "Statement": [s for s in statements if s["Action"]]}


POLICIES = {
    "admin": EVERYTHING,
    "platform": iam.moto_view(iam_policy.document("platform", NAMESPACE)),
    "pipeline": iam.moto_view(iam_policy.document("pipeline", NAMESPACE, "web")),
    "short": _without(iam.moto_view(iam_policy.document("pipeline", NAMESPACE, "web")), MISSING),
}


@dataclass
class Enforced:
    """A seeded emulator whose server enforces IAM, and the users holding :data:`POLICIES`."""

    url: str
    env: dict[str, str]
    world: dict[str, str]
    keys: dict[str, tuple[str, str]]

    def session(self, user: str) -> boto3.Session:
        """Return a session with ``user``'s access key."""
        key, secret = self.keys[user]
        return boto3.Session(region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret)

    def stacker(self, user: str, *settings: str, pipeline: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``stacker build`` on the example config as ``user`` (an app pipeline's build unless not ``pipeline``)."""
        env = self.environment(user)
        options = [a for k, v in self.world.items() for a in ("-e", f"{k}={v}")]
        options += [a for s in settings for a in ("-e", s)] + (PIPELINE if pipeline else [])
        return subprocess.run([*engine_cli("stacker"), "build", "-r", REGION, *options, *CONFIG], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=False)

    def environment(self, user: str) -> dict[str, str]:
        """Return the environment of a CLI run with ``user``'s access key (and no session token)."""
        key, secret = self.keys[user]
        env = {k: v for k, v in self.env.items() if k != "AWS_SESSION_TOKEN"}
        env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
        return env

    def stacks_outside(self, user: str, document: dict[str, Any]) -> set[tuple[str, str]]:
        """Return (action, stack) of each CloudFormation call of ``user`` that ``document``'s ARNs do not allow."""
        calls = {(r["action"], r["stack"]) for r in iam.requests(self.url)
                 if r["key"] == self.keys[user][0] and r["stack"]}
        return {(action, stack) for action, stack in calls if not iam.permits(
            document, action, stack if stack.startswith("arn:") else f"{STACK_ARN}{stack}/0a1b")}

    def items(self, user: str) -> set[str]:
        """Return the coordination table's partition keys ``user``'s requests named."""
        return {item for r in iam.requests(self.url) if r["key"] == self.keys[user][0] for item in r["items"]}

    def actions(self, user: str) -> dict[str, set[str]]:
        """Return decision (allowed, denied, None: moto did not check) -> the actions ``user`` called."""
        found: dict[str, set[str]] = {}
        for request in iam.requests(self.url):
            if request["key"] == self.keys[user][0]:
                found.setdefault(str(request["decision"]), set()).add(request["action"])
        return found


@pytest.fixture(scope="module")
def iam_server() -> Iterator[SharedServer]:
    """The emulator's server recording each request and moto's IAM decision, shared by this module's tests."""
    server = SharedServer(iam=True)
    yield server
    server.close()


@pytest.fixture
def enforced(iam_server: SharedServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Enforced]:
    """The emulator's server, reset, with IAM enforced once the world is seeded and the users exist; the agent runs."""
    if iam_server.url:  # the last test left it enforcing: seeding needs no user (a dead server is started again)
        with contextlib.suppress(OSError):
            iam.relax(iam_server.url)
    url = iam_server.fresh()
    for key, value in client_env(url).items():
        monkeypatch.setenv(key, value)
    session = boto3.Session(region_name=REGION)
    world = seed(session).as_env()
    client = session.client("iam")
    keys = {}
    for user, policy in POLICIES.items():
        client.create_user(UserName=user)
        client.put_user_policy(UserName=user, PolicyName="stacker-ecs", PolicyDocument=json.dumps(policy))
        created = client.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (created["AccessKeyId"], created["SecretAccessKey"])
    iam.enforce(url)
    iam.requests(url, clear=True)
    found = Enforced(url=url, env={**os.environ, **client_env(url)}, world=world, keys=keys)
    with EcsAgent(found.session("admin")).running(interval_seconds=0.2):
        yield found


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_platform_and_a_pipeline_run_every_step_with_only_their_policies(enforced):
    # the platform's CD: the plain build, twice (a commit that changes nothing updates the stacks again)
    _ok(enforced.stacker("platform", pipeline=False))
    _ok(enforced.stacker("platform", pipeline=False))
    # web's pipeline: v1, then v2 in steps watching an alarm; roll back, deploy v3, clean up, tear down
    _ok(enforced.stacker("pipeline", "app=web", "version=v1", "deploy=true", "verify=true", "cutover=true"))
    admin = enforced.session("admin")
    admin.client("cloudwatch").put_metric_alarm(
        AlarmName="web-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    # v2 in steps, watching web's alarm
    _ok(enforced.stacker("pipeline", "app=web", "version=v2", "deploy=true", "verify=true", "cutover=true",
                         "cutover_steps_percent=[50]", "cutover_bake_seconds=1", "alarm_names=[web-5xx]"))
    _ok(enforced.stacker("pipeline", "app=web", "rollback=true"))
    assert read_listener(AwsContext.create(admin), NAMESPACE, "web").live_version == "v1"
    _ok(enforced.stacker("pipeline", "app=web", "version=v3", "deploy=true"))
    _ok(enforced.stacker("pipeline", "app=web", "cleanup=true", "cleanup_keep_last=0", "cleanup_in_flight_hours=0"))
    stacks = {s["StackName"] for s in admin.client("cloudformation").describe_stacks()["Stacks"]}
    assert naming.version_stack(NAMESPACE, "web", "v3") not in stacks
    _ok(enforced.stacker("pipeline", "app=web", "teardown=true", "teardown_force=true"))
    stacks = {s["StackName"] for s in admin.client("cloudformation").describe_stacks()["Stacks"]}
    assert not any(name.startswith(naming.application_stack(NAMESPACE, "web")) for name in stacks - {
        naming.application_stack(NAMESPACE, "web-admin")}), stacks
    # moto checked every call of both principals and allowed each one
    for user in ("platform", "pipeline"):
        decisions = enforced.actions(user)
        assert set(decisions) == {"allowed"}, (user, decisions)
    # and every stack each one named is one its policy's ARN patterns allow (moto does not check resources)
    assert enforced.stacks_outside("platform", iam_policy.document("platform", NAMESPACE)) == set()
    assert enforced.stacks_outside("pipeline", iam_policy.document("pipeline", NAMESPACE, "web")) == set()
    # every CloudFormation call but ListExports named its stack (an unnamed one would need every stack's ARN)
    unnamed = {r["action"] for r in iam.requests(enforced.url) if r["action"].startswith("cloudformation:")
               and not r["stack"] and r["key"] in (enforced.keys["platform"][0], enforced.keys["pipeline"][0])}
    assert unnamed <= {"cloudformation:ListExports"}, unnamed
    # and every item of the coordination table it read or wrote is web's (the policy's dynamodb:LeadingKeys)
    items = enforced.items("pipeline")
    assert {"app/web", "history/web"} <= items
    assert all(any(fnmatch.fnmatchcase(i, p) for p in iam_policy.app_items("web")) for i in items), items
    # the calls that mutate: the platform's are stack writes only; the pipeline's include the live rule and services
    assert {a for a in enforced.actions("platform")["allowed"] if not a.split(":")[1].startswith(
        ("Describe", "List", "Get"))} == {"cloudformation:CreateStack", "cloudformation:UpdateStack"}
    assert {"elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule", "ecs:UpdateService",
            "monitoring:DescribeAlarms",
            "cloudformation:DeleteStack", "cloudformation:UpdateTerminationProtection"} <= enforced.actions(
        "pipeline")["allowed"]


def test_a_policy_missing_one_action_stops_the_pipeline_where_it_needs_it(enforced):
    _ok(enforced.stacker("platform", pipeline=False))
    # the pipeline's policy without the first cutover's CreateRule: deploy and verify pass, the cutover is refused
    result = enforced.stacker("short", "app=web", "version=v1", "deploy=true", "verify=true", "cutover=true")
    assert result.returncode == 1
    assert "AccessDenied" in result.stderr
    assert MISSING in result.stderr
    assert "Traceback" not in result.stderr
    assert enforced.actions("short")["denied"] == {MISSING}
    assert read_listener(AwsContext.create(enforced.session("admin")), NAMESPACE, "web").live_version is None


def test_a_sceptre_pipeline_also_updates_the_stacks_its_version_depends_on(enforced, tmp_path):
    sceptre = Sceptre(copy_config(tmp_path), {}, values={**enforced.world, "health_timeout_seconds": "60"})

    def launch(user: str, target: str = "dev", **variables: str) -> None:
        sceptre.env = enforced.environment(user)
        _ok(sceptre.run(target=target, **variables))

    launch("platform")
    launch("pipeline", "dev/version.yaml", app="web", version="v1", deploy="true", verify="true", cutover="true")
    launch("pipeline", "dev/app/web.yaml", app="web", cleanup="true")
    for user in ("platform", "pipeline"):
        assert set(enforced.actions(user)) == {"allowed"}, (user, enforced.actions(user))
    assert enforced.stacks_outside("platform", iam_policy.document("platform", NAMESPACE)) == set()
    # Sceptre launched the cluster and web's application stack before the version: the stacker pipeline's policy
    # would refuse those updates; the Sceptre pipeline's grants them, and nothing else
    cluster, application = naming.cluster_stack(NAMESPACE), naming.application_stack(NAMESPACE, "web")
    assert enforced.stacks_outside("pipeline", iam_policy.document("pipeline", NAMESPACE, "web")) == {
        ("cloudformation:UpdateStack", cluster), ("cloudformation:UpdateStack", application)}
    assert enforced.stacks_outside("pipeline", iam_policy.document("pipeline", NAMESPACE, "web", "sceptre")) == set()


def test_a_cfngin_platform_and_pipeline_run_with_only_their_policies(enforced, tmp_path):
    runway = Runway(copy_config(tmp_path), {}, values={**enforced.world, "health_timeout_seconds": "60"})

    def deploy(user: str, **switches: str) -> None:
        runway.env = enforced.environment(user)
        _ok(runway.run(**switches))

    deploy("platform")
    deploy("pipeline", app="web", version="v1", deploy="true", verify="true", cutover="true")
    deploy("pipeline", app="web", version="v2", deploy="true", verify="true", cutover="true")
    deploy("pipeline", app="web", rollback="true")
    deploy("pipeline", app="web", cleanup="true")
    assert read_listener(AwsContext.create(enforced.session("admin")), NAMESPACE, "web").live_version == "v1"
    # moto checked every call of both principals and allowed each one; every stack named is within the ARNs
    for user in ("platform", "pipeline"):
        assert set(enforced.actions(user)) == {"allowed"}, (user, enforced.actions(user))
    assert enforced.stacks_outside("platform", iam_policy.document("platform", NAMESPACE, engine="cfngin")) == set()
    assert enforced.stacks_outside("pipeline", iam_policy.document("pipeline", NAMESPACE, "web", "cfngin")) == set()


# What the tests above rely on: moto's view of a policy, and the test's own judge of ARNs.

STACKS = "arn:aws:cloudformation:*:*:stack/"
VIA = {"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}}
DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["cloudformation:UpdateStack"], "Resource": [f"{STACKS}ns-*/*"]},
    {"Effect": "Deny", "Action": ["cloudformation:UpdateStack"], "Resource": [f"{STACKS}ns-v-*/*"]},
    {"Effect": "Allow", "Action": ["ecs:CreateService"], "Resource": ["*"], "Condition": VIA},
    {"Effect": "Allow", "Action": ["cloudwatch:PutDashboard", "tag:GetResources"], "Resource": ["*"],
     "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
]}


def test_moto_sees_the_allowed_actions_on_every_resource_under_its_own_prefixes_without_conditions():
    view = iam.moto_view(DOCUMENT)
    assert view["Statement"] == [
        {"Effect": "Allow", "Action": ["cloudformation:UpdateStack"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["cloudwatch:PutDashboard", "tag:GetResources", "monitoring:PutDashboard",
                                       "tagging:GetResources"], "Resource": "*"},
    ]


def test_permits_matches_actions_and_arns_and_a_deny_wins_and_cloudformations_own_grants_do_not_count():
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/0a1b"
    assert iam.permits(DOCUMENT, "cloudformation:UpdateStack", stack.format("ns-cluster"))
    assert not iam.permits(DOCUMENT, "cloudformation:UpdateStack", stack.format("ns-v-1"))
    assert not iam.permits(DOCUMENT, "cloudformation:UpdateStack", stack.format("other-cluster"))
    assert not iam.permits(DOCUMENT, "ecs:CreateService", "arn:aws:ecs:us-east-1:123456789012:service/c/s")
