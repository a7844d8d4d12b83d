"""`make demo [ENGINE=stacker|cfngin|sceptre]` (``python -m scripts.demo --engine ...``): the whole
blue/green story with a real engine CLI and the local AWS emulator.

Two apps, ``web`` and ``web-admin`` (on Fargate), in one environment, run as a platform team and
its app pipelines would: the platform's plain build (cluster and application stacks only); each
app's pipeline deploys, verifies and cuts over its own versions; web rolls back; a broken web v3
fails verification with a clear message while v1 stays live (``diagnose`` says why); its image pushed,
v3 goes live as a canary judged by metrics with a gate, promoted; web's cleanup; a plain build again
(nothing moves); web-admin torn down; status of both apps.
A broken version takes the path AWS takes (its stack completes at 0 tasks, the hook starts them
and names the cause; then the image is pushed and the same pipeline runs again). Every engine tells
the same story (:func:`two_apps`); only a step differs: ``stacker build`` with ``-e`` settings
(``--targets pipeline`` for an app), ``runway deploy --ci`` with ``APP=... VERSION=...`` and the
switches from the environment, or ``sceptre launch`` of ``dev``, ``dev/version.yaml`` or the app's
``dev/app/<app>.yaml`` with ``--var`` settings. All against a local AWS emulator.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3

from emulator import shared_models
from emulator.ecs_agent import EcsAgent
from emulator.engines import Runway, Sceptre, copy_config, engine_cli
from emulator.seed import seed
from emulator.server import REGION, client_env, moto_server
from emulator.traffic import Traffic
from stacker_ecs.core import contract, naming

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
CONFIG = ["config/dev.env", "config/stacker-Dev.yml"]
NAMESPACE = "ecs-dev"
CFNGIN_SWITCHES = ("app", "version", "deploy", "verify", "cutover", "rollback", "cleanup", "teardown",
                   "teardown_force", "alarm_names")
"""What a runway deploy takes from the environment (config/runway.yml); anything else goes in the env file."""
Step = Callable[..., None]


def banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def run(args: list[str], env: dict[str, str], *, expect_failure: bool = False, cwd: Path = ROOT,
        shown: str = "", expect_status: int | None = None) -> None:
    """Run a command, showing it and its output; stop the demo if it does not end as expected."""
    print("$ " + (shown or " ".join(args)), flush=True)
    code = subprocess.run(args, env=env, cwd=cwd, check=False).returncode
    if expect_status is not None:
        if code != expect_status:
            sys.exit(f"demo: the step ended with exit status {code}, not {expect_status}")
        print(f"(exit status {code}, as expected)", flush=True)
        return
    if expect_failure and code == 0:
        sys.exit("demo: this step should have failed, and did not")
    if not expect_failure and code != 0:
        sys.exit(f"demo: the step failed with exit status {code}")
    if expect_failure:
        print(f"(failed as expected, exit status {code})", flush=True)


def stacker(args: list[str], env: dict[str, str], *, expect_failure: bool = False) -> None:
    """Run the ``stacker`` CLI (shown as a user types it; run by :func:`emulator.engines.engine_cli`)."""
    run([*engine_cli("stacker"), *args], env, expect_failure=expect_failure, shown=" ".join(["stacker", *args]))


def stacker_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``stacker build`` of the example config with the emulator's ids and ``-e`` settings.

    With an ``app`` setting it is that app's pipeline (``--targets pipeline``: only its version stack).
    """

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        extra = [arg for key, value in {**world, **settings}.items() for arg in ("-e", f"{key}={value}")]
        if "app" in settings:
            extra += ["--targets", "pipeline"]
        stacker(["build", "-r", REGION, *extra, *CONFIG], env, expect_failure=expect_failure)

    return step


def cfngin_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``runway deploy --ci`` of a copy of config/ (switches from the environment)."""
    runway = Runway(copy_config(ROOT / ".demo" / "cfngin"), env, values=world)

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        switches = {key: value for key, value in settings.items() if key in CFNGIN_SWITCHES}
        values = {key: value for key, value in settings.items() if key not in CFNGIN_SWITCHES}
        args, run_env = runway.command(values=values, **switches)
        shown = " ".join(f"{key.upper()}={value}" for key, value in switches.items())
        run(args, run_env, expect_failure=expect_failure, cwd=runway.config,
            shown=f"{shown} DEPLOY_ENVIRONMENT=dev runway deploy --ci"
            + "".join(f"   ({key}: {value} in cfngin/dev-{REGION}.env)" for key, value in values.items()))

    return step


def sceptre_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``sceptre launch -y <target>`` of a copy of config/sceptre with ``--var``
    settings: ``dev`` for a plain launch, ``dev/version.yaml`` for a pipeline's deploy (verify and cutover
    run after it), the app's ``dev/app/<app>.yaml`` for its rollback, cleanup or teardown."""
    sceptre = Sceptre(copy_config(ROOT / ".demo" / "sceptre"), env, values=world)

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        target = ("dev/version.yaml" if settings.get("deploy") == "true"
                  else f"dev/app/{settings['app']}.yaml" if "app" in settings else "dev")
        args = sceptre.command(target=target, **settings)
        shown = " ".join(f"--var {key}={value}" for key, value in settings.items())
        run(args, env, expect_failure=expect_failure, cwd=sceptre.project,
            shown=f"sceptre --var-file vars/dev.yaml {shown} launch -y {target}".replace("  ", " "))

    return step




def status(env: dict[str, str], app: str = "web") -> None:
    stacker_ecs(env, "status", app, "--namespace", NAMESPACE)


def stacker_ecs(env: dict[str, str], *args: str, expect_status: int | None = None) -> None:
    """Run the ``stacker-ecs`` CLI (shown as a user types it); stop the demo unless it ends with ``expect_status``
    (default: 0)."""
    run([str(BIN / "stacker-ecs"), "--region", REGION, *args], env, expect_status=expect_status,
        shown=" ".join(["stacker-ecs", *(f"'{a}'" if " " in a else a for a in args)]))


def users_of(app: str) -> Traffic:
    """The app's users on its live host, and the load balancer's per-target-group metrics (every second)."""
    session = boto3.Session(region_name=REGION)
    stack = session.client("cloudformation").describe_stacks(
        StackName=naming.application_stack(NAMESPACE, app))["Stacks"][0]
    return Traffic(session, contract.outputs_of(stack)[contract.LISTENER_ARN], requests_per_minute=6000,
                   period_seconds=1)


def diagnose(env: dict[str, str], app: str = "web") -> None:
    """Walk the troubleshooting checklist for the app's newest version that is not live."""
    stacker_ecs(env, "diagnose", app, "--namespace", NAMESPACE)


def main() -> None:
    """Run the story end to end with the engine named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=list(ENGINES), default="stacker")
    engine = parser.parse_args().engine
    shared_models.apply()  # the seed's, the ECS agent's and the users' sessions read botocore's models once
    demo_dir = ROOT / ".demo"
    # The emulator fails like AWS (emulator.aws_like): a stack creating web_v3 with tasks would roll back.
    with moto_server(pid_file=demo_dir / "moto.pid", extra_env={"EMULATOR_UNSTARTABLE_SERVICES": "web_v3"}) as url:
        env = {**os.environ, **client_env(url)}
        os.environ.update(client_env(url))
        banner(f"local AWS emulator (moto_server) on {url}; seeding a VPC, a certificate and a hosted zone")
        world = seed(boto3.Session(region_name=REGION)).as_env()
        agent = EcsAgent(boto3.Session(region_name=REGION), broken={"web_v3"})
        with agent.running():
            two_apps(ENGINES[engine](env, world), env, agent)
        if engine == "stacker":
            banner("outputs of the deployed stacks (stacker info)")
            stacker(["info", "-r", REGION, *[a for k, v in world.items() for a in ("-e", f"{k}={v}")], *CONFIG], env)
    banner("done; the emulator is stopped")


ENGINES: dict[str, Callable[[dict[str, str], dict[str, str]], Step]] = {
    "stacker": stacker_step, "cfngin": cfngin_step, "sceptre": sceptre_step}
"""Engine -> how it runs one step of the story (a plain run, or an app's pipeline with its switches)."""


def two_apps(step: Step, env: dict[str, str], agent: EcsAgent) -> None:
    """The story: a platform run, two apps' pipelines, a rollback, a broken version fixed, cleanup, teardown."""

    def release(app: str, version: str, **settings: str) -> None:
        step(app=app, version=version, deploy="true", verify="true", cutover="true", **settings)

    banner("the platform's CD: a plain run creates the cluster and both apps' application stacks (no version)")
    step()
    banner("web's pipeline: deploy v1, verify it, cut over (until now its listener answered 503); "
           "only web's version stack changes")
    release("web", "v1")
    banner("web-admin's pipeline (a hyphenated app, on Fargate): the same command, its own app only")
    release("web-admin", "v1")
    banner("web's pipeline: v2 beside v1 (it starts at v1's size), verify, cut over; web-admin untouched")
    release("web", "v2")
    status(env)
    status(env, "web-admin")
    banner("roll back web: v1 is still running, so this is one listener rule change")
    step(app="web", rollback="true")
    banner("web's pipeline deploys a broken v3 (its image does not exist): its stack completes at 0 tasks, "
           "verification starts them, fails within seconds and says why")
    release("web", "v3", health_timeout_seconds="120", expect_failure=True)
    banner("why did v3 fail? `stacker-ecs diagnose web` walks the checklist: the cause first, with its fix")
    diagnose(env)
    banner("v1 is still live; try to cut over to v3 anyway: refused")
    step(app="web", version="v3", deploy="true", cutover="true", health_timeout_seconds="120", expect_failure=True)
    banner("push v3's image, then deploy and verify v3 again: no extra flags, v3 is healthy (v1 stays live)")
    agent.broken.discard("web_v3")
    step(app="web", version="v3", deploy="true", verify="true", health_timeout_seconds="120")
    with users_of("web").running(interval_seconds=0.2):
        banner("cut over to v3 as a canary judged by metrics: 10 % then 50 %, each step's 5xx ratio read from "
               "CloudWatch beside v1's; a gate after 10 %: the run ends (exit status 4), nothing keeps running")
        stacker_ecs(env, "cutover", "web", "v3", "--namespace", NAMESPACE, "--steps-percent", "10", "50",
                    "--bake-seconds", "2", "--min-requests", "5", "--metric-check", "5xx_percent <= 1",
                    "--pause-after-percent", "10", expect_status=4)
        status(env)
        banner("from any terminal or job: promote; the 50 % step is judged too, then v3 is live")
        stacker_ecs(env, "promote", "web", "--namespace", NAMESPACE)
    banner("clean up web: delete versions that are neither live nor the previous live one (v2 goes)")
    step(app="web", cleanup="true", cleanup_keep_last="0")
    banner("the platform's CD again: nothing to deploy, no traffic moves, no deleted version comes back")
    step()
    status(env)
    banner("remove web-admin: refused while a version is live, then forced (versions, rule, app stack)")
    step(app="web-admin", teardown="true", expect_failure=True)
    step(app="web-admin", teardown="true", teardown_force="true")


if __name__ == "__main__":
    main()
