"""The real Runway CLI (``runway deploy --ci``, CFNgin inside) on the example config, against moto_server.

Two apps, ``web`` and ``web-admin`` (hyphenated, on Fargate), as a platform team runs them: plain
deploys (the platform's CD) interleaved with each app's pipeline (``APP=... VERSION=... DEPLOY=true
...``). After every step the test reads each app's traffic from its live rule and the
environment's stacks straight from the emulator, and asserts both are exactly what they should be.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from emulator.engines import Runway, copy_config
from tests.e2e.conftest import Emulator
from tests.e2e.engine_support import listener_weights, reruns_change_nothing
from tests.e2e.test_many_apps import NAMESPACE, Platform

pytestmark = pytest.mark.e2e
FIRST = {"web": {"v1": 1}, "web-admin": {"v1": 1}}
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"


@pytest.fixture
def runway(emulator: Emulator, tmp_path: Path) -> Runway:
    """``runway deploy`` of a copy of config/, with the emulator's ids; a failing check gives up after 60 s."""
    return Runway(copy_config(tmp_path), emulator.env,
                  values={**emulator.world, "health_timeout_seconds": "60", "cleanup_keep_last": "0",
                          "cleanup_in_flight_hours": "0"})


@pytest.fixture
def aws(emulator: Emulator, tmp_path: Path) -> Platform:
    """What the emulator says: every app's traffic (its live rule) and the environment's stacks."""
    return Platform(emulator=emulator, root=tmp_path, certificate_arn=emulator.world["certificate_arn"])


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """Assert ``runway deploy`` succeeded; return its output."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def refused(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Assert ``runway deploy`` was refused with one clear message containing ``parts`` and no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert "Could not resolve lookup" not in output, output
    for part in parts:
        assert part in output, (part, output)
    return output


def edit(runway: Runway, path: str, old: str, new: str) -> None:
    """Commit a change to the infrastructure repo (the copy of config/)."""
    file = runway.config / path
    assert old in file.read_text(), (path, old)
    file.write_text(file.read_text().replace(old, new))


def updated(aws: Platform) -> dict[str, tuple[str, int]]:
    """Return every stack's id and number of events (see :meth:`Platform.changes`)."""
    return aws.changes()


def listener(aws: Platform, app: str) -> dict:
    """Return the app's HTTPS listener, read from ELBv2."""
    outputs = {o["OutputKey"]: o["OutputValue"] for o in aws.stacks()[f"{NAMESPACE}-app-{app}"]["Outputs"]}
    elbv2 = aws.emulator.session.client("elbv2")
    return elbv2.describe_listeners(ListenerArns=[outputs["ListenerArn"]])["Listeners"][0]


def release(runway: Runway, app: str, version: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """An app pipeline's one command: deploy, verify and cut over one version of one app."""
    return runway.run(app=app, version=version, deploy="true", verify="true", cutover="true", **settings)


def _platform_then_pipelines(runway: Runway, aws: Platform) -> None:
    """A plain deploy builds the cluster and the application stacks; each pipeline touches its own app only."""
    # a pipeline before the platform built the app: one line, nothing created
    early = release(runway, "web", "v1")
    refused(early, "web: no application stack 'ecs-dev-app-web'", "deploy the application stack first")
    assert aws.stacks() == {}
    plain = ok(runway.run())
    assert "none-V-none" not in plain  # a plain deploy names no placeholder version stack
    aws.expect({"web": {}, "web-admin": {}}, {"web": set(), "web-admin": set()})
    assert aws.default_action("web")["FixedResponseConfig"]["StatusCode"] == "503"

    # The platform changes web-admin's TLS policy, but web's pipeline runs first: it deploys web's
    # version stack and changes no other stack (web-admin's pending change is the platform's to apply).
    edit(runway, "cfngin/ecs.yml", "App: web-admin, Sources", f"App: web-admin, SslPolicy: {TLS_POLICY}, Sources")
    before = updated(aws)
    output = ok(release(runway, "web", "v1"))
    aws.expect({"web": {"v1": 1}, "web-admin": {}}, {"web": {"v1"}, "web-admin": set()})
    assert {name: time for name, time in updated(aws).items() if name in before} == before
    assert "web: app pipeline: deploys app-web-V-v1; every other stack is left as it is" in output
    assert "web/v1: live (was no version)" in output

    ok(release(runway, "web-admin", "v1"))
    aws.expect(FIRST, {"web": {"v1"}, "web-admin": {"v1"}})
    assert {name: time for name, time in updated(aws).items() if name in before} == before
    # The next plain deploy applies the platform's change: the listener is updated, no traffic moves.
    ok(runway.run())
    assert updated(aws)[f"{NAMESPACE}-app-web-admin"] != before[f"{NAMESPACE}-app-web-admin"]
    assert listener(aws, "web-admin")["SslPolicy"] == TLS_POLICY
    aws.expect(FIRST, {"web": {"v1"}, "web-admin": {"v1"}})


def _one_apps_lifecycle(runway: Runway, aws: Platform) -> None:
    """web's v2, its rollback, a broken v3 and web's cleanup: web-admin stays as it is."""
    admin = {name: time for name, time in updated(aws).items() if "web-admin" in name}
    ok(release(runway, "web", "v2"))
    aws.expect({"web": {"v2": 1, "v1": 0}, "web-admin": {"v1": 1}}, {"web": {"v1", "v2"}, "web-admin": {"v1"}})
    ok(runway.run(app="web", rollback="true"))
    aws.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}, {"web": {"v1", "v2"}, "web-admin": {"v1"}})
    # a broken v3 fails verification with the cause in one message, exit 1; v1 stays live
    broken = runway.run(app="web", version="v3", deploy="true", verify="true")
    assert broken.returncode == 1
    output = broken.stdout + broken.stderr
    assert "verify_health failed: web/v3: 3 tasks stopped before becoming healthy: CannotPullContainerError" in output
    assert "Traceback" not in output
    aws.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}},
               {"web": {"v1", "v2", "v3"}, "web-admin": {"v1"}})
    # cleanup deletes v3 and keeps live v1 and previous v2
    ok(runway.run(app="web", cleanup="true"))
    aws.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}, {"web": {"v1", "v2"}, "web-admin": {"v1"}})
    assert {name: time for name, time in updated(aws).items() if "web-admin" in name} == admin


def _plain_deploy_changes_no_version(runway: Runway, aws: Platform) -> None:
    """A plain deploy re-creates no deleted version (v3) and changes none in place; an in-place change is refused."""
    edit(runway, "apps/web/ecs.json", '"memory": "512"', '"memory": "1024"')
    versions = {name: time for name, time in updated(aws).items() if "-V-" in name}
    ok(runway.run())
    assert {name: time for name, time in updated(aws).items() if "-V-" in name} == versions
    aws.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}, {"web": {"v1", "v2"}, "web-admin": {"v1"}})

    in_place = runway.run(app="web", version="v1", deploy="true")
    output = refused(in_place, "web/v1 is live and this build would change its stack in place",
                     "deploy the change as a new version (VERSION=<new>)")
    assert "app-web-V-v1:failed\n" in output  # the step's line does not repeat the message
    assert {name: time for name, time in updated(aws).items() if "-V-" in name} == versions


def _bad_values_refused_before_any_change(runway: Runway, aws: Platform) -> None:
    """A bad hook argument, app or per-app variable: one line, before any stack changes."""
    before = updated(aws)
    refused(release(runway, "web", "v4", values={"first_desired_count": "-1"}),
            "check_build failed", "start_count: -1 is not accepted")
    refused(release(runway, "api", "v4"), "'api' is not an app of this config (apps: web, web-admin); pass APP=<app>")
    edit(runway, "apps/web-admin/version.yaml", "HealthCheckPath: /admin/health", "HealthCheckPath: admin/health")
    refused(release(runway, "web-admin", "v4"), "stack 'app-web-admin-V-v4' (Version blueprint): HealthCheckPath")
    assert updated(aws) == before
    aws.expect({"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}, {"web": {"v1", "v2"}, "web-admin": {"v1"}})


def _teardown_of_one_app(runway: Runway, aws: Platform) -> None:
    """web-admin's teardown (refused while live, then forced; web untouched; nothing comes back), then destroy."""
    refused(runway.run(app="web-admin", teardown="true"), "web-admin: v1 is live", "force")
    web = {name: time for name, time in updated(aws).items() if "web-admin" not in name}
    ok(runway.run(app="web-admin", teardown="true", teardown_force="true"))
    aws.expect({"web": {"v1": 1, "v2": 0}}, {"web": {"v1", "v2"}})
    edit(runway, "cfngin/ecs.yml", "  - {<<: *app_stack, name: app-web-admin, variables: {<<: *app_variables, "
         f"App: web-admin, SslPolicy: {TLS_POLICY}, Sources: \"${{ecs_sources web-admin}}\"}}}}\n", "")
    ok(runway.run())
    aws.expect({"web": {"v1": 1, "v2": 0}}, {"web": {"v1", "v2"}})
    assert updated(aws) == web

    # runway destroy deletes only the stacks the config names: refused while web is live, before any delete
    refused(runway.run("destroy"), "destroy of ecs-dev refused: web: v1 is live",
            "APP=<app> TEARDOWN=true [TEARDOWN_FORCE=true] runway deploy")
    assert updated(aws) == web
    ok(runway.run(app="web", teardown="true", teardown_force="true"))
    ok(runway.run("destroy"))
    assert aws.stacks() == {}


def test_two_apps_pipelines_and_plain_deploys_through_runway_never_touch_each_other(runway: Runway, aws: Platform):
    _platform_then_pipelines(runway, aws)
    _one_apps_lifecycle(runway, aws)
    _plain_deploy_changes_no_version(runway, aws)
    _bad_values_refused_before_any_change(runway, aws)
    _teardown_of_one_app(runway, aws)


def test_rerunning_a_pipeline_updates_no_version_stack(runway: Runway, emulator: Emulator):
    # web's v1 deployed, verified and live; v2 deployed and verified beside it, not live
    ok(runway.run())
    ok(release(runway, "web", "v1"))
    ok(runway.run(app="web", version="v2", deploy="true", verify="true"))

    def rerun() -> None:
        assert "nochange" in ok(release(runway, "web", "v1"))
        assert "nochange" in ok(runway.run(app="web", version="v2", deploy="true", verify="true"))

    # when both pipelines run again, exactly as before: neither stack gets an update, neither service a new count
    reruns_change_nothing(emulator.session, ("v1", "v2"), rerun)
    assert listener_weights(emulator.session) == {"v1": 1}
