"""Many apps, many pipelines, one platform: the real stacker CLI against the emulator.

One environment, three apps: ``web`` (EC2), ``web-admin`` (hyphenated, on Fargate) and ``web-v2``
(under the old ``<app>-<version>`` scheme its application stack was web's version ``v2``). App
pipelines and the platform's plain builds interleave; after every step the test reads each app's
traffic straight from its listener's rules (not from our own status code) and the environment's
stacks, and asserts both are exactly what they should be.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.engines import engine_cli
from emulator.server import REGION
from tests.e2e.conftest import ROOT, Emulator

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"
APPS = ("web", "web-admin", "web-v2")
PIPELINE = ["--targets", "pipeline"]


@dataclass
class Platform:
    """The infrastructure repo (a copy of config/ with a third app added) and the emulator it deploys to."""

    emulator: Emulator
    root: Path
    certificate_arn: str = ""
    """The environment's certificate, when not the seeded one."""

    def build(self, *settings: str, pipeline: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``stacker build`` on the environment's config: plain (no switch) or an app pipeline's."""
        world = {**self.emulator.world, **({"certificate_arn": self.certificate_arn} if self.certificate_arn else {})}
        options = [a for k, v in world.items() for a in ("-e", f"{k}={v}")]
        options += [a for s in settings for a in ("-e", s)] + (PIPELINE if pipeline else [])
        return subprocess.run([*engine_cli("stacker"), "build", "-r", REGION, *options,
                               "config/dev.env", "config/stacker-Dev.yml"],
                              env=self.emulator.env, cwd=self.root, capture_output=True, text=True, timeout=300,
                              check=False)

    def release(self, app: str, version: str, *settings: str) -> subprocess.CompletedProcess[str]:
        """An app pipeline's one command: deploy, verify and cut over one version of one app."""
        return self.build(f"app={app}", f"version={version}", "deploy=true", "cutover=true", *settings,
                          pipeline=True)

    def edit(self, path: str, old: str, new: str) -> None:
        """Commit a change to the infrastructure repo."""
        file = self.root / path
        text = file.read_text()
        assert old in text, (path, old)
        file.write_text(text.replace(old, new))

    # ---- what AWS says, read straight from the emulator ----

    def stacks(self) -> dict[str, dict]:
        """Return every stack of the environment by name."""
        cfn = self.emulator.session.client("cloudformation")
        return {s["StackName"]: s for page in cfn.get_paginator("describe_stacks").paginate() for s in page["Stacks"]
                if s["StackName"].startswith(f"{NAMESPACE}-") and s["StackStatus"] != "DELETE_COMPLETE"}

    def changes(self) -> dict[str, tuple[str, int]]:
        """Return every stack's id and number of events: a create, update or delete of a stack adds events.

        (moto reports no ``LastUpdatedTime``, so that cannot tell an update.)
        """
        cfn = self.emulator.session.client("cloudformation")
        return {name: (stack["StackId"], len(cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]))
                for name, stack in self.stacks().items()}

    def traffic(self, app: str) -> dict[str, int]:
        """Return version -> weight of the listener rule that carries the app's traffic (its path ``/*`` rule)."""
        stacks = self.stacks()
        outputs = {name: {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])} for name, s in stacks.items()}
        listener = outputs[f"{NAMESPACE}-app-{app}"]["ListenerArn"]
        versions = {out["TargetGroupArn"]: out["Version"] for out in outputs.values()
                    if out.get("App") == app and "TargetGroupArn" in out}
        rules = self.emulator.session.client("elbv2").describe_rules(ListenerArn=listener)["Rules"]
        catch_all = [r for r in rules if not r["IsDefault"]
                     and any(c["Field"] == "path-pattern" for c in r["Conditions"])]
        if not catch_all:
            return {}
        (rule,) = catch_all
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        return {versions.get(g["TargetGroupArn"], g["TargetGroupArn"]): g["Weight"] for g in groups}

    def default_action(self, app: str) -> dict:
        """Return the listener's default action (CloudFormation's; constant)."""
        stack = self.stacks()[f"{NAMESPACE}-app-{app}"]
        listener = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["ListenerArn"]
        return self.emulator.session.client("elbv2").describe_listeners(
            ListenerArns=[listener])["Listeners"][0]["DefaultActions"][0]

    def expect(self, traffic: dict[str, dict[str, int]], versions: dict[str, set[str]]) -> None:
        """Assert every app's traffic and exactly these stacks exist (besides the cluster and app stacks)."""
        for app in APPS:
            if app in traffic:
                assert self.traffic(app) == traffic[app], app
        expected = {f"{NAMESPACE}-cluster"} | {f"{NAMESPACE}-app-{a}" for a in versions}
        expected |= {f"{NAMESPACE}-app-{a}-V-{v}" for a, vs in versions.items() for v in vs}
        assert set(self.stacks()) == expected


def refused(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Assert a build was refused with one clear message containing ``parts`` and no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Couldn't resolve lookup" not in result.stderr, result.stderr
    for part in parts:
        assert part in result.stderr, (part, result.stderr)
    return result.stderr


WEB_V2 = ("  - {<<: *app_stack, name: app-web-v2, variables: {<<: *app_variables, App: web-v2, "
          "Sources: \"${ecs_sources web-v2}\"}}\n")


@pytest.fixture
def platform(emulator: Emulator, tmp_path: Path) -> Platform:
    """The example config with a third app added as the README says: one line and its directory."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    # The environment brings its certificate: adding an app means a certificate that covers it too
    # (a wildcard covers one label; check_build refuses one that does not), as the platform team would issue.
    domain = emulator.world["domain"]
    certificate = emulator.session.client("acm").request_certificate(
        DomainName=domain, SubjectAlternativeNames=[f"*.{domain}", *(f"*.{app}.{domain}" for app in APPS)],
        ValidationMethod="DNS")["CertificateArn"]
    repo = Platform(emulator=emulator, root=tmp_path, certificate_arn=certificate)
    line = ("  - {<<: *app_stack, name: app-web-admin, variables: {<<: *app_variables, App: web-admin, "
            "Sources: \"${ecs_sources web-admin}\"}}\n")
    repo.edit("config/stacker-Dev.yml", line,
              line + WEB_V2)
    shutil.copytree(tmp_path / "config/apps/web", tmp_path / "config/apps/web-v2")
    return repo


def _start(platform: Platform) -> None:
    """A plain build creates the cluster and the three application stacks, nothing live."""
    ok = platform.build()
    assert ok.returncode == 0, ok.stderr
    platform.expect({app: {} for app in APPS}, {app: set() for app in APPS})
    for app in APPS:
        assert platform.default_action(app)["FixedResponseConfig"]["StatusCode"] == "503"
    # Three apps, and the container group still has its one inbound rule: from the load balancers' shared group,
    # which each app's load balancer carries beside its own.
    outputs = {name: {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]} for name, s in platform.stacks().items()}
    cluster = outputs[f"{NAMESPACE}-cluster"]
    rules = platform.emulator.session.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [cluster["ContainerSecurityGroupId"]]}])["SecurityGroupRules"]
    assert [r["ReferencedGroupInfo"]["GroupId"] for r in rules if not r["IsEgress"]] == [
        cluster["SharedLoadBalancerSecurityGroupId"]]
    balancers = platform.emulator.session.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[outputs[f"{NAMESPACE}-app-{app}"]["LoadBalancerArn"] for app in APPS])["LoadBalancers"]
    assert all(b["SecurityGroups"][1:] == [cluster["SharedLoadBalancerSecurityGroupId"]] for b in balancers)


def _first_releases(platform: Platform) -> None:
    """Each app's pipeline releases its first version."""
    # Each app's pipeline releases its first version.
    for app in APPS:
        result = platform.release(app, "v1")
        assert result.returncode == 0, result.stderr
    platform.expect({app: {"v1": 1} for app in APPS}, {app: {"v1"} for app in APPS})


def _names_never_collide(platform: Platform) -> None:
    """(2) Names: web's v2 and its version admin-v1 beside apps web-v2 and web-admin."""
    # (2) web's v2: under the old scheme its stack was web-v2's application stack.
    assert platform.release("web", "v2").returncode == 0
    platform.expect({"web": {"v2": 1, "v1": 0}, "web-admin": {"v1": 1}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2"}, "web-admin": {"v1"}, "web-v2": {"v1"}})
    # ... and web's version "admin-v1" (old service name web-admin-v1, like web-admin's v1), deployed only.
    deploy_only = platform.build("app=web", "version=admin-v1", "deploy=true", pipeline=True)
    assert deploy_only.returncode == 0, deploy_only.stderr
    cluster = {o["OutputKey"]: o["OutputValue"] for o in platform.stacks()[f"{NAMESPACE}-cluster"]["Outputs"]}
    services = platform.emulator.session.client("ecs").list_services(cluster=cluster["ClusterName"])
    names = {arn.rsplit("/", 1)[-1] for arn in services["serviceArns"]}
    assert {"web_admin-v1", "web-admin_v1", "web_v2", "web-v2_v1"} <= names
    platform.expect({"web": {"v2": 1, "v1": 0}, "web-admin": {"v1": 1}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2", "admin-v1"}, "web-admin": {"v1"}, "web-v2": {"v1"}})


def _stepped_cutover_moves_one_app(platform: Platform) -> None:
    """(3) A stepped cutover of web-admin moves web-admin only."""
    # (3) web-admin's stepped cutover moves web-admin only.
    stepped = platform.release("web-admin", "v2", "cutover_steps_percent=[10, 50]", "cutover_bake_seconds=0")
    assert stepped.returncode == 0, stepped.stderr
    assert "web-admin/v2: 10% of traffic" in stepped.stderr
    platform.expect({"web": {"v2": 1, "v1": 0}, "web-admin": {"v2": 1, "v1": 0}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2", "admin-v1"}, "web-admin": {"v1", "v2"}, "web-v2": {"v1"}})


def _stack_update_moves_no_traffic(platform: Platform) -> None:
    """(1) An application-stack update moves no traffic."""
    # (1) The platform changes web's TLS policy: the listener is updated, no traffic moves.
    platform.edit("config/stacker-Dev.yml", "App: web, Sources",
                  "App: web, SslPolicy: ELBSecurityPolicy-TLS13-1-2-Res-2021-06, Sources")
    ok = platform.build()
    assert ok.returncode == 0, ok.stderr
    platform.expect({"web": {"v2": 1, "v1": 0}, "web-admin": {"v2": 1, "v1": 0}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2", "admin-v1"}, "web-admin": {"v1", "v2"}, "web-v2": {"v1"}})
    assert platform.default_action("web")["FixedResponseConfig"]["StatusCode"] == "503"


def _rollback_and_cleanup_of_one_app(platform: Platform) -> None:
    """Rollback and cleanup of web touch web only."""
    # Rollback and cleanup of web touch web only.
    back = platform.build("app=web", "rollback=true", pipeline=True)
    assert back.returncode == 0, back.stderr
    clean = platform.build("app=web", "cleanup=true", "cleanup_keep_last=0", "cleanup_in_flight_hours=0", pipeline=True)
    assert clean.returncode == 0, clean.stderr
    platform.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v2": 1, "v1": 0}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2"}, "web-admin": {"v1", "v2"}, "web-v2": {"v1"}})


def _plain_build_changes_no_version(platform: Platform) -> None:
    """(4) A plain build re-creates and updates no version; an in-place change is refused."""
    # (4) The platform's next plain build re-creates no deleted version and changes no version in place,
    # even with an edited ecs.json; a pipeline re-deploying the live version with it is refused.
    before = {name: events for name, events in platform.changes().items() if "-V-" in name}
    platform.edit("config/apps/web/ecs.json", '"memory": "512"', '"memory": "1024"')
    ok = platform.build()
    assert ok.returncode == 0, ok.stderr
    assert {name: events for name, events in platform.changes().items() if "-V-" in name} == before
    in_place = platform.build("app=web", "version=v1", "deploy=true", pipeline=True)
    refused(in_place, "web/v1 is live", "deploy the change as a new version")
    assert {name: events for name, events in platform.changes().items() if "-V-" in name} == before
    platform.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v2": 1, "v1": 0}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2"}, "web-admin": {"v1", "v2"}, "web-v2": {"v1"}})


def _checked_before_any_change(platform: Platform) -> None:
    """(6), (7) Bad switches, hook arguments and lookups: refused in one line before any change."""
    # (6) Hook arguments, switches and the app are checked before any stack changes.
    bad_hook = platform.release("web", "v3", "health_timeout_seconds=-5")
    refused(bad_hook, "timeout_seconds")
    unknown = platform.build("app=api", "version=v1", "deploy=true", "cutover=true", pipeline=True)
    refused(unknown, "'api' is not an app of this config (apps: web, web-admin, web-v2)")
    # (7) A bad hook argument's refusal (first_desired_count is verify_health's start_count) is one line
    # naming the argument and the fix, before any change.
    bad_argument = platform.release("web-v2", "v9", "verify=true", "first_desired_count=-1")
    refused(bad_argument, "start_count", "greater than or equal to 1")
    platform.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v2": 1, "v1": 0}, "web-v2": {"v1": 1}},
                    {"web": {"v1", "v2"}, "web-admin": {"v1", "v2"}, "web-v2": {"v1"}})


def _teardown(platform: Platform) -> None:
    """(8) Teardown of one app, then of the environment."""
    # (8) Teardown of one app is refused while it is live, then forced; the others stay as they are.
    down = platform.build("app=web-v2", "teardown=true", pipeline=True)
    refused(down, "web-v2: v1 is live", "force")
    forced = platform.build("app=web-v2", "teardown=true", "teardown_force=true", pipeline=True)
    assert forced.returncode == 0, forced.stderr
    platform.edit("config/stacker-Dev.yml",
                  WEB_V2, "")
    ok = platform.build()
    assert ok.returncode == 0, ok.stderr
    platform.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v2": 1, "v1": 0}},
                    {"web": {"v1", "v2"}, "web-admin": {"v1", "v2"}})

    # The whole environment: refused while apps are live, then forced, in the order AWS needs.
    environment = platform.emulator.stacker_ecs("teardown-environment", "--namespace", NAMESPACE)
    assert environment.returncode == 1
    assert "apps still live: web (v1), web-admin (v2)" in environment.stderr
    forced = platform.emulator.stacker_ecs("teardown-environment", "--namespace", NAMESPACE, "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["cluster"] == f"{NAMESPACE}-cluster"
    assert platform.stacks() == {}


def test_three_apps_and_their_pipelines_never_touch_each_other_or_the_live_site(platform: Platform):
    _start(platform)
    _first_releases(platform)
    _names_never_collide(platform)
    _stepped_cutover_moves_one_app(platform)
    _stack_update_moves_no_traffic(platform)
    _rollback_and_cleanup_of_one_app(platform)
    _plain_build_changes_no_version(platform)
    _checked_before_any_change(platform)
    _teardown(platform)
