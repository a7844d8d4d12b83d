"""A version whose stack fails to create, through the real stacker CLI; ``stacker-ecs diagnose`` names its failed event.

The failure is a true one, not an injected fault: the app turns on its versions' own DNS records
(``HostedZoneId`` in its ``version.yaml``, docs/fidelity.md #3) while a record for ``v2.web.<domain>``
that someone made by hand already exists in the zone. The version stack's ``VersionRecord`` (a
Route 53 ``CREATE``) fails with ``InvalidChangeBatch`` and CloudFormation rolls the stack back to
``ROLLBACK_COMPLETE``, as AWS does (``emulator/aws_like/route53_records.py``, ``stack_create.py``).
No hook of ours runs after stacker's failed step (stacker skips ``post_build``), so stacker's own
lines are what the pipeline prints; ``diagnose`` then gives the reason and the fix, which works.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from emulator.engines import copy_config, engine_cli
from emulator.server import REGION
from stacker_ecs.core import contract, naming
from tests.e2e.conftest import CONFIG
from tests.e2e.engine_support import outputs

pytestmark = pytest.mark.e2e
NAMESPACE = "ecs-dev"
STACK = naming.version_stack(NAMESPACE, "web", "v2")


def _pipeline(emulator, cwd: Path, *settings: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run the real ``stacker build`` of web's pipeline on the config copy in ``cwd``."""
    options = [a for k, v in emulator.world.items() for a in ("-e", f"{k}={v}")]
    options += [a for s in ("app=web", *settings) for a in ("-e", s)]
    return subprocess.run([*engine_cli("stacker"), "build", "-r", REGION, *options, *extra, "--targets", "pipeline",
                           *CONFIG], env=emulator.env, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _turn_on_version_records(emulator, config: Path) -> None:
    """Give web's versions their own alias record, as a team would in its version.yaml."""
    app = outputs(emulator.session, naming.application_stack(NAMESPACE, "web"))
    (balancer,) = emulator.session.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[app[contract.LOAD_BALANCER_ARN]])["LoadBalancers"]
    settings = config / "apps" / "web" / "version.yaml"
    settings.write_text(settings.read_text() + (
        f"HostedZoneId: {emulator.world['hosted_zone_id']}\n"
        f"LoadBalancerDnsName: {balancer['DNSName']}\n"
        f"LoadBalancerHostedZoneId: {balancer['CanonicalHostedZoneId']}\n"))


def _record_by_hand(emulator, action: str, host: str) -> None:
    """CREATE or DELETE an A record for ``host`` in the environment's zone, outside any stack."""
    emulator.session.client("route53").change_resource_record_sets(
        HostedZoneId=emulator.world["hosted_zone_id"],
        ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": {
            "Name": host + ".", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})


def test_diagnose_names_the_failed_event_of_a_version_stack_that_failed_to_create(emulator, tmp_path):
    config = copy_config(tmp_path)
    assert emulator.stacker().returncode == 0
    live = _pipeline(emulator, tmp_path, "version=v1", "deploy=true", "verify=true", "cutover=true")
    assert live.returncode == 0, live.stderr
    _turn_on_version_records(emulator, config)
    host = naming.version_host("web", "v2", emulator.world["domain"])
    _record_by_hand(emulator, "CREATE", host)

    failed = _pipeline(emulator, tmp_path, "version=v2", "deploy=true", "verify=true")
    assert failed.returncode == 1
    lines = [line.partition("] ")[2] for line in failed.stderr.splitlines()]
    assert f"{STACK} Stack Roll Back Reason: The following resource(s) failed to create: [VersionRecord]. " \
           "Rollback requested by user." in lines
    assert lines[-2:] == ["app-web-V-v2: failed (creating new stack)",
                          "The following steps failed: app-web-V-v2, pipeline"]
    assert "verify_health" not in failed.stderr
    assert "Traceback" not in failed.stderr

    # diagnose: the failed event first, with its resource, its reason and the fix
    result = emulator.stacker_ecs("--output", "json", "diagnose", "web", "v2", "--namespace", NAMESPACE)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)["result"]["findings"][0]
    reason = f"Tried to create resource record set [name='{host}.', type='A'] but it already exists"
    assert first == {"severity": "cause", "place": "cloudformation",
                     "summary": f"stack {STACK} is ROLLBACK_COMPLETE: VersionRecord failed: {reason}",
                     "fix": "fix what the reason names, then deploy web/v2 again: stacker needs --recreate-failed to "
                            "delete the failed stack and create it anew (Runway CFNgin in CI and sceptre launch do "
                            "so themselves)"}
    text = emulator.stacker_ecs("diagnose", "web", "v2", "--namespace", NAMESPACE)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[1] == f"1. [cause] cloudformation: {first['summary']}"
    assert lines[2] == f"   fix: {first['fix']}"
    assert f"  VersionRecord CREATE_FAILED: {reason}" in lines

    # the fix works: the record gone, the same pipeline with --recreate-failed deploys and verifies v2
    _record_by_hand(emulator, "DELETE", host)
    again = _pipeline(emulator, tmp_path, "version=v2", "deploy=true", "verify=true", extra=("--recreate-failed",))
    assert again.returncode == 0, again.stderr
    assert "web/v2: 1/1 targets healthy" in again.stderr
    records = emulator.session.client("route53").list_resource_record_sets(
        HostedZoneId=emulator.world["hosted_zone_id"], StartRecordName=host + ".", StartRecordType="A",
        MaxItems="1")["ResourceRecordSets"]
    assert records[0]["Name"] == host + "."
    assert records[0]["AliasTarget"]["DNSName"].rstrip(".").endswith(".elb.amazonaws.com")
