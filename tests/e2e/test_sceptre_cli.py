"""The real Sceptre CLI (``sceptre launch``) on the example project, against moto_server.

Two apps, ``web`` and the hyphenated ``web-admin``, in one environment: the platform's plain
launches (``launch -y dev``) interleave with each app's pipeline (``launch -y dev/version.yaml``
naming its app and version) and with one app's rollback, cleanup and teardown (``launch -y
dev/app/<app>.yaml``). After every step the test reads each app's traffic from its live rule and
the environment's stacks from the emulator. Sceptre waits a fixed 4 s per stack state check, so
this is one lean story.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest

from emulator.engines import Sceptre, copy_config
from stacker_ecs.core import naming
from tests.e2e.engine_support import NAMESPACE, listener_weights, reruns_change_nothing

pytestmark = pytest.mark.e2e
APPS = ("web", "web-admin")
CLUSTER = naming.cluster_stack(NAMESPACE)


def app_stack(app: str) -> str:
    return naming.application_stack(NAMESPACE, app)


def version_stack(app: str, version: str) -> str:
    return naming.version_stack(NAMESPACE, app, version)


@dataclass
class Environment:
    """The Sceptre project (a copy of config/) and what the emulator says about the environment."""

    sceptre: Sceptre
    session: object

    def plain(self) -> subprocess.CompletedProcess[str]:
        """The platform's CD: ``sceptre launch -y dev``, no --var."""
        return self.sceptre.run()

    def release(self, app: str, version: str, **more: str) -> subprocess.CompletedProcess[str]:
        """An app pipeline's one command: deploy, verify and cut over one version of one app."""
        return self.sceptre.run(target="dev/version.yaml", app=app, version=version, deploy="true", verify="true",
                                cutover="true", **more)

    def app_step(self, app: str, **switch: str) -> subprocess.CompletedProcess[str]:
        """Rollback, cleanup or teardown of one app: a launch of its application stack with the switch."""
        return self.sceptre.run(target=f"dev/app/{app}.yaml", app=app, **switch)

    def edit(self, path: str, old: str, new: str) -> None:
        """Commit a change to the project (a path under config/)."""
        file = self.sceptre.config / path
        text = file.read_text()
        assert old in text, (path, old)
        file.write_text(text.replace(old, new))

    def stacks(self) -> dict[str, tuple[str, str, str]]:
        """Return name -> (id, status, last update) of every stack of the environment."""
        cfn = self.session.client("cloudformation")
        return {s["StackName"]: (s["StackId"], s["StackStatus"], str(s.get("LastUpdatedTime", "")))
                for page in cfn.get_paginator("describe_stacks").paginate() for s in page["Stacks"]
                if s["StackStatus"] != "DELETE_COMPLETE"}

    def of(self, app: str) -> dict[str, tuple[str, str, str]]:
        """Return the stacks of ``app`` (its application stack and its versions), as :meth:`stacks`."""
        return {name: state for name, state in self.stacks().items()
                if name == app_stack(app) or naming.version_from_stack(NAMESPACE, app, name)}

    def traffic(self) -> dict[str, dict[str, int]]:
        """Return app -> version -> weight of its live rule, read from the listener."""
        return {app: listener_weights(self.session, app) for app in APPS if app_stack(app) in self.stacks()}


def one_line_refusal(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Assert a launch was refused with exit status 1 and one line holding ``parts``, no traceback; return it."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if parts[0] in line]
    for part in parts:
        assert part in line, (part, line)
    return line


@pytest.fixture
def env(emulator, tmp_path) -> Environment:
    """``sceptre launch`` of a copy of config/sceptre, with the emulator's ids; a failing check gives up after 60 s."""
    return Environment(Sceptre(copy_config(tmp_path), emulator.env,
                               values={**emulator.world, "health_timeout_seconds": 60, "cleanup_keep_last": 0,
                                       "cleanup_in_flight_hours": 0}), emulator.session)


def test_plain_launches_and_two_apps_pipelines_interleave_and_each_touches_only_its_own(env):
    # the platform's plain launch: the cluster and both apps' application stacks, no version, no traffic
    assert env.plain().returncode == 0
    assert set(env.stacks()) == {CLUSTER, app_stack("web"), app_stack("web-admin")}
    assert env.traffic() == {"web": {}, "web-admin": {}}

    # web's pipeline deploys, verifies and cuts over v1: web-admin's stacks are untouched
    admin = env.of("web-admin")
    first = env.release("web", "v1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert env.traffic() == {"web": {"v1": 1}, "web-admin": {}}
    assert env.of("web-admin") == admin
    # web-admin's pipeline (hyphenated, on Fargate from config/apps/web-admin/version.yaml): web untouched
    web = env.of("web")
    assert env.release("web-admin", "v1").returncode == 0
    assert env.traffic() == {"web": {"v1": 1}, "web-admin": {"v1": 1}}
    assert env.of("web") == web
    # web v2 beside v1, cut over
    assert env.release("web", "v2").returncode == 0
    assert env.traffic() == {"web": {"v2": 1, "v1": 0}, "web-admin": {"v1": 1}}

    # a bad value is refused before any change, by the first stack's check: one line, no stack changed
    before = env.stacks()
    env.edit("sceptre/config/dev/app/web-admin.yaml", "{App: web-admin,", "{App: web-admin, Scheme: public,")
    one_line_refusal(env.plain(), "ecs_check_build failed", "stack 'dev/app/web-admin' (application blueprint)",
                     "Scheme: 'public' is not accepted")
    env.edit("sceptre/config/dev/app/web-admin.yaml", "{App: web-admin, Scheme: public,", "{App: web-admin,")
    one_line_refusal(env.release("web", "v3", health_timeout_seconds="soon"), "ecs_check_build failed",
                     "hook !ecs_verify_health args: timeout_seconds: 'soon' is not accepted")
    assert env.stacks() == before

    # an ecs.json edit onto the previous version v1 is refused, naming the fix; v1's stack is unchanged
    env.edit("apps/web/ecs.json", '"memoryReservation": 256', '"memoryReservation": 300')
    one_line_refusal(env.release("web", "v1"), "web/v1 is previous and this build would change its stack in place",
                     "deploy the change as a new version (--var version=<new>)")
    assert env.stacks() == before
    # the platform's plain launch with that edit committed: no version is created or changed, no traffic moves
    assert env.plain().returncode == 0
    assert {name: state for name, state in env.stacks().items() if name not in (CLUSTER, *map(app_stack, APPS))} \
        == {name: state for name, state in before.items() if name not in (CLUSTER, *map(app_stack, APPS))}
    assert env.traffic() == {"web": {"v2": 1, "v1": 0}, "web-admin": {"v1": 1}}

    # roll web back: only web's live rule changes
    admin = env.of("web-admin")
    assert env.app_step("web", rollback="true").returncode == 0
    assert env.traffic() == {"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}
    assert env.of("web-admin") == admin
    # a broken v3 fails verification in one line with the cause; v1 stays live
    one_line_refusal(env.release("web", "v3"), "ecs_verify_health failed: web/v3: 3 tasks stopped before becoming "
                     "healthy: CannotPullContainerError")
    assert env.traffic() == {"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}

    # web's cleanup deletes v3 (keeps live v1 and previous v2); the next plain launch does not re-create it
    assert env.app_step("web", cleanup="true").returncode == 0
    assert version_stack("web", "v3") not in env.stacks()
    assert env.plain().returncode == 0
    assert set(env.stacks()) == {CLUSTER, app_stack("web"), app_stack("web-admin"), version_stack("web", "v1"),
                                 version_stack("web", "v2"), version_stack("web-admin", "v1")}
    assert env.traffic() == {"web": {"v1": 1, "v2": 0}, "web-admin": {"v1": 1}}

    # sceptre delete of the environment would delete the stacks its files name, not the versions: refused in
    # one line while Sceptre reads the config, before it prints its plan (no "will be deleted: dev/version")
    before = env.stacks()
    deleted = env.sceptre.run("delete")
    refused = one_line_refusal(deleted, "ecs_check_delete failed: ", "destroy of ecs-dev refused: ",
                               "web: v1 is live", "web-admin: v1 is live", "--var teardown=true")
    assert (deleted.stdout + deleted.stderr).splitlines() == [refused]
    assert env.stacks() == before

    # web-admin's teardown: refused while v1 is live, then forced; web is untouched
    web = env.of("web")
    one_line_refusal(env.app_step("web-admin", teardown="true"), "ecs_teardown failed: web-admin: v1 is live")
    assert env.app_step("web-admin", teardown="true", teardown_force="true").returncode == 0
    assert set(env.stacks()) == {CLUSTER, *web}
    assert env.of("web") == web
    assert env.traffic() == {"web": {"v1": 1, "v2": 0}}
    deleting_a_removed_apps_file_is_allowed_while_another_app_is_live(env, "web-admin")
    assert env.of("web") == web


def deleting_a_removed_apps_file_is_allowed_while_another_app_is_live(env: Environment, app: str) -> None:
    """``sceptre delete`` of ``app``'s file, nothing of ``app`` left: allowed, saying what it deletes.

    The app's ``before_delete`` hook is the ``dev/app`` group's, which Sceptre binds to the group's stack it read
    last: it may hold another app's stack, whose live version must not refuse this delete.
    """
    removed = env.sceptre.run("delete", target=f"dev/app/{app}.yaml")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert [line.partition("] - ")[2] for line in removed.stderr.splitlines()] == [
        f"ecs-dev: no app this delete removes is live or keeps a version stack; it deletes dev/app/{app}",
        f"dev/app/{app} - Deleting stack", f"dev/app/{app} - Does not exist."]


def test_a_switch_no_stack_of_the_launch_runs_is_refused_before_any_change(env):
    assert env.plain().returncode == 0
    before = env.stacks()

    # cutover without deploy would re-launch (or create) the version stack: refused
    one_line_refusal(env.sceptre.run(target="dev/version.yaml", app="web", version="v1", cutover="true"),
                     "deploy: off, but this launch would launch the version stack 'dev/version' of app 'web'")
    # a rollback named for one app but launched on another app's stack would do nothing: refused
    one_line_refusal(env.sceptre.run(target="dev/app/web.yaml", app="web-admin", rollback="true"),
                     "rollback: on, but no stack of this launch runs it for app 'web-admin'")
    # an app the project does not have
    one_line_refusal(env.sceptre.run(target="dev/version.yaml", app="api", version="v1", deploy="true"),
                     "app: 'api' is not an app of this config (apps: web, web-admin)")
    assert env.stacks() == before


def test_rerunning_a_pipeline_updates_no_version_stack(env):
    # web's v1 deployed, verified and live; v2 deployed and verified beside it, not live
    assert env.plain().returncode == 0
    assert env.release("web", "v1").returncode == 0

    def idle() -> subprocess.CompletedProcess[str]:
        return env.sceptre.run(target="dev/version.yaml", app="web", version="v2", deploy="true", verify="true")

    assert idle().returncode == 0

    def rerun() -> None:
        for again in (env.release("web", "v1"), idle()):
            output = again.stdout + again.stderr
            assert again.returncode == 0, output
            assert "No updates to perform" in output, output

    # when both pipelines run again, exactly as before: neither stack gets an update, neither service a new count
    reruns_change_nothing(env.session, ("v1", "v2"), rerun)
    assert env.traffic()["web"] == {"v1": 1}
