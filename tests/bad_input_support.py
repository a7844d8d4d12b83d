"""What tests/test_bad_input_table.py needs: a deployed world, one runner per input surface, the docs table.

Every runner performs one attempt and returns an :class:`Outcome` (was it refused, how, with what
message); the table's test wraps the attempt in :class:`emulator.calls.EveryCall` and checks that
no mutating AWS call was made. The runners call the real entry points: the ``stacker`` CLI
in-process (``Stacker().parse_args/configure/run``, as ``.venv/bin/stacker`` does), the hook
functions as stacker calls them, the lookup handlers' ``handle``, and ``stacker_ecs.cli.main``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import yaml
from stacker.commands import Stacker
from stacker.logger import setup_logging

from emulator.ecs_agent import EcsAgent
from emulator.world import ExampleWorld
from stacker_ecs import cli, hooks
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.lookups import RulePriorityQuery, find_rule_priority
from stacker_ecs.core.ops.wait import Clock

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
NAMESPACE = "ecs-dev"
NEW_VERSION = "v3"
TASK_DEFINITION_FILE = str(ROOT / "config" / "apps" / "web" / "ecs.json")
SUMMARY_CHARS = 160

# What stacker passes to hooks and lookups: the provider's region and the config's namespace.
PROVIDER = SimpleNamespace(region=REGION)
CONTEXT = SimpleNamespace(namespace=NAMESPACE)

# The one stack of the stacker runs: a new version of "web", every value from the environment file.
VERSION_VARIABLES: dict[str, Any] = {
    "App": "web",
    "Version": "${version}",
    "Environment": "${environment}",
    "ClusterName": "${cluster_name}",
    "VpcId": "${vpc_id}",
    "LogGroupName": "${log_group_name}",
    "ListenerArn": "${listener_arn}",
    "Domain": "${domain}",
    "RulePriority": "${rule_priority}",
    "DesiredCount": "${first_desired_count}",
    "TaskDefinitionFile": TASK_DEFINITION_FILE,
    "HealthCheckPath": "${health_check_path}",
    "Sources": "${ecs_sources web}",
}
VERSION_STACK = "app-web-V-${version}"


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"the bad-input table never waits (asked to sleep {seconds}s)")


@dataclass(frozen=True)
class Deployed:
    """An account where ``web`` has ``v1`` live and ``v2`` deployed beside it, both healthy."""

    session: boto3.Session
    world: ExampleWorld
    rule_priority: int
    """A free rule priority for ``v3``, the version the stacker runs deploy."""

    @classmethod
    def create(cls, session: boto3.Session) -> Deployed:
        """Deploy the cluster, ``web``, ``v1`` (made live) and ``v2``; call inside ``mock_aws``."""
        world = ExampleWorld.create(session)
        world.add_app("web")
        world.add_version("v1")
        world.add_version("v2")
        EcsAgent(session).sync()
        cutover(AwsContext.create(session, clock=Clock(sleep=_no_sleep)),
                CutoverArgs(app="web", version="v1", namespace=NAMESPACE))
        priority = find_rule_priority(AwsContext.create(session),
                                      RulePriorityQuery(app="web", namespace=NAMESPACE, version=NEW_VERSION))
        return cls(session=session, world=world, rule_priority=priority)

    def environment(self) -> dict[str, str]:
        """Return a valid environment file's values for deploying ``v3`` (the world's real ids)."""
        app = self.world.apps["web"]
        return {
            "namespace": NAMESPACE,
            "environment": "dev",
            "version": NEW_VERSION,
            "cluster_name": self.world.cluster["ClusterName"],
            "vpc_id": self.world.cluster["VpcId"],
            "log_group_name": self.world.cluster["LogGroupName"],
            "listener_arn": app["ListenerArn"],
            "domain": app["Domain"],
            "rule_priority": str(self.rule_priority),
            "first_desired_count": "1",
            "health_check_path": "/health",
        }


@dataclass(frozen=True)
class Scene:
    """What one attempt runs in: the deployed account, a directory of its own, captured output."""

    deployed: Deployed
    tmp_path: Path
    capsys: pytest.CaptureFixture[str]


@dataclass(frozen=True)
class Outcome:
    """What one attempt did."""

    refused: bool
    how: str
    """How it ended, e.g. ``stacker build exits 1``, ``hook returns False``, ``raises ConfigError``."""
    message: str


def summary(message: str) -> str:
    """Return the message on one line (whitespace collapsed), cut to about 160 characters."""
    line = " ".join(message.split())
    return line if len(line) <= SUMMARY_CHARS else line[:SUMMARY_CHARS - 1].rstrip() + "…"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR]


@contextlib.contextmanager
def _captured_logs() -> Iterator[_Records]:
    """Capture every log record; undo what stacker's ``setup_logging`` and ``cancel`` install globally."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("botocore").level,
             {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)})
    handler = _Records()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("botocore").setLevel(saved[2])
        for signum, previous in saved[3].items():
            signal.signal(signum, previous)


def version_config(stack_name: str, variables: dict[str, Any]) -> str:
    """Return a stacker config holding exactly one version stack."""
    return yaml.safe_dump({
        "namespace": "${namespace}",
        "stacker_bucket": "",
        "lookups": {"ecs_sources": "stacker_ecs.lookups.SourcesLookup"},
        "stacks": [{"name": stack_name, "class_path": "stacker_ecs.blueprints.version.Version",
                    "variables": variables}],
    }, sort_keys=False)


def _run_stacker(argv: list[str]) -> int:
    command = Stacker(setup_logging=setup_logging)
    args = command.parse_args(argv)
    try:
        command.configure(args)
        args.run(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        args.config.close()
    return 0


def stacker_build(env: dict[str, str] | None = None, *, drop: tuple[str, ...] = (),
                  variables: dict[str, Any] | None = None, remove: tuple[str, ...] = (),
                  stack_name: str = VERSION_STACK) -> Callable[[Scene], Outcome]:
    """Return an attempt: ``stacker build`` of one version stack, with the environment and variables changed."""

    def attempt(scene: Scene) -> Outcome:
        values = {k: v for k, v in {**scene.deployed.environment(), **(env or {})}.items() if k not in drop}
        stack_variables = {k: v for k, v in {**VERSION_VARIABLES, **(variables or {})}.items() if k not in remove}
        env_path = scene.tmp_path / "dev.env"
        env_path.write_text("".join(f"{key}: {value}\n" for key, value in values.items()))
        config_path = scene.tmp_path / "stacker.yml"
        config_path.write_text(version_config(stack_name, stack_variables))
        with _captured_logs() as logs:
            try:
                code = _run_stacker(["build", "-r", REGION, str(env_path), str(config_path)])
            except Exception as exc:  # stacker refuses a bad config by raising, before any step runs
                return Outcome(True, f"stacker raises {type(exc).__name__}", str(exc))
        errors = [m for m in logs.errors() if not m.startswith("The following steps failed")]
        return Outcome(code != 0, f"stacker build exits {code}", errors[0] if errors else "")

    return attempt


def _aimed_at(attempt: Callable[[Scene], Outcome], entry: str) -> Callable[[Scene], Outcome]:
    """Name on ``attempt`` the hook, lookup class or CLI command it gives input to (:func:`entry_of`)."""
    attempt.entry = entry  # type: ignore[attr-defined]
    return attempt


def entry_of(attempt: Callable[[Scene], Outcome]) -> str | None:
    """Return the hook, lookup class or CLI command ``attempt`` gives input to (None: a ``stacker build``)."""
    return getattr(attempt, "entry", None)


def hook(name: str, **args: Any) -> Callable[[Scene], Outcome]:
    """Return an attempt: call ``stacker_ecs.hooks.<name>`` as stacker does, with ``args``."""

    def attempt(_: Scene) -> Outcome:
        with _captured_logs() as logs:
            result = getattr(hooks, name)(provider=PROVIDER, context=CONTEXT, **args)
        errors = logs.errors()
        refused = result is False and len(errors) == 1  # stacker logs nothing more: one line says it all
        return Outcome(refused, "hook returns False" if result is False else f"hook returns {result!r}",
                       "\n".join(errors))

    return _aimed_at(attempt, name)


def lookup(handler: Any, query: str) -> Callable[[Scene], Outcome]:
    """Return an attempt: resolve ``${<lookup> query}`` with the handler stacker registered."""

    def attempt(_: Scene) -> Outcome:
        try:
            value = handler.handle(query, context=CONTEXT, provider=PROVIDER)
        except StackerEcsError as exc:
            return Outcome(True, f"raises {type(exc).__name__}", str(exc))
        return Outcome(False, f"returns {value!r}", "")

    return _aimed_at(attempt, handler.__name__)


def stacker_ecs(*argv: str) -> Callable[[Scene], Outcome]:
    """Return an attempt: run ``stacker-ecs --region us-east-1 argv``; the message is its stderr."""

    def attempt(scene: Scene) -> Outcome:
        scene.capsys.readouterr()
        try:
            code = cli.main(["--region", REGION, *argv])
        except SystemExit as exc:  # argparse: bad arguments
            code = int(exc.code or 0)
        out, err = scene.capsys.readouterr()
        lines = err.strip().splitlines()
        errors = [line for line in lines if ": error: " in line]  # argparse: its error line, then the usage
        message = "\n".join(errors + [line for line in lines if line not in errors])
        return Outcome(code in (1, 2) and not out, f"exit {code}", message)

    return _aimed_at(attempt, argv[0] if argv else "")


@dataclass(frozen=True)
class Row:
    """One bad input: where it is given, what it is, how to give it, and what the refusal must say."""

    id: str
    surface: str
    bad_input: str
    """A short human description (Markdown) of the bad input."""
    attempt: Callable[[Scene], Outcome]
    names: tuple[str, ...]
    """Fragments the message must contain: the field or variable, and the fix."""
    refused_as: str
    """How the attempt ends (:attr:`Outcome.how`)."""
    says: str
    """The message as :func:`summary` shows it (captured from a run); a trailing '…' cuts off volatile text."""


SURFACES = ("env file", "blueprint variable", "hook argument", "lookup argument", "CLI")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: list[Row]) -> str:
    """Return docs/bad-input.md for ``rows``."""
    lines = [
        "# Bad input: refused before any AWS change",
        "",
        "<!-- Generated from the table in tests/test_bad_input_table.py; do not edit by hand. -->",
        "<!-- Regenerate with: UPDATE_DOCS=1 make test -->",
        "",
        "Every row is a test (`tests/test_bad_input_table.py`). In an emulated account where `web` has `v1` "
        "live and `v2` deployed beside it, the bad input goes through the real entry point: `stacker build` "
        "(in-process) of a config holding only the version stack `app-web-V-${version}` for environment "
        "files and blueprint variables, the hook and lookup functions as stacker calls them, and the "
        "`stacker-ecs` CLI. The test asserts that the input is refused as the row says, that the message "
        "contains every *must contain* fragment (the field and the fix), and that no mutating AWS call "
        "(anything but `Describe*`, `List*`, `Get*`) was made.",
        "",
        f"Messages are shown on one line (whitespace collapsed; for argparse, its error line before its usage), "
        f"cut at {SUMMARY_CHARS} characters.",
        "",
        "| id | surface | bad input | refused as | what the message says | must contain |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        says = f"`{row.says}`"
        names = ", ".join(f"`{name}`" for name in row.names)
        lines.append(f"| {row.id} | {row.surface} | {_cell(row.bad_input)} | {_cell(row.refused_as)} "
                     f"| {_cell(says)} | {_cell(names)} |")
    counts = ", ".join(f"{surface}: {sum(r.surface == surface for r in rows)}" for surface in SURFACES)
    lines += ["", f"{len(rows)} rows ({counts}).", ""]
    return "\n".join(lines)
