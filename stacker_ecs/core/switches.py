"""The switches of one run of an environment's config: what it may do, decided before any stack changes.

The operating model (docs/stacker.md): a plain build, with no switch on, builds
the cluster and every app's application stack and nothing else: no version is created, updated or
deleted and no traffic moves. An app pipeline names one app and switches on what it does to that
app only (``deploy``, ``verify``, ``cutover``, ``rollback``, ``cleanup``, ``teardown``). This
module checks those switches and the app and version they act on, for the pre-build check
(:mod:`stacker_ecs.core.preflight`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import field_validator

from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Args
from stacker_ecs.core.validation import check_name, check_version

SWITCHES = ("deploy", "verify", "cutover", "rollback", "cleanup", "teardown")
NEEDS_VERSION = ("deploy", "verify", "cutover")
ALONE = ("rollback", "teardown")


class BuildArgs(Args):
    """Arguments of the ``check_build`` hook: the switches of this build and what they act on."""

    apps: list[str]
    """The apps this config declares (an application stack each); the hook fills it in."""
    app: str = "none"
    """Default: none. The one app this build's switches act on (``-e app=<app>``)."""
    version: str = "none"
    """Default: none. The version ``deploy``, ``verify`` and ``cutover`` act on (``-e version=<v>``)."""
    deploy: bool = False
    """Create (or re-run unchanged) the version's stack."""
    verify: bool = False
    """Wait for the version's healthy targets."""
    cutover: bool = False
    """Make the version live."""
    rollback: bool = False
    """Make the previous version live again."""
    cleanup: bool = False
    """Delete the app's versions that are not live."""
    teardown: bool = False
    """Delete the app: its versions, its live rule, its application stack."""

    _apps = field_validator("apps")(lambda v: [check_name("app", a) for a in v])


def stacker_option(name: str) -> str:
    """Return how a stacker user sets ``name`` for one build (``-e app=<app>``)."""
    return f"-e {name}=<{name}>"


def switch_problems(args: BuildArgs, *, option: Callable[[str], str] = stacker_option) -> list[str]:
    """Return what is wrong with the switches, the app and the version (empty when nothing is).

    ``option(name)`` says how the engine's user sets ``name`` (default stacker's ``-e name=<name>``).
    """
    on = switches_on(args)
    if not on:
        return []
    problems: list[str] = []
    if args.app not in args.apps:
        known = ", ".join(sorted(args.apps)) or "none"
        problems.append(f"app: {args.app!r} is not an app of this config (apps: {known}); pass {option('app')} "
                        f"with {', '.join(on)}, or add the app's stack to the config")
    if any(getattr(args, name) for name in NEEDS_VERSION):
        try:
            check_version(args.version)
        except ValueError as exc:
            problems.append(f"version: {exc}")
        if args.version == "none":
            problems.append(f"version: not given; pass {option('version')} with "
                            + ", ".join(n for n in NEEDS_VERSION if getattr(args, n)))
    for alone in ALONE:
        others = [name for name in on if name != alone]
        if getattr(args, alone) and others:
            problems.append(f"{alone}: cannot run in the same build as {', '.join(others)}; run it alone")
    return problems


def switches_on(args: BuildArgs) -> list[str]:
    """Return the switches that are on, in lifecycle order."""
    return [name for name in SWITCHES if getattr(args, name)]


def what_runs(args: BuildArgs) -> dict[str, Any]:
    """Return what the run does: the app, the version (when a switch needs one) and the switches on."""
    on = switches_on(args)
    if not on:
        return {"app": None, "switches": []}
    return {"app": args.app, "version": args.version if any(getattr(args, n) for n in NEEDS_VERSION) else None,
            "switches": on}


def check_build(args: BuildArgs, *, option: Callable[[str], str] = stacker_option) -> dict[str, Any]:
    """Refuse switches that cannot run together, an unknown app or a bad version; return what will run."""
    problems = switch_problems(args, option=option)
    if problems:
        raise ConfigError(problems, where="build switches")
    return what_runs(args)
