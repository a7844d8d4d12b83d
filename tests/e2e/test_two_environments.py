"""Two environments in one account, a pipeline in each, through each engine's real CLI: neither touches the other.

``ecs-dev`` (the emulator's seeded world) and ``acme-dev`` (a second seed: its own VPC, domain,
zone and certificate) each get a plain build and a pipeline that deploys, verifies and cuts over
``web`` v1. The listeners, clusters and stack events then prove that acme-dev's runs changed
nothing of ecs-dev's; and a version config still reading ecs-dev's stacks (a copied Sceptre
``version.yaml``) is refused before anything is created, naming both namespaces.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from emulator.engines import Runway, Sceptre, copy_config
from emulator.seed import seed
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops.listener import read_listener

pytestmark = pytest.mark.e2e
DEV, ACME = "ecs-dev", "acme-dev"
SCEPTRE_ACME = "ecs-acme"
"""Sceptre names a stack ``<project_code>-<group path>-...``: the group ``acme``'s namespace."""
ACME_DOMAIN = "acme.example.com"


@dataclass(frozen=True)
class Snapshot:
    """What an environment's stacks, listener and cluster hold: equal snapshots mean nothing was touched."""

    events: dict[str, list[str]]
    rules: list[tuple[str, tuple[str, ...], tuple[str, ...]]]
    services: list[str]


def outputs(session: boto3.Session, stack: str) -> dict[str, str]:
    return contract.outputs_of(session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0])


def snapshot(session: boto3.Session, namespace: str, app: str = "web") -> Snapshot:
    """Return every event of the namespace's stacks, its app listener's rules and its cluster's services."""
    cfn = session.client("cloudformation")
    stacks = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]
              if s["StackName"].startswith(f"{namespace}-")]
    events = {stack: [f"{e['EventId']} {e['LogicalResourceId']} {e['ResourceStatus']}"
                      for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack)
                      for e in page["StackEvents"]] for stack in stacks}
    listener = outputs(session, naming.application_stack(namespace, app))[contract.LISTENER_ARN]
    rules = sorted((r["Priority"], tuple(v for c in r["Conditions"] for v in c.get("Values", [])
                                         + c.get("HostHeaderConfig", {}).get("Values", [])),
                    tuple(g["TargetGroupArn"] for a in r["Actions"]
                          for g in a.get("ForwardConfig", {}).get("TargetGroups", [])))
                   for r in session.client("elbv2").describe_rules(ListenerArn=listener)["Rules"])
    cluster = outputs(session, naming.cluster_stack(namespace))[contract.CLUSTER_NAME]
    services = sorted(session.client("ecs").list_services(cluster=cluster)["serviceArns"])
    return Snapshot(events, rules, services)


def assert_own(session: boto3.Session, namespace: str, domain: str, app: str = "web") -> None:
    """Assert the namespace's listener routes only its own hosts to its own versions, and its cluster runs them."""
    state = read_listener(AwsContext.create(session), namespace, app)
    assert state.live_version == "v1"
    version = outputs(session, naming.version_stack(namespace, app, "v1"))
    shot = snapshot(session, namespace, app)
    hosts = {h for _priority, values, _groups in shot.rules for h in values if "." in h}
    assert hosts, shot.rules
    assert all(h.endswith(f".{domain}") for h in hosts), hosts
    groups = {g for _priority, _values, found in shot.rules for g in found}
    assert groups == {version[contract.TARGET_GROUP_ARN]}
    assert version[contract.CLUSTER_NAME] == outputs(session, naming.cluster_stack(namespace))[contract.CLUSTER_NAME]
    assert [arn.rsplit("/", 1)[1] for arn in shot.services] == [naming.service_name(app, "v1")]


LIFECYCLE = ("verify_health", "cutover", "rollback", "cleanup", "teardown")


def assert_plain_run_says_what_it_did(output: str) -> None:
    """A plain run names no placeholder stack (``app-none-V-none``) and no lifecycle hook (none ran)."""
    assert "none-V-none" not in output, output
    for hook in LIFECYCLE:
        assert f"hooks.{hook}" not in output, (hook, output)


def second_world(session: boto3.Session) -> dict[str, Any]:
    """Seed acme-dev's own VPC, domain, zone and certificate; return them as environment values."""
    return {**seed(session, domain=ACME_DOMAIN, ami_parameter=False).as_env(), "namespace": ACME,
            "environment": "acme"}


def test_stacker_two_environments_one_account_neither_touches_the_other(emulator):
    acme = [f"{k}={v}" for k, v in second_world(emulator.session).items()]
    pipeline = ("app=web", "version=v1", "deploy=true", "verify=true", "cutover=true")
    plain = emulator.stacker()
    assert plain.returncode == 0, plain.stderr
    assert_plain_run_says_what_it_did(plain.stdout + plain.stderr)
    assert "Executing pre_build hooks: stacker_ecs.hooks.check_build" in plain.stderr
    result = emulator.stacker(*pipeline, extra=["--targets", "pipeline"])
    assert result.returncode == 0, result.stderr
    # a pipeline lists the hooks it runs, and only those
    assert "Executing post_build hooks: stacker_ecs.hooks.verify_health, stacker_ecs.hooks.cutover\n" in result.stderr
    info = emulator.stacker(command="info")
    assert info.returncode == 0, info.stderr
    assert_plain_run_says_what_it_did(info.stdout + info.stderr)
    assert "does not exist" not in info.stderr
    dev = snapshot(emulator.session, DEV)

    # acme-dev: the same config, its own environment values
    result = emulator.stacker(*acme)
    assert result.returncode == 0, result.stderr
    result = emulator.stacker(*acme, *pipeline, extra=["--targets", "pipeline"])
    assert result.returncode == 0, result.stderr

    assert snapshot(emulator.session, DEV) == dev
    assert_own(emulator.session, DEV, "dev.example.com")
    assert_own(emulator.session, ACME, ACME_DOMAIN)


def test_sceptre_two_environments_one_account_neither_touches_the_other(emulator, tmp_path):
    # ecs-acme is a copy of the dev group, acme, with the three edits docs/sceptre.md lists
    config = copy_config(tmp_path)
    groups = config / "sceptre" / "config"
    shutil.copytree(groups / "dev", groups / "acme")
    for path, old, new in (("config.yaml", "ecs_namespace: ecs-dev", f"ecs_namespace: {SCEPTRE_ACME}"),
                           ("config.yaml", "app_group: dev/app", "app_group: acme/app"),
                           ("app/config.yaml", "dev/cluster.yaml", "acme/cluster.yaml")):
        file = groups / "acme" / path
        assert old in file.read_text(), (path, old)
        file.write_text(file.read_text().replace(old, new))
    settings = {"health_timeout_seconds": 60}
    dev_values = {**emulator.world, **settings}
    acme_values = {**second_world(emulator.session), **settings}
    acme_values.pop("namespace")
    sceptre = Sceptre(config, emulator.env, values=dev_values)
    release = {"app": "web", "version": "v1", "deploy": "true", "verify": "true", "cutover": "true"}
    for result in (sceptre.run(), sceptre.run(target="dev/version.yaml", **release)):
        assert result.returncode == 0, result.stdout + result.stderr
        assert "none-V-none" not in result.stdout + result.stderr
    # the hooks' progress and results read as under stacker: no stack prefix, no printed dict
    output = result.stdout + result.stderr
    assert "] - web/v1: live (was no version)" in output, output
    assert "ecs_cutover: {" not in output
    dev = snapshot(emulator.session, DEV)

    # a copied version.yaml still reading ecs-dev's stacks is refused before anything is created
    version = groups / "acme" / "version.yaml"
    text = version.read_text()
    version.write_text(text.replace("{{ stack_group_config.ecs_namespace }}-cluster::", f"{DEV}-cluster::")
                       .replace("{{ stack_group_config.ecs_namespace }}-app-{{ var.app }}::",
                                f"{DEV}-app-{{{{ var.app }}}}::"))
    acme = Sceptre(config, emulator.env, values=acme_values)
    result = acme.run(target="acme")
    assert result.returncode == 0, result.stdout + result.stderr
    refused = acme.run(target="acme/version.yaml", **release)
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "belongs to namespace" in line]
    assert len(lines) == 1, output
    line = lines[0]
    assert f"belongs to namespace '{DEV}', not to this stack's namespace '{SCEPTRE_ACME}'" in line
    assert naming.version_stack(SCEPTRE_ACME, "web", "v1") not in {
        s["StackName"] for s in emulator.session.client("cloudformation").describe_stacks()["Stacks"]}
    assert snapshot(emulator.session, DEV) == dev

    # the example's version.yaml (the namespace from the group's one place): acme-dev's own pipeline
    version.write_text(text)
    result = acme.run(target="acme/version.yaml", **release)
    assert result.returncode == 0, result.stdout + result.stderr
    assert snapshot(emulator.session, DEV) == dev
    assert_own(emulator.session, DEV, "dev.example.com")
    assert_own(emulator.session, SCEPTRE_ACME, ACME_DOMAIN)


def test_cfngin_two_environments_one_account_neither_touches_the_other(emulator, tmp_path):
    release = {"app": "web", "version": "v1", "deploy": "true", "verify": "true", "cutover": "true"}
    dev_runway = Runway(copy_config(tmp_path / "dev"), emulator.env,
                        values={**emulator.world, "health_timeout_seconds": 60})
    plain = dev_runway.run()
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert_plain_run_says_what_it_did(plain.stdout + plain.stderr)
    result = dev_runway.run(**release)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "post_deploy hooks: stacker_ecs.cfngin.hooks.verify_health, stacker_ecs.cfngin.hooks.cutover\n" in (
        result.stdout + result.stderr)
    dev = snapshot(emulator.session, DEV)

    # acme-dev: the same module, its own environment values (namespace among them)
    acme = Runway(copy_config(tmp_path / "acme"), emulator.env,
                  values={**second_world(emulator.session), "health_timeout_seconds": 60})
    for result in (acme.run(), acme.run(**release)):
        assert result.returncode == 0, result.stdout + result.stderr

    assert snapshot(emulator.session, DEV) == dev
    assert_own(emulator.session, DEV, "dev.example.com")
    assert_own(emulator.session, ACME, ACME_DOMAIN)
