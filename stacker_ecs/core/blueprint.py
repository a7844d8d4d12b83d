"""The three stack kinds and how every engine renders them: variables, checks, the settings file, the fingerprint.

An engine adapter (a stacker or CFNgin ``Blueprint``, the Sceptre template handler) names one of
:data:`BLUEPRINTS`, hands over the variables it was given and the CloudFormation name the stack
will get, and receives the rendered :class:`~troposphere.Template` (:func:`render_stack`). The
stack-name check lives here, because hooks and lookups find stacks only by the names in
:mod:`stacker_ecs.core.naming`.

The Version kind also takes two variables that are not spec fields (:data:`ADAPTER_VARIABLES`):
``Deployed`` (what the ``ecs_deployed_version`` lookup says is deployed; with it, an in-place
change of a live, previous or serving version is refused) and ``SettingsFile``
(``config/apps/<app>/version.yaml``, the app's own variables, which win over the config's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticUndefined
from troposphere import Template

from stacker_ecs.core import contract, naming, ownership
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.fingerprint import check_redeploy, stamp
from stacker_ecs.core.model import Spec, describe_error, field_docs, parse
from stacker_ecs.core.settings_file import load_settings
from stacker_ecs.core.templates.application import ApplicationSpec, build_application
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster
from stacker_ecs.core.templates.common import add_output
from stacker_ecs.core.templates.version import VersionSpec, render_version

DEPLOYED = "Deployed"
SETTINGS_FILE = "SettingsFile"
PATH_VARIABLES = ("TaskDefinitionFile", SETTINGS_FILE)
"""Variables naming a file (relative to where the engine runs, or to a Sceptre project)."""


@dataclass(frozen=True)
class Blueprint:
    """One stack kind: its settings, the name hooks and lookups find it by, and its builder."""

    spec: type[Spec]
    stack_name: Callable[[str, Any], str]
    """``(namespace, spec) -> CloudFormation name`` (see :mod:`stacker_ecs.core.naming`)."""
    build: Callable[[Any, str], Template]
    """``(spec, where) -> template``."""


BLUEPRINTS: dict[str, Blueprint] = {
    "cluster": Blueprint(ClusterSpec, lambda ns, _spec: naming.cluster_stack(ns),
                         lambda spec, _where: build_cluster(spec)),
    "application": Blueprint(ApplicationSpec, lambda ns, spec: naming.application_stack(ns, spec.app),
                             lambda spec, _where: build_application(spec)),
    "version": Blueprint(VersionSpec, lambda ns, spec: naming.version_stack(ns, spec.app, spec.version),
                         lambda spec, where: render_version(spec, where=where)),
}

_SOURCES_DESCRIPTION = ("What this namespace's cluster and application stacks say: ${ecs_sources <app>}; a value "
                       "read from another environment's stack is refused")
ADAPTER_VARIABLES: dict[str, dict[str, dict[str, Any]]] = {
    "application": {ownership.SOURCES: {"type": object, "default": None, "description": _SOURCES_DESCRIPTION}},
    "version": {
        ownership.SOURCES: {"type": object, "description": _SOURCES_DESCRIPTION},
        DEPLOYED: {"type": object, "default": None,
                   "description": "What is deployed of this version: ${ecs_deployed_version <app>::version=<version>}"},
        SETTINGS_FILE: {"type": object, "default": None,
                        "description": "YAML file of this app's Version variables (config/apps/<app>/version.yaml)"},
    },
}
"""Stack kind -> the variables every engine's blueprint of it takes besides its spec's fields."""


def variables_from_spec(spec: type[Spec]) -> dict[str, dict[str, Any]]:
    """Return engine ``VARIABLES`` for ``spec``: one per field, described and defaulted by the spec.

    The type is ``object`` because the spec judges every value (and coerces strings returned by
    lookups); defaults live in the spec only.
    """
    variables: dict[str, dict[str, Any]] = {}
    docs = field_docs(spec)
    for name, field in spec.model_fields.items():
        definition: dict[str, Any] = {"type": object, "description": docs[name] or name}
        if not field.is_required():
            default = field.get_default(call_default_factory=True)
            definition["default"] = None if default is PydanticUndefined else default
        variables[field.alias or name] = definition
    return variables


def variables_of(kind: str) -> dict[str, dict[str, Any]]:
    """Return every variable a blueprint of ``kind`` takes: its spec's and the adapter's."""
    return {**variables_from_spec(BLUEPRINTS[kind].spec), **ADAPTER_VARIABLES.get(kind, {})}


def check_variables(kind: str, given: Iterable[str], *, where: str, set_them: str) -> None:
    """Refuse unknown variables (engines drop them silently) and missing required ones.

    ``set_them`` says where the user sets them, e.g. ``"in the stack's variables"``.
    """
    variables = variables_of(kind)
    given = set(given)
    known = ", ".join(sorted(variables))
    problems = [f"{name}: unknown variable; check the spelling or remove it (known: {known})"
                for name in sorted(given - set(variables))]
    problems += [f"{name}: required but not given; set it {set_them} ({definition['description']})"
                 for name, definition in sorted(variables.items())
                 if "default" not in definition and name not in given]
    if problems:
        raise ConfigError(problems, where=where)


def check_namespace(namespace: str | None, *, where: str, fix: str) -> str:
    """Return the namespace, or refuse an empty one (stacks are named ``<namespace>-...``)."""
    if not namespace:
        raise ConfigError(f"namespace: empty; stacker_ecs names stacks '<namespace>-...', so {fix}", where=where)
    return namespace


def spec_values(kind: str, variables: dict[str, Any], *, where: str,
                known: Callable[[Any], bool] = lambda _value: True) -> dict[str, Any]:
    """Return the spec's values among ``variables``: the settings file's (once its path is ``known``) over
    the config's."""
    extra = ADAPTER_VARIABLES.get(kind, {})
    values = {name: value for name, value in variables.items() if name not in extra}
    settings = variables.get(SETTINGS_FILE) if SETTINGS_FILE in extra else None
    if settings and known(settings):
        values.update(load_settings(str(settings), where=where))
    return values


def check_before_build(kind: str, variables: dict[str, Any], *, where: str, set_them: str,
                       known: Callable[[Any], bool]) -> None:
    """Refuse unknown, missing and bad variables whose values are ``known`` before the build (no AWS call).

    Values still to be resolved (an engine's lookups, another stack's outputs) are judged when the
    stack renders; the spec's cross-field checks run here only when every value is known.
    """
    check_variables(kind, variables, where=where, set_them=set_them)
    spec = BLUEPRINTS[kind].spec
    values = spec_values(kind, variables, where=where, known=known)
    try:
        spec.model_validate({name: value for name, value in values.items() if known(value)})
    except ValidationError as exc:
        names = sorted((field.alias or name) for name, field in spec.model_fields.items())
        problems = [describe_error(e, names) for e in exc.errors() if e["type"] != "missing"]
        if problems:
            raise ConfigError(problems, where=where) from None


def render_stack(kind: str, variables: dict[str, Any], *, namespace: str, stack_name: str, where: str,
                 new_version: str, rename: Callable[[str], str] | None = None) -> Template:
    """Validate ``variables``, check the stack's CloudFormation name, render the template and finish it.

    ``rename`` turns the expected CloudFormation name into what the user writes in the config
    (default: the name without the namespace), for the message when the names differ. A version's
    template gets its ``Fingerprint``; with ``Deployed``, a change to a serving version is refused
    (``new_version`` says how the engine's user names a new version, e.g. ``-e version=<new>``).
    """
    blueprint = BLUEPRINTS[kind]
    spec = parse(blueprint.spec, spec_values(kind, variables, where=where), where=where)
    expected = blueprint.stack_name(namespace, spec)
    if stack_name != expected:
        write = rename(expected) if rename else expected.removeprefix(f"{namespace}-")
        raise ConfigError(
            f"stack name: deployed as {stack_name!r}, but hooks and lookups find this stack as "
            f"{expected!r}; name the stack {write!r} in the config", where=where)
    ownership.check_sources(kind, {**variables, **spec.model_dump(by_alias=True)}, namespace=namespace,
                            app=getattr(spec, "app", ""), where=where)
    template = blueprint.build(spec, where)
    if kind in ("cluster", "application"):
        add_output(template, contract.NAMESPACE, namespace, "Namespace (environment) this stack serves")
    if kind == "version":
        fingerprint = stamp(template)
        if variables.get(DEPLOYED) is not None:
            check_redeploy(spec.app, spec.version, str(variables[DEPLOYED]), fingerprint, where=where,
                           new_version=new_version)
    return template


def stack_suffix(kind: str, variables: dict[str, Any], *, where: str) -> str:
    """Return the stack's name without its namespace (``cluster``, ``app-web``, ``app-web-V-v2``)."""
    blueprint = BLUEPRINTS[kind]
    spec = parse(blueprint.spec, spec_values(kind, variables, where=where), where=where)
    return blueprint.stack_name("", spec).removeprefix("-")
