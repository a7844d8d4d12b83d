"""Every hook and lookup of the suite, declared once, and the one entry every engine adapter calls.

An entry names the core module holding its arguments' model and its operation, and says in one
line what it does. Each engine's classes (stacker and CFNgin hooks and lookups, Sceptre hooks and
resolvers), Sceptre's entry points (``setup.py`` reads them from here), the pre-build check and
the reference in ``docs/`` are made from these tables. Adding a lookup is its model and read in a
core module, and one line in :data:`LOOKUPS`.

This module imports nothing but the standard library when it loads (``setup.py`` runs it, and
Sceptre imports every adapter when it starts); a model or operation is imported when it is used.
Adapters call :func:`run_hook` or :func:`run_lookup` with the raw arguments their engine gave them
and a boto3 session; the arguments are validated by the entry's model (a typo is an error), the
operation's AWS context is built and the operation runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

    from stacker_ecs.core.model import Args
    from stacker_ecs.core.ops.wait import Clock

OPS = "stacker_ecs.core.ops."


@dataclass(frozen=True)
class Entry:
    """A hook or lookup: its name, where its model and operation live, and what it does."""

    name: str
    module: str
    model: str
    """The class of its arguments (a hook) or query (a lookup) in ``module``."""
    function: str
    """The operation (a hook) or read (a lookup) in ``module``."""
    summary: str
    """One line: what it does (every engine's docstring, the docs)."""

    def load_model(self) -> type[Args]:
        """Return the arguments' model (imports its module)."""
        return getattr(importlib.import_module(self.module), self.model)  # type: ignore[no-any-return]

    def load_function(self) -> Any:
        """Return the operation (imports its module)."""
        return getattr(importlib.import_module(self.module), self.function)


@dataclass(frozen=True)
class Hook(Entry):
    """A hook; ``switch`` is the build switch that runs it (``None``: a check hook the engine runs itself)."""

    switch: str | None = None

    @property
    def class_name(self) -> str:
        """Return the name of its class where an engine needs one (Sceptre): ``verify_health`` -> ``VerifyHealth``."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@dataclass(frozen=True)
class Lookup(Entry):
    """A lookup (a Sceptre resolver): ``class_name`` in stacker and CFNgin, without ``Lookup`` in Sceptre."""

    class_name: str = ""
    syntax: str = ""
    """Its query, e.g. ``<app>[::default=<value>]``."""

    @property
    def resolver_name(self) -> str:
        """Return the Sceptre resolver class name (``LiveVersionLookup`` -> ``LiveVersion``)."""
        return self.class_name.removesuffix("Lookup")


HOOKS: dict[str, Hook] = {hook.name: hook for hook in (
    Hook("verify_health", OPS + "verify", "VerifyHealthArgs", "verify_health",
         "Wait until the version has its healthy targets; fail fast, saying why, when it will not.", switch="verify"),
    Hook("cutover", OPS + "cutover", "CutoverArgs", "cutover",
         "Make a version live: scale to the live size, verify, switch the listener once (or in steps).",
         switch="cutover"),
    Hook("rollback", OPS + "rollback", "RollbackArgs", "rollback",
         "Make the previous live version live again, or abort a canary under way.", switch="rollback"),
    Hook("cleanup", OPS + "cleanup", "CleanupArgs", "cleanup",
         "Delete the app's version stacks that are not live.", switch="cleanup"),
    Hook("teardown", OPS + "teardown", "TeardownArgs", "teardown",
         "Remove the app: its live rule, every version stack, then its application stack.", switch="teardown"),
    Hook("check_destroy", OPS + "teardown", "DestroyCheckArgs", "check_destroy",
         "Refuse a destroy that would take a live app down or leave its versions behind (reads only)."),
)}
"""Hook name -> hook."""

LOOKUPS: dict[str, Lookup] = {lookup.name: lookup for lookup in (
    Lookup("ecs_live_version", OPS + "lookups", "LiveVersionQuery", "find_live_version",
           "The version the app's live rule forwards to.", "LiveVersionLookup", "<app>[::default=<value>]"),
    Lookup("alb_listener", OPS + "lookups", "AppQuery", "find_listener_arn",
           "The application's HTTPS listener ARN.", "ListenerLookup", "<app>"),
    Lookup("alb_rule_priority", OPS + "lookups", "RulePriorityQuery", "find_rule_priority",
           "A free rule priority for the version, stable on re-runs.", "RulePriorityLookup",
           "<app>::version=<version>[, max_rules=<n>]"),
    Lookup("ecs_live_desired_count", OPS + "lookups", "LiveDesiredCountQuery", "find_live_desired_count",
           "How many tasks the live version wants (the default while none is live).", "LiveDesiredCountLookup",
           "<app>[::default=<n>]"),
    Lookup("ecs_version_desired_count", OPS + "lookups", "VersionQuery", "find_version_desired_count",
           "The version's own desired count: 0 for a new version, so CloudFormation never waits on its tasks.",
           "VersionDesiredCountLookup", "<app>::version=<version>"),
    Lookup("ecs_deployed_version", OPS + "lookups", "VersionQuery", "find_deployed_version",
           "Whether the version takes traffic, and its fingerprint: <role>:<fingerprint> for a Version's Deployed.",
           "DeployedVersionLookup", "<app>::version=<version>"),
    Lookup("ecs_sources", "stacker_ecs.core.ownership", "SourcesQuery", "find_sources",
           "What the namespace's cluster and application stacks say, so a value from another environment is refused.",
           "SourcesLookup", "<app>"),
)}
"""Lookup (resolver) name -> lookup."""

SCEPTRE_CHECK_HOOKS = {"ecs_check_build": "CheckBuild", "ecs_check_delete": "CheckDelete"}
"""Sceptre's own check hooks (``before_launch``, ``before_delete``) -> their classes."""


def sceptre_entry_points() -> dict[str, list[str]]:
    """Return the Sceptre entry points of the template handler, every hook and every resolver (``setup.py``)."""
    hooks = {f"ecs_{hook.name}": hook.class_name for hook in HOOKS.values() if hook.switch}
    return {
        "sceptre.template_handlers": ["stacker_ecs=stacker_ecs.sceptre.handler:Blueprint"],
        "sceptre.hooks": [f"{tag}=stacker_ecs.sceptre.hooks:{cls}"
                          for tag, cls in {**hooks, **SCEPTRE_CHECK_HOOKS}.items()],
        "sceptre.resolvers": [f"{lookup.name}=stacker_ecs.sceptre.resolvers:{lookup.resolver_name}"
                              for lookup in LOOKUPS.values()],
    }


def run_hook(name: str, raw_args: dict[str, Any], session: boto3.Session, *,
             where: str | None = None, clock: Clock | None = None) -> dict[str, Any]:
    """Validate ``raw_args`` with hook ``name``'s model, run the operation, return its result.

    ``where`` names the arguments in messages (default ``hook <name> args``). ``clock`` is for
    tests (a fake one, so waits need no sleep); anything but a :class:`Clock` is refused, since it
    can only have come from the user's arguments.
    """
    from stacker_ecs.core.aws import context_for
    from stacker_ecs.core.errors import ConfigError
    from stacker_ecs.core.model import parse
    from stacker_ecs.core.ops.wait import Clock

    where = where or f"hook {name} args"
    if clock is not None and not isinstance(clock, Clock):
        raise ConfigError("clock: not an argument of this hook; remove it", where=where)
    hook = HOOKS[name]
    args = parse(hook.load_model(), raw_args, where=where)
    return hook.load_function()(context_for(session, args, clock), args)  # type: ignore[no-any-return]


PAUSED_EXIT_STATUS = 4
"""How an engine's run ends when its cutover paused (``stacker-ecs`` exits with the same status)."""


def end_run_if_paused(name: str, result: Any) -> None:
    """End the engine's run with :data:`PAUSED_EXIT_STATUS` when hook ``name`` paused a canary.

    The pause is recorded (no process needs to wait), so the pipeline's job ends here, saying so: a
    CI job that treats 0 as "live" must not see 0, and later hooks of the run (cleanup) do not run.
    """
    if not (isinstance(result, dict) and result.get("paused")):
        return
    import logging

    logging.getLogger("stacker_ecs.core.ops").warning(
        "%s: %s; this run ends here with exit status %d (paused, not failed)", name, result.get("message", "paused"),
        PAUSED_EXIT_STATUS)
    raise SystemExit(PAUSED_EXIT_STATUS)


def run_lookup(name: str, query: str, session: boto3.Session, *, namespace: str | None = None,
               clock: Clock | None = None) -> str:
    """Parse lookup ``name``'s ``query`` (``<app>[::key=value, ...]``), run the read, return a string.

    ``namespace`` is the default the query's own ``namespace=`` overrides.
    """
    from stacker_ecs.core.aws import context_for
    from stacker_ecs.core.lookup_query import parse_query

    lookup = LOOKUPS[name]
    args = parse_query(lookup.load_model(), query, lookup=name, namespace=namespace)
    return str(lookup.load_function()(context_for(session, args, clock), args))
