"""`make demo [ENGINE=stacker|cfngin|sceptre]` (``python -m scripts.demo --engine ...``): the whole
blue/green story with a real engine CLI and the local AWS emulator.

cluster and app; deploy v1, verify, cut over; deploy v2, verify, cut over; roll back to v1; deploy
a broken v3 (its image does not exist) that fails verification with a clear message while v1 stays
live, on the path AWS takes (with stacker, the stack completes at 0 tasks, the hook starts them and
names the cause; then the image is pushed and the same build runs again); clean up; status.
The engine is stacker (``stacker build``, the default), Runway's CFNgin (``runway deploy --ci``) or
Sceptre (``sceptre launch -y dev``), each on its example config against a local AWS emulator.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3

from emulator.ecs_agent import EcsAgent
from emulator.engines import Runway, Sceptre, copy_config
from emulator.seed import seed
from emulator.server import REGION, client_env, moto_server

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
CONFIG = ["config/dev.env", "config/stacker-Dev.yml"]
NAMESPACE = "ecs-dev"
SWITCHES = ("web_version", "verify", "cutover", "rollback", "cleanup")
Step = Callable[..., None]


def banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def run(args: list[str], env: dict[str, str], *, expect_failure: bool = False, cwd: Path = ROOT,
        shown: str = "") -> None:
    """Run a command, showing it and its output; stop the demo if it does not end as expected."""
    print("$ " + (shown or " ".join(args)), flush=True)
    code = subprocess.run(args, env=env, cwd=cwd, check=False).returncode
    if expect_failure and code == 0:
        sys.exit("demo: this step should have failed, and did not")
    if not expect_failure and code != 0:
        sys.exit(f"demo: the step failed with exit status {code}")
    if expect_failure:
        print(f"(failed as expected, exit status {code})", flush=True)


def stacker_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``stacker build`` of the example config with ``-e`` settings."""

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        extra = [arg for key, value in {**world, **settings}.items() for arg in ("-e", f"{key}={value}")]
        shown = " ".join(f"-e {key}={value}" for key, value in settings.items())
        run([str(BIN / "stacker"), "build", "-r", REGION, *extra, *CONFIG], env, expect_failure=expect_failure,
            shown=f"stacker build -r {REGION} {shown} <emulator ids> {' '.join(CONFIG)}")

    return step


def cfngin_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``runway deploy --ci`` of a copy of config/ (switches from the environment)."""
    runway = Runway(copy_config(ROOT / ".demo" / "cfngin"), env, values=world)

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        switches = {key: value for key, value in settings.items() if key in SWITCHES}
        values = {key: value for key, value in settings.items() if key not in SWITCHES}
        args, run_env = runway.command(values=values, **switches)
        shown = " ".join(f"{key.upper()}={value}" for key, value in switches.items())
        run(args, run_env, expect_failure=expect_failure, cwd=runway.config,
            shown=f"{shown} DEPLOY_ENVIRONMENT=dev runway deploy --ci"
            + "".join(f"   ({key}: {value} in cfngin/dev-{REGION}.env)" for key, value in values.items()))

    return step


def sceptre_step(env: dict[str, str], world: dict[str, str]) -> Step:
    """Return a step that runs ``sceptre launch -y dev`` of a copy of config/sceptre with ``--var`` settings."""
    sceptre = Sceptre(copy_config(ROOT / ".demo" / "sceptre"), env, values=world)

    def step(*, expect_failure: bool = False, **settings: str) -> None:
        args = sceptre.command(**settings)
        shown = " ".join(f"--var {key}={value}" for key, value in settings.items())
        run(args, env, expect_failure=expect_failure, cwd=sceptre.project,
            shown=f"sceptre --var-file vars/dev.yaml {shown} launch -y dev")

    return step


ENGINES = {"stacker": stacker_step, "cfngin": cfngin_step, "sceptre": sceptre_step}


def status(env: dict[str, str]) -> None:
    run([str(BIN / "stacker-ecs"), "--region", REGION, "status", "web", "--namespace", NAMESPACE], env)


def main() -> None:
    """Run the story end to end with the engine named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="stacker")
    engine = parser.parse_args().engine
    demo_dir = ROOT / ".demo"
    # The emulator fails like AWS (emulator.aws_like): a stack creating web-v3 with tasks would roll back.
    with moto_server(pid_file=demo_dir / "moto.pid", extra_env={"EMULATOR_UNSTARTABLE_SERVICES": "web-v3"}) as url:
        env = {**os.environ, **client_env(url)}
        os.environ.update(client_env(url))
        banner(f"local AWS emulator (moto_server) on {url}; seeding a VPC, a certificate and a hosted zone")
        world = seed(boto3.Session(region_name=REGION)).as_env()
        step = ENGINES[engine](env, world)
        agent = EcsAgent(boto3.Session(region_name=REGION), broken={"web-v3"})
        with agent.running():
            story(step, env, agent, push_image=engine == "stacker")
        if engine == "stacker":
            banner("outputs of the deployed stacks (stacker info)")
            run([str(BIN / "stacker"), "info", "-r", REGION,
                 *[a for k, v in world.items() for a in ("-e", f"{k}={v}")], "-e", "web_version=v1", *CONFIG], env)
    banner("done; the emulator is stopped")


def story(step: Step, env: dict[str, str], agent: EcsAgent, *, push_image: bool) -> None:
    """Deploy, verify, cut over, roll back, refuse a broken version (and fix it), clean up."""
    banner("deploy the cluster, the app and version v1, and verify v1's health")
    step(web_version="v1", verify="true")
    banner("cut over to v1 (the listener answered 503 'no live version' until now)")
    step(web_version="v1", cutover="true")
    banner("deploy v2 beside v1 (it starts at v1's size), verify it, cut over")
    step(web_version="v2", verify="true", cutover="true")
    status(env)
    banner("roll back: v1 is still running, so this is one listener change")
    step(web_version="v2", rollback="true")
    banner("deploy a broken v3 (its image does not exist): verification starts its tasks, fails within "
           "seconds and says why")
    step(web_version="v3", verify="true", health_timeout_seconds="120", expect_failure=True)
    banner("v1 is still live; try to cut over to v3 anyway: refused")
    step(web_version="v3", cutover="true", health_timeout_seconds="120", expect_failure=True)
    status(env)
    if push_image:
        banner("push v3's image, then run the same build again: no extra flags, v3 is healthy")
        agent.broken.discard("web-v3")
        step(web_version="v3", verify="true", health_timeout_seconds="120")
    banner("clean up: delete versions that are neither live nor the previous live one (a version deployed "
           "since the live one went live is kept: a pipeline may be about to cut over to it)")
    step(web_version="v1", cleanup="true", cleanup_keep_last="0")
    banner("status after cleanup")
    status(env)


if __name__ == "__main__":
    main()
