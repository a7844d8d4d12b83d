"""`make demo` (``python -m scripts.demo``): the whole blue/green story, real stacker CLI, local AWS emulator.

cluster and app; deploy v1, verify, cut over; deploy v2, verify, cut over; roll back to v1; deploy
a broken v3 (its image does not exist) that fails verification with a clear message while v1 stays
live, on the path AWS takes (the stack completes at 0 tasks, the hook starts them and names the
cause); push the image and run the same build again; clean up; status.
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
    """Run ``stacker build`` of the example config with the emulator's ids and ``settings``."""
    extra = [arg for key, value in world.items() for arg in ("-e", f"{key}={value}")]
    extra += [arg for setting in settings for arg in ("-e", setting)]
    run([str(BIN / "stacker"), "build", "-r", REGION, *extra, *CONFIG], env, expect_failure=expect_failure)


def status(env: dict[str, str]) -> None:
    run([str(BIN / "stacker-ecs"), "--region", REGION, "status", "web", "--namespace", NAMESPACE], env)


def main() -> None:
    """Run the story end to end."""
    demo_dir = ROOT / ".demo"
    # The emulator fails like AWS (emulator.aws_like): a stack creating web-v3 with tasks would roll back.
    with moto_server(pid_file=demo_dir / "moto.pid", extra_env={"EMULATOR_UNSTARTABLE_SERVICES": "web-v3"}) as url:
        env = {**os.environ, **client_env(url)}
        os.environ.update(client_env(url))
        banner(f"local AWS emulator (moto_server) on {url}; seeding a VPC, a certificate and a hosted zone")
        world = seed(boto3.Session(region_name=REGION)).as_env()
        agent = EcsAgent(boto3.Session(region_name=REGION), broken={"web-v3"})
        with agent.running():
            banner("deploy the cluster, the app and version v1, and verify v1's health")
            stacker(env, world, "web_version=v1", "verify=true")
            banner("cut over to v1 (the listener answered 503 'no live version' until now)")
            stacker(env, world, "web_version=v1", "cutover=true")
            banner("deploy v2 beside v1 (it starts at v1's size), verify it, cut over")
            stacker(env, world, "web_version=v2", "verify=true", "cutover=true")
            status(env)
            banner("roll back: v1 is still running, so this is one listener change")
            stacker(env, world, "web_version=v2", "rollback=true")
            banner("deploy a broken v3 (its image does not exist): the stack completes at 0 tasks, and "
                   "verification starts its tasks, fails within seconds and says why")
            stacker(env, world, "web_version=v3", "verify=true", "health_timeout_seconds=120",
                    expect_failure=True)
            banner("v1 is still live; try to cut over to v3 anyway: refused")
            stacker(env, world, "web_version=v3", "cutover=true", "health_timeout_seconds=120",
                    expect_failure=True)
            status(env)
            banner("push v3's image, then run the same build again: no extra flags, v3 is healthy")
            agent.broken.discard("web-v3")
            stacker(env, world, "web_version=v3", "verify=true", "health_timeout_seconds=120")
            banner("clean up: delete versions that are neither live nor the previous live one")
            stacker(env, world, "web_version=v1", "cleanup=true", "cleanup_keep_last=0")
            banner("status after cleanup")
            status(env)
        banner("outputs of the deployed stacks (stacker info)")
        run([str(BIN / "stacker"), "info", "-r", REGION,
             *[a for k, v in world.items() for a in ("-e", f"{k}={v}")], "-e", "web_version=v1", *CONFIG], env)
    banner("done; the emulator is stopped")


if __name__ == "__main__":
    main()
