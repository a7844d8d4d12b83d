"""``stacker-ecs``: the lifecycle operations outside an engine's run.

    stacker-ecs status   <app> --namespace ecs-dev      (or --all: every app of the namespace)
    stacker-ecs history  <app> --namespace ecs-dev [--limit N]
    stacker-ecs verify   <app> <version> --namespace ecs-dev [--expected-count N] [--timeout-seconds S]
    stacker-ecs cutover  <app> <version> --namespace ecs-dev [--dry-run] [--force]
                         [--steps-percent 10 50 --bake-seconds 300 --alarm-name ALARM ...]
    stacker-ecs rollback <app> --namespace ecs-dev [--dry-run]
    stacker-ecs unlock   <app> --namespace ecs-dev
    stacker-ecs cleanup  <app> --namespace ecs-dev [--keep-last N] [--older-than-hours H] [--dry-run] ...
    stacker-ecs teardown <app> --namespace ecs-dev [--force] [--dry-run]
    stacker-ecs teardown-environment --namespace ecs-dev [--force] [--dry-run]
    stacker-ecs diagnose <app> [<version>] --namespace ecs-dev [--log-lines N]
    stacker-ecs adopt <app> --namespace ecs-dev [--version V ...] [--dry-run]
    stacker-ecs iam-policy [<app>] --principal platform|pipeline --namespace ecs-dev [--engine sceptre]

Every option is a field of the operation's argument model (the hook's ``args``), with the model's
default and help (``docs/reference.md`` lists them). ``--output json`` prints one JSON document on
stdout (logs stay on stderr). Exit status: :class:`ExitStatus`. Anything else is a bug and shows
its traceback. Only the chosen command's modules are imported: most of a command's start-up is
boto3's and pydantic's imports (``make bench``; ``docs/bench.md``).
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import importlib
import json
import logging
import os
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

if typing.TYPE_CHECKING:
    import boto3

    from stacker_ecs.core.ops.wait import Clock

# stacker-ecs uses no pydantic plugin: pydantic's documented switch skips its scan of every installed
# package's entry points at the first model (about a fifth of a command's start-up).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

POSITIONAL = ("app", "version")
# A repeatable option reads better in the singular: --alarm-name A --alarm-name B.
FLAG_NAMES = {"alarm_names": "--alarm-name", "metric_checks": "--metric-check", "versions": "--version",
              "all_apps": "--all"}
OPS = "stacker_ecs.core.ops."


class ExitStatus(enum.IntEnum):
    """What ``stacker-ecs`` exits with."""

    DONE = 0
    """The operation did what was asked (or found nothing to do, and says so)."""
    FAILED = 1
    """Refused or failed: the message says why and what to do; nothing is left half-done."""
    BAD_ARGUMENTS = 2
    """An argument is missing or malformed; nothing was read or changed."""
    ROLLED_BACK = 3
    """A stepped cutover was ended by an alarm or a metric: all traffic is back on the version live before it."""
    PAUSED = 4
    """A stepped cutover holds its share at a pause: `stacker-ecs promote <app>` continues it, `abort` restores."""


@dataclass(frozen=True)
class Command:
    """A subcommand: its help, where its arguments' model and its operation live, and its text output."""

    help: str
    model: str
    """``module:Class`` of its arguments."""
    operation: str
    """``module:function(aws, args)``."""
    text: str = ""
    """``module:function(result) -> str`` for the text output; default: the result as indented JSON."""


COMMANDS: dict[str, Command] = {
    "status": Command("print a table of the app's versions, their traffic, a canary under way and the lease holder",
                      OPS + "status:StatusArgs", OPS + "status:status", OPS + "status:format_app"),
    "unlock": Command("break the app's leases when their holder is gone (a killed pipeline)",
                      OPS + "lookups:AppQuery", OPS + "unlock:unlock"),
    "verify": Command("wait until a version has its healthy targets", OPS + "verify:VerifyHealthArgs",
                      OPS + "verify:verify_health"),
    "cutover": Command("make a version live", OPS + "cutover:CutoverArgs", OPS + "cutover:cutover"),
    "rollback": Command("make the previous live version live again, or abort a canary under way",
                        OPS + "rollback:RollbackArgs", OPS + "rollback:rollback"),
    "cleanup": Command("delete version stacks that are not live", OPS + "cleanup:CleanupArgs", OPS + "cleanup:cleanup"),
    "teardown": Command("delete the app: its live rule, every version stack, its application stack",
                        OPS + "teardown:TeardownArgs", OPS + "teardown:teardown"),
    "teardown-environment": Command("tear down every app, then the cluster stack",
                                    OPS + "teardown:TeardownEnvironmentArgs", OPS + "teardown:teardown_environment"),
    "promote": Command("continue a paused canary to its next step (alarms and metrics read at every later step)",
                       OPS + "gates:GateArgs", OPS + "gates:promote"),
    "abort": Command("abort a canary under way (paused or running): all traffic back on the version live before it",
                     OPS + "gates:GateArgs", OPS + "gates:abort"),
    "diagnose": Command("walk the troubleshooting checklist for a version: the most likely cause first, with its fix",
                        OPS + "diagnose:DiagnoseArgs", OPS + "diagnose:diagnose",
                        OPS + "diagnose_findings:format_diagnosis"),
    "adopt": Command("tag the app's stacks made before the app tag (or by hand), once, so cleanup and teardown "
                     "find them", OPS + "adopt:AdoptArgs", OPS + "adopt:adopt"),
    "history": Command("print the app's history, newest first: who did what, when, the outcome and the traffic",
                       OPS + "history:HistoryQuery", OPS + "history:history", OPS + "history:format_history"),
    "iam-policy": Command("print the least-privilege IAM policy of the platform's CD or an app's pipeline "
                          "(docs/iam.md says why each permission is needed)",
                          "stacker_ecs.core.iam_policy:IamPolicyArgs", "stacker_ecs.core.iam_policy:iam_policy"),
}
"""Subcommand -> what it runs. Adding a command is one line here."""


def load(path: str) -> Any:
    """Return the object ``module:name`` names (imports its module)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _add_field(parser: argparse.ArgumentParser, name: str, field: Any, doc: str) -> None:
    """Add the option (or positional) of one model field; values are judged by the model, not here."""
    help_text = doc.replace("%", "%%") or None
    if name in POSITIONAL:
        optional = {} if field.is_required() else {"nargs": "?", "default": argparse.SUPPRESS}
        parser.add_argument(name, help=help_text, **optional)
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


def build_parser(only: str | None = None, *, with_help: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser; each subcommand's options come from its model (only ``only``'s when given).

    ``with_help=False`` leaves the options' help out: the fields' docstrings are read from the source
    (:func:`field_docs`), a tenth of a command's start-up, and only ``--help`` prints them.
    """
    parser = argparse.ArgumentParser(prog="stacker-ecs", description="Blue/green ECS lifecycle operations.")
    parser.add_argument("--region", help="AWS region (default: the AWS SDK's default chain)")
    parser.add_argument("--output", choices=("text", "json"), default="text",
                        help="text (default), or one JSON document on stdout (docs/reference.md has its schema)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        if only in (None, name):
            from stacker_ecs.core.model import field_docs

            model = load(command.model)
            fields, docs = model.model_fields, field_docs(model) if with_help else {}
            for field in [n for n in POSITIONAL if n in fields] + [n for n in fields if n not in POSITIONAL]:
                _add_field(sub, field, fields[field], docs.get(field, ""))
    return parser


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Return the parsed command line: only the chosen command's model is imported, its help only for ``--help``."""
    wants_help = any(arg in ("-h", "--help") for arg in argv)
    return build_parser(_chosen(argv), with_help=wants_help).parse_args(argv)


def arguments(options: argparse.Namespace) -> Any:
    """Return the chosen command's arguments, validated by its model; bad values raise :class:`ConfigError`."""
    from stacker_ecs.core.model import parse

    values = {k: v for k, v in vars(options).items() if k not in ("command", "region", "output")}
    return parse(load(COMMANDS[options.command].model), values, where="")  # main() names the command


def run(options: argparse.Namespace, session: boto3.Session, clock: Clock | None = None) -> Any:
    """Run the chosen operation and return its result; bad values raise :class:`ConfigError`."""
    from stacker_ecs.core.aws import context_for

    args = arguments(options)
    return load(COMMANDS[options.command].operation)(context_for(session, args, clock), args)


def render(command: str, result: Any, output: str) -> str:
    """Return what to print of ``result``: the command's text, or one JSON document."""
    if output == "json":
        status = ExitStatus.PAUSED if isinstance(result, dict) and result.get("paused") else ExitStatus.DONE
        return json.dumps({"command": command, "ok": True, "exit_status": int(status), "result": _plain(result)},
                          default=str)
    text = COMMANDS[command].text
    return load(text)(result) if text else json.dumps(_plain(result), indent=2, default=str)


def _plain(result: Any) -> Any:
    return dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result


class _ProgressHandler(logging.StreamHandler):
    """Prints progress messages as they are, one a line."""

    def __init__(self, stream: object) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter("%(message)s"))


def _chosen(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point of the ``stacker-ecs`` command (``clock``: tests pass a fake one)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options = parse_arguments(argv)
    # Our progress lines only, on this run's stderr; the libraries' loggers stay quiet.
    progress = logging.getLogger("stacker_ecs")
    for old in [h for h in progress.handlers if isinstance(h, _ProgressHandler)]:
        progress.removeHandler(old)
    progress.addHandler(_ProgressHandler(sys.stderr))
    progress.setLevel(logging.INFO)
    import boto3

    from stacker_ecs.core.errors import CanaryRolledBackError, ConfigError, StackerEcsError

    try:
        result = run(options, boto3.Session(region_name=options.region), clock)
        print(render(options.command, result, options.output))
    except StackerEcsError as exc:
        status = (ExitStatus.BAD_ARGUMENTS if isinstance(exc, ConfigError) else
                  ExitStatus.ROLLED_BACK if isinstance(exc, CanaryRolledBackError) else ExitStatus.FAILED)
        print(f"stacker-ecs {options.command}: {exc}", file=sys.stderr)
        if options.output == "json":
            print(json.dumps({"command": options.command, "ok": False, "exit_status": int(status),
                              "error": {"kind": type(exc).__name__, "message": str(exc)}}))
        return int(status)
    paused = isinstance(result, dict) and result.get("paused")
    return int(ExitStatus.PAUSED if paused else ExitStatus.DONE)


def console_main() -> None:
    """The ``stacker-ecs`` console script: :func:`main`, then the end of the process without the interpreter's
    teardown (:mod:`stacker_ecs.process_exit`); in-process callers (tests) call :func:`main`."""
    from stacker_ecs.process_exit import run_and_exit

    run_and_exit(main)


if __name__ == "__main__":
    console_main()
