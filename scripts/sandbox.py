"""`make sandbox`: the emulator's server, a seeded account and the ECS agent, to try the README by hand.

    python -m scripts.sandbox [--broken web:v3] [--fault web:v4:crash] [--traffic web]
                              [--errors web:v2:20] [--cpu web:v2:85:60]

Prints the environment to ``source`` (endpoint, fake credentials, stack poll times) and the seeded
ids as stacker ``-e`` settings, writes both to ``.sandbox/env``, then serves until Ctrl-C, which
stops the agent and the server (by its PID) and removes the file. docs/sandbox.md walks the quick start.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import boto3

from emulator.ecs_agent import FAULTS, EcsAgent
from emulator.seed import seed
from emulator.server import REGION, client_env, moto_server
from emulator.traffic import Traffic
from stacker_ecs.core import contract, naming

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".sandbox"
NAMESPACE = "ecs-dev"


def _split(value: str, parts: int, what: str) -> list[str]:
    fields = value.split(":")
    if len(fields) != parts or not all(fields):
        raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
    return fields


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the sandbox's options."""
    parser = argparse.ArgumentParser(prog="make sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--broken", action="append", default=[], metavar="APP:VERSION",
                        type=lambda v: _split(v, 2, "APP:VERSION"), help="a version whose image cannot be pulled")
    parser.add_argument("--fault", action="append", default=[], metavar="APP:VERSION:FAULT",
                        type=lambda v: _split(v, 3, "APP:VERSION:FAULT"),
                        help=f"another way a version goes wrong: {', '.join(FAULTS)}")
    parser.add_argument("--traffic", action="append", default=[], metavar="APP",
                        help="send requests to the app's live host (metrics per target group, once it is deployed)")
    parser.add_argument("--errors", action="append", default=[], metavar="APP:VERSION:PERCENT",
                        type=lambda v: _split(v, 3, "APP:VERSION:PERCENT"), help="a version answering this share 5xx")
    parser.add_argument("--cpu", action="append", default=[], metavar="APP:VERSION:CPU:MEMORY",
                        type=lambda v: _split(v, 4, "APP:VERSION:CPU:MEMORY"),
                        help="CPU and memory utilisation (%%) a version's service reports")
    args = parser.parse_args(argv)
    for _, _, fault in args.fault:
        if fault not in FAULTS:
            parser.error(f"--fault: {fault!r} is not one of {', '.join(FAULTS)}")
    return args


def environment(url: str, seeded: dict[str, str]) -> str:
    """Return the shell lines to ``source``, and the stacker settings of the seeded account."""
    env = {**client_env(url), "CFNGIN_STACK_POLL_TIME": "0"}
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    settings = " ".join(f"-e {k}={shlex.quote(v)}" for k, v in seeded.items())
    lines.append(f"export SANDBOX_SETTINGS={shlex.quote(settings)}")
    lines += [f"# {k}: {v}" for k, v in seeded.items()]
    return "\n".join(lines) + "\n"


class Extras:
    """Traffic and answers of apps and versions that exist only once the user deploys them."""

    def __init__(self, session: boto3.Session, args: argparse.Namespace) -> None:
        self.session, self.args = session, args
        self.traffic: dict[str, Traffic] = {}

    def sync(self) -> None:
        """Start traffic for apps now deployed, and set the answers of versions now deployed."""
        cfn = self.session.client("cloudformation")
        for app in self.args.traffic:
            if app not in self.traffic:
                with contextlib.suppress(Exception):
                    stack = cfn.describe_stacks(StackName=naming.application_stack(NAMESPACE, app))["Stacks"][0]
                    listener = contract.outputs_of(stack)[contract.LISTENER_ARN]
                    self.traffic[app] = Traffic(self.session, listener, period_seconds=60)
        for app, version, percent in self.args.errors:
            group = self._group(cfn, app, version)
            if group and app in self.traffic:
                self.traffic[app].answer(group, error_percent=float(percent))
        for traffic in self.traffic.values():
            traffic.sync()

    @staticmethod
    def _group(cfn: Any, app: str, version: str) -> str | None:
        with contextlib.suppress(Exception):
            stack = cfn.describe_stacks(StackName=naming.version_stack(NAMESPACE, app, version))["Stacks"][0]
            return contract.outputs_of(stack).get(contract.TARGET_GROUP_ARN)
        return None


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox until Ctrl-C."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    broken = {naming.service_name(a, v) for a, v in args.broken}
    with moto_server(pid_file=STATE / "server.pid",
                     extra_env={"EMULATOR_UNSTARTABLE_SERVICES": ",".join(sorted(broken))}) as url:
        os.environ.update(client_env(url))  # every boto3 session of this process talks to the sandbox
        seeded = seed(boto3.Session(region_name=REGION)).as_env()
        faults = {naming.service_name(a, v): f for a, v, f in args.fault}
        metrics = {naming.service_name(a, v): (float(c), float(m)) for a, v, c, m in args.cpu}
        agent = EcsAgent(boto3.Session(region_name=REGION), broken=broken, faults=faults, service_metrics=metrics)
        text = environment(url, seeded)
        (STATE / "env").write_text(text)
        print(text + f"# written to {STATE / 'env'}: run `source .sandbox/env`, then docs/sandbox.md's commands",
              flush=True)
        extras = Extras(boto3.Session(region_name=REGION), args)
        stop = threading.Event()
        try:
            with agent.running(interval_seconds=0.5):
                print("sandbox ready; Ctrl-C stops it", file=sys.stderr, flush=True)
                while not stop.wait(1.0):
                    with contextlib.suppress(Exception):  # the server may be busy; the next pass catches up
                        extras.sync()
        except KeyboardInterrupt:
            print("\nstopping the sandbox", file=sys.stderr)
        finally:
            (STATE / "env").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
