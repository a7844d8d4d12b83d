"""The check before any change, once for every engine, over an engine-neutral description of a run.

Each engine's ``check_build`` hook translates what its run will launch into a :class:`LaunchPlan`
(the stacks it builds, the lifecycle hooks it runs and their arguments, the queries of our lookups,
which values are known yet) and calls :func:`check_launch`, which refuses, in one message listing
every problem, before the first stack changes (a bad switch, app or version is reported alone: every
later check of its stacks would fail because of it):

- switches that cannot run together, an unknown app, a missing or malformed version
  (:mod:`stacker_ecs.core.switches`);
- a switch no hook or stack of the run acts on for the app (it would do nothing and succeed), and a
  version stack built while ``deploy`` is off;
- every hook's arguments, exactly as the hook will receive them; every lookup's query;
- every variable of our blueprints whose value is known before the run.

These need no AWS call. Then, given a session, what AWS can tell before any change (reads only:
alarms, the app's application stack, zones, certificates, quotas; :mod:`stacker_ecs.core.account_check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stacker_ecs.core.blueprint import check_before_build
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.lookup_query import parse_query
from stacker_ecs.core.model import parse
from stacker_ecs.core.registry import HOOKS, LOOKUPS
from stacker_ecs.core.switches import BuildArgs, switch_problems, what_runs

if TYPE_CHECKING:
    from stacker_ecs.core.account_check import RunScope

SWITCH_HOOKS = {hook.switch: hook.name for hook in HOOKS.values() if hook.switch}
"""Build switch -> the lifecycle hook it runs (``deploy`` is run by the version stack itself)."""


@dataclass(frozen=True)
class PlannedStack:
    """A stack the run will create or update."""

    name: str
    """As the engine's config names it."""
    kind: str | None
    """Our blueprint kind (``cluster``, ``application``, ``version``), or None for any other stack."""
    variables: dict[str, Any]
    """As written (values a lookup or output still gives are not known yet)."""
    where: str
    """How messages name it, e.g. ``stack 'app-web' (Application blueprint)``."""

    @property
    def app(self) -> str | None:
        """Return the app of an application or version stack."""
        app = self.variables.get("App") if self.kind in ("application", "version") else None
        return None if app is None else str(app)


@dataclass(frozen=True)
class PlannedHook:
    """A lifecycle hook of ours the run will call, with the arguments it will receive."""

    name: str
    """Its name in :data:`stacker_ecs.core.registry.HOOKS`."""
    args: dict[str, Any]
    where: str
    """How messages name its arguments, e.g. ``hook stacker_ecs.hooks.cutover args``."""


@dataclass(frozen=True)
class PlannedLookup:
    """A query of one of our lookups (resolvers) in a stack of the run."""

    name: str
    query: str
    stack: str


@dataclass(frozen=True)
class LaunchPlan:
    """What one run of an engine will do, as far as our checks care."""

    verb: str
    """What the engine's run is called: ``build`` (stacker), ``deploy`` (runway), ``launch`` (sceptre)."""
    switches: dict[str, Any]
    """``app``, ``version`` and the switches, as the run sets them."""
    apps: list[str]
    """The apps of the environment."""
    namespace: str | None
    stacks: list[PlannedStack] = field(default_factory=list)
    hooks: list[PlannedHook] = field(default_factory=list)
    lookups: list[PlannedLookup] = field(default_factory=list)
    option: Callable[[str], str] = lambda name: f"-e {name}=<{name}>"
    """How the engine's user sets a value for one run."""
    known: Callable[[Any], bool] = lambda _value: True
    """Whether a variable's value is known before the run (no lookup or output in it)."""
    set_variables: str = "in the stack's variables"
    """Where the engine's user sets a stack's variables, for messages."""
    run_by: dict[str, str] = field(default_factory=dict)
    """Switch -> what the user adds to the run so that something runs it, for messages."""
    deploy_hint: str = ""
    """Said after 'pass deploy=true' when a version stack would be built without it."""
    problems: list[str] = field(default_factory=list)
    """What the engine's translation itself found wrong (a hook argument it cannot read, say)."""


def check_launch(plan: LaunchPlan, *, where: str, session: Any = None) -> dict[str, Any]:
    """Refuse the run when anything in ``plan`` is wrong (one :class:`ConfigError` naming every problem).

    With a boto3 ``session``, also what AWS can tell once the input is sound (reads only). Returns
    what the run does (:func:`stacker_ecs.core.switches.what_runs`).
    """
    build = parse(BuildArgs, {**plan.switches, "apps": plan.apps}, where=f"{where}: switches")
    problems = switch_problems(build, option=plan.option)
    if problems:  # alone: an unknown app or version makes every later check of its stack fail too
        raise ConfigError(problems, where=where)
    problems = _unrun_switches(plan, build) + plan.problems
    for stack in plan.stacks:
        problems += _stack_problems(plan, stack)
    for hook in plan.hooks:
        try:
            parse(HOOKS[hook.name].load_model(), _with_namespace(hook.args, plan.namespace), where=hook.where)
        except ConfigError as exc:
            problems.append(str(exc))
    for lookup in plan.lookups:
        try:
            parse_query(LOOKUPS[lookup.name].load_model(), lookup.query, lookup=lookup.name, namespace=plan.namespace)
        except ConfigError as exc:
            problems.append(f"stack {lookup.stack!r}: {exc}")
    if problems:
        raise ConfigError(problems, where=where)
    if session is not None and plan.namespace:
        from stacker_ecs.core.account_check import account_problems
        from stacker_ecs.core.aws import AwsContext

        problems = account_problems(AwsContext.create(session), run_scope(plan, build))
        if problems:
            raise ConfigError(problems, where=where)
    return what_runs(build)


def run_scope(plan: LaunchPlan, build: BuildArgs) -> RunScope:
    """Return what the run touches, with the values known before it, for the reads of the check."""
    runs = what_runs(build)
    alarms: list[str] = []
    if "cutover" in runs["switches"]:
        for hook in plan.hooks:
            if hook.name == "cutover" and str(hook.args.get("app")) == build.app:
                alarms += list(hook_args("cutover", hook.args, namespace=plan.namespace, where=hook.where).alarm_names)

    def known(stack: PlannedStack) -> dict[str, Any]:
        return {name: value for name, value in stack.variables.items() if value is not None and plan.known(value)}

    from stacker_ecs.core.account_check import RunScope

    return RunScope(
        namespace=str(plan.namespace), app=runs["app"], version=runs.get("version"), switches=runs["switches"],
        applications={str(s.app): known(s) for s in plan.stacks if s.kind == "application"},
        unknown={str(s.app): {n for n, v in s.variables.items() if v is not None and not plan.known(v)}
                 for s in plan.stacks if s.kind == "application"},
        cluster=next((known(s) for s in plan.stacks if s.kind == "cluster"), {}), alarm_names=alarms)


def hook_args(name: str, args: dict[str, Any], *, namespace: str | None, where: str) -> Any:
    """Parse ``args`` as hook ``name`` will (the run's namespace by default); no AWS call."""
    return parse(HOOKS[name].load_model(), _with_namespace(args, namespace), where=where)


def _with_namespace(args: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    data = dict(args)
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return data


def _unrun_switches(plan: LaunchPlan, build: BuildArgs) -> list[str]:
    """Return a problem for each switch that is on but that nothing in the run does for the app."""
    turn_on = plan.option("deploy").replace("<deploy>", "true")
    problems = [f"deploy: off, but this {plan.verb} would {plan.verb} the version stack {stack.name!r} of app "
                f"{stack.app!r}; pass {turn_on}{plan.deploy_hint}"
                for stack in plan.stacks if stack.kind == "version" and not build.deploy]
    for switch in what_runs(build)["switches"]:
        if switch == "deploy":
            run = any(stack.kind == "version" and stack.app == build.app for stack in plan.stacks)
        else:
            run = any(hook.name == SWITCH_HOOKS[switch] and str(hook.args.get("app")) == build.app
                      for hook in plan.hooks)
        if not run:
            problems.append(f"{switch}: on, but no stack of this {plan.verb} runs it for app {build.app!r}, so it "
                            f"would do nothing; {plan.run_by.get(switch, 'add its hook to the config')}")
    return problems


def _stack_problems(plan: LaunchPlan, stack: PlannedStack) -> list[str]:
    """Return what is wrong with a stack's known variables."""
    if stack.kind is None:
        return []
    try:
        check_before_build(stack.kind, stack.variables, where=stack.where, set_them=plan.set_variables,
                           known=plan.known)
    except ConfigError as exc:
        return [str(exc)]
    return []
