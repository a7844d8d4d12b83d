"""`make demo` (``python -m scripts.demo``): the whole blue/green story, real stacker CLI, local AWS emulator.

Two apps, ``web`` and ``web-admin`` (on Fargate), in one environment, run as a platform team and
its app pipelines would: the platform's plain build (cluster and application stacks only); each
app's pipeline deploys, verifies and cuts over its own versions; web rolls back; a broken web v3
fails verification with a clear message while v1 stays live; web's cleanup; a plain build again
(nothing moves); web-admin torn down; status of both apps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3

from emulator.ecs_agent import EcsAgent
from emulator.seed import seed
from emulator.server import REGION, client_env, moto_server

ROOT = Path(__file__).resolve().parent.parent

BIN = Path(sys.executable).parent
CONFIG = ["config/dev.env", "config/stacker-Dev.yml"]
NAMESPACE = "ecs-dev"


def banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def run(args: list[str], env: dict[str, str], *, expect_failure: bool = False) -> None:
    """Run a command, showing it and its output; stop the demo if it does not end as expected."""
    print("$ " + " ".join(args), flush=True)
    code = subprocess.run(args, env=env, cwd=ROOT, check=False).returncode
    if expect_failure and code == 0:
        sys.exit("demo: this step should have failed, and did not")
    if not expect_failure and code != 0:
        sys.exit(f"demo: the step failed with exit status {code}")
    if expect_failure:
        print(f"(failed as expected, exit status {code})", flush=True)


def stacker(env: dict[str, str], world: dict[str, str], *settings: str, expect_failure: bool = False) -> None:
    """Run ``stacker build`` of the example config with the emulator's ids and ``settings``.

    With an ``app=`` setting it is that app's pipeline (``--targets pipeline``: only its version stack).
    """
    extra = [arg for key, value in world.items() for arg in ("-e", f"{key}={value}")]
    extra += [arg for setting in settings for arg in ("-e", setting)]
    if any(setting.startswith("app=") for setting in settings):
        extra += ["--targets", "pipeline"]
    run([str(BIN / "stacker"), "build", "-r", REGION, *extra, *CONFIG], env, expect_failure=expect_failure)


def release(env: dict[str, str], world: dict[str, str], app: str, version: str, *settings: str,
            expect_failure: bool = False) -> None:
    """An app pipeline's one command: deploy, verify and cut over one version of one app."""
    stacker(env, world, f"app={app}", f"version={version}", "deploy=true", "verify=true", "cutover=true", *settings,
            expect_failure=expect_failure)


def status(env: dict[str, str], app: str = "web") -> None:
    run([str(BIN / "stacker-ecs"), "--region", REGION, "status", app, "--namespace", NAMESPACE], env)


def main() -> None:
    """Run the story end to end."""
    demo_dir = ROOT / ".demo"
    with moto_server(pid_file=demo_dir / "moto.pid") as url:
        env = {**os.environ, **client_env(url)}
        os.environ.update(client_env(url))
        banner(f"local AWS emulator (moto_server) on {url}; seeding a VPC, a certificate and a hosted zone")
        world = seed(boto3.Session(region_name=REGION)).as_env()
        agent = EcsAgent(boto3.Session(region_name=REGION), broken={"web_v3"})
        with agent.running():
            banner("the platform's CD: a plain build creates the cluster and both apps' application stacks")
            stacker(env, world)
            banner("web's pipeline: deploy v1, verify it, cut over (until now its listener answered 503)")
            release(env, world, "web", "v1")
            banner("web-admin's pipeline (a hyphenated app, on Fargate): the same command, its own app only")
            release(env, world, "web-admin", "v1")
            banner("web's pipeline: v2 beside v1 (it starts at v1's size), verify, cut over; web-admin untouched")
            release(env, world, "web", "v2")
            status(env)
            status(env, "web-admin")
            banner("roll back web: v1 is still running, so this is one listener rule change")
            stacker(env, world, "app=web", "rollback=true")
            banner("web's pipeline deploys a broken v3 (its image does not exist): verification fails and says why")
            release(env, world, "web", "v3", "health_timeout_seconds=120", expect_failure=True)
            banner("v1 is still live; try to cut over to v3 anyway: refused")
            stacker(env, world, "app=web", "version=v3", "cutover=true", "health_timeout_seconds=120",
                    expect_failure=True)
            banner("clean up web: delete versions that are neither live nor the previous live one")
            stacker(env, world, "app=web", "cleanup=true", "cleanup_keep_last=0")
            banner("the platform's CD again: nothing to deploy, no traffic moves, no deleted version comes back")
            stacker(env, world)
            status(env)
            banner("remove web-admin: refused while a version is live, then forced (versions, rule, app stack)")
            stacker(env, world, "app=web-admin", "teardown=true", expect_failure=True)
            stacker(env, world, "app=web-admin", "teardown=true", "teardown_force=true")
        banner("outputs of the deployed stacks (stacker info)")
        run([str(BIN / "stacker"), "info", "-r", REGION,
             *[a for k, v in world.items() for a in ("-e", f"{k}={v}")], *CONFIG], env)
    banner("done; the emulator is stopped")


if __name__ == "__main__":
    main()
