"""``stacker-ecs``: the lifecycle operations outside a stacker build.

    stacker-ecs status   <app> --namespace ecs-dev
    stacker-ecs verify   <app> <version> --namespace ecs-dev [--expected-count N] [--timeout-seconds S]
    stacker-ecs cutover  <app> <version> --namespace ecs-dev [--dry-run] [--force]
                         [--steps-percent 10 50 --bake-seconds 300 --alarm-name ALARM ...]
    stacker-ecs rollback <app> --namespace ecs-dev [--dry-run]
    stacker-ecs unlock   <app> --namespace ecs-dev
    stacker-ecs cleanup  <app> --namespace ecs-dev [--keep-last N] [--older-than-hours H]
                         [--exclude PATTERN ...] [--keep-previous | --no-keep-previous] [--dry-run]
    stacker-ecs teardown <app> --namespace ecs-dev [--force] [--dry-run]
    stacker-ecs teardown-environment --namespace ecs-dev [--force] [--dry-run]

Every option is a field of the operation's argument model (the hook's ``args``), with the model's
default and help. Exit status: 0 done, 1 refused or failed (the message says why and what to do),
2 bad arguments. Anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from stacker_ecs.core.aws import context_for
from stacker_ecs.core.errors import ConfigError, StackerEcsError
from stacker_ecs.core.model import Args, parse
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.queries import AppQuery
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.status import describe_app, format_app
from stacker_ecs.core.ops.teardown import TeardownArgs, TeardownEnvironmentArgs, teardown, teardown_environment
from stacker_ecs.core.ops.unlock import unlock
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from stacker_ecs.core.ops.wait import Clock

POSITIONAL = ("app", "version")
# A repeatable option reads better in the singular: --alarm-name A --alarm-name B.
FLAG_NAMES = {"alarm_names": "--alarm-name"}


def _status(aws: Any, args: AppQuery) -> str:
    return format_app(describe_app(aws, args.namespace, args.app))


def _unlock(aws: Any, args: AppQuery) -> dict[str, Any]:
    return unlock(aws, args.namespace, args.app)


COMMANDS: dict[str, tuple[str, type[Args], Callable[..., Any]]] = {
    "status": ("print a table of the app's versions, their traffic, a canary under way and the lease holder",
               AppQuery, _status),
    "unlock": ("break the app's leases when their holder is gone (a killed pipeline)", AppQuery, _unlock),
    "verify": ("wait until a version has its healthy targets", VerifyHealthArgs, verify_health),
    "cutover": ("make a version live", CutoverArgs, cutover),
    "rollback": ("make the previous live version live again, or abort a canary under way", RollbackArgs, rollback),
    "cleanup": ("delete version stacks that are not live", CleanupArgs, cleanup),
    "teardown": ("delete the app: its live rule, every version stack, its application stack", TeardownArgs,
                 teardown),
    "teardown-environment": ("tear down every app, then the cluster stack", TeardownEnvironmentArgs,
                             teardown_environment),
}


def _add_field(parser: argparse.ArgumentParser, name: str, field: Any) -> None:
    """Add the option (or positional) of one model field; values are judged by the model, not here."""
    help_text = (field.description or "").replace("%", "%%") or None
    if name in POSITIONAL:
        parser.add_argument(name, help=help_text)
        return
    flag = FLAG_NAMES.get(name, "--" + name.replace("_", "-"))
    kind = typing.get_origin(field.annotation) or field.annotation
    options: dict[str, Any] = {"dest": name, "help": help_text}
    if field.is_required():
        options["required"] = True
    else:
        options["default"] = argparse.SUPPRESS  # the model's default applies
    if kind is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif kind is list and typing.get_args(field.annotation) == (str,):
        options.update(action="append", metavar=flag.removeprefix("--").upper())
    elif kind is list:
        options.update(nargs="+", metavar="N")
    parser.add_argument(flag, **options)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand, built from the argument models."""
    parser = argparse.ArgumentParser(prog="stacker-ecs", description="Blue/green ECS lifecycle operations.")
    parser.add_argument("--region", help="AWS region (default: the AWS SDK's default chain)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, (help_text, model, _) in COMMANDS.items():
        sub = commands.add_parser(command, help=help_text, description=help_text)
        fields = model.model_fields
        for name in [n for n in POSITIONAL if n in fields] + [n for n in fields if n not in POSITIONAL]:
            _add_field(sub, name, fields[name])
    return parser


def run(options: argparse.Namespace, session: boto3.Session, clock: Clock | None = None) -> str:
    """Run the chosen operation and return what to print; bad values raise :class:`ConfigError`."""
    _, model, operation = COMMANDS[options.command]
    values = {k: v for k, v in vars(options).items() if k not in ("command", "region")}
    args = parse(model, values, where="")  # main() names the command
    result = operation(context_for(session, args, clock), args)
    return result if isinstance(result, str) else json.dumps(result, indent=2, default=str)


class _ProgressHandler(logging.StreamHandler):
    """Prints progress messages as they are, one a line."""

    def __init__(self, stream: object) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter("%(message)s"))


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point of the ``stacker-ecs`` command (``clock``: tests pass a fake one)."""
    options = build_parser().parse_args(argv)
    # Our progress lines only, on this run's stderr; the libraries' loggers stay quiet.
    progress = logging.getLogger("stacker_ecs")
    for old in [h for h in progress.handlers if isinstance(h, _ProgressHandler)]:
        progress.removeHandler(old)
    progress.addHandler(_ProgressHandler(sys.stderr))
    progress.setLevel(logging.INFO)
    try:
        print(run(options, boto3.Session(region_name=options.region), clock))
    except ConfigError as exc:
        print(f"stacker-ecs {options.command}: {exc}", file=sys.stderr)
        return 2
    except StackerEcsError as exc:
        print(f"stacker-ecs {options.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
