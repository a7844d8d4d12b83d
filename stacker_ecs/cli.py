"""``stacker-ecs``: the lifecycle operations outside a stacker build.

    stacker-ecs status   <app> --namespace ecs-dev
    stacker-ecs cutover  <app> <version> --namespace ecs-dev [--dry-run] [--force]
                         [--steps-percent 10 50 --bake-seconds 300 --alarm-name ALARM ...]
    stacker-ecs rollback <app> --namespace ecs-dev [--dry-run]
    stacker-ecs cleanup  <app> --namespace ecs-dev [--keep-last N] [--older-than-hours H]
                         [--exclude PATTERN ...] [--keep-previous | --no-keep-previous] [--dry-run]
    stacker-ecs teardown <app> --namespace ecs-dev [--force] [--dry-run]
    stacker-ecs teardown-environment --namespace ecs-dev [--force] [--dry-run]

Exit status: 0 done, 1 refused or failed (the message says why and what to do), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

import boto3

from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.status import describe_status, format_status
from stacker_ecs.core.ops.teardown import TeardownArgs, teardown, teardown_environment
from stacker_ecs.core.validation import check_name


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="stacker-ecs", description="Blue/green ECS lifecycle operations.")
    parser.add_argument("--region", help="AWS region (default: the AWS SDK's default chain)")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, *, version: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("app")
        if version:
            sub.add_argument("version")
        sub.add_argument("--namespace", required=True, help="stacker namespace of the environment, e.g. ecs-dev")
        return sub

    command("status", "print a table of the app's versions")
    cut = command("cutover", "make a version live", version=True)
    for sub in (cut, command("rollback", "make the previous live version live again")):
        sub.add_argument("--timeout-seconds", type=float, default=600)
        sub.add_argument("--force", action="store_true", help="switch even if not healthy")
        sub.add_argument("--dry-run", action="store_true")
    cut.add_argument("--steps-percent", type=int, nargs="+", default=[], metavar="PERCENT",
                     help="shift traffic in these steps first, e.g. 10 50")
    cut.add_argument("--bake-seconds", type=float, default=300, help="how long each step runs")
    cut.add_argument("--alarm-name", dest="alarm_names", action="append", default=[], metavar="ALARM",
                     help="CloudWatch alarm that stops a stepped cutover (repeatable)")
    clean = command("cleanup", "delete version stacks that are not live")
    clean.add_argument("--keep-last", type=int, default=0)
    clean.add_argument("--older-than-hours", type=float, default=0)
    clean.add_argument("--exclude", action="append", default=[], metavar="PATTERN")
    clean.add_argument("--keep-previous", action=argparse.BooleanOptionalAction, default=True)
    clean.add_argument("--dry-run", action="store_true")
    down = command("teardown", "delete the app: its live rule, every version stack, its application stack")
    environment = commands.add_parser("teardown-environment", help="tear down every app, then the cluster stack")
    environment.add_argument("--namespace", required=True, help="stacker namespace of the environment")
    for sub in (down, environment):
        sub.add_argument("--force", action="store_true", help="go ahead even while a version is live")
        sub.add_argument("--dry-run", action="store_true")
    return parser


def run(options: argparse.Namespace, session: boto3.Session) -> str:
    """Run the chosen operation and return what to print."""
    values: dict[str, Any] = {k: v for k, v in vars(options).items() if k not in ("command", "region")}
    where = ""  # main() names the command
    if options.command == "teardown-environment":
        result = teardown_environment(session, options.namespace, force=options.force, dry_run=options.dry_run)
        return json.dumps(result, indent=2, default=str)
    if options.command == "status":
        return format_status(describe_status(session, options.namespace, check_name("app", options.app)))
    if options.command == "cutover":
        result = cutover(session, parse(CutoverArgs, values, where=where))
    elif options.command == "rollback":
        result = rollback(session, parse(RollbackArgs, values, where=where))
    elif options.command == "teardown":
        result = teardown(session, parse(TeardownArgs, values, where=where))
    else:
        result = cleanup(session, parse(CleanupArgs, values, where=where))
    return json.dumps(result, indent=2, default=str)


class _ProgressHandler(logging.StreamHandler):
    """Prints progress messages as they are, one a line."""

    def __init__(self, stream: object) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter("%(message)s"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stacker-ecs`` command."""
    options = build_parser().parse_args(argv)
    # Our progress lines only, on this run's stderr; the libraries' loggers stay quiet.
    progress = logging.getLogger("stacker_ecs")
    for old in [h for h in progress.handlers if isinstance(h, _ProgressHandler)]:
        progress.removeHandler(old)
    progress.addHandler(_ProgressHandler(sys.stderr))
    progress.setLevel(logging.INFO)
    try:
        print(run(options, boto3.Session(region_name=options.region)))
    except (StackerEcsError, ValueError) as exc:
        print(f"stacker-ecs {options.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
