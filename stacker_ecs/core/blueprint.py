"""What every engine's blueprint adapter shares: variables from a spec, the variable check, rendering.

An engine adapter (a stacker or CFNgin ``Blueprint``, a Sceptre template handler) names one of
:data:`BLUEPRINTS`, hands over the values it was given and the CloudFormation name the stack will
get, and receives the rendered :class:`~troposphere.Template`. The stack-name check lives here,
because hooks and lookups find stacks only by the names in :mod:`stacker_ecs.core.naming`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticUndefined
from troposphere import Template

from stacker_ecs.core import naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Spec, describe_error, parse
from stacker_ecs.core.templates.application import ApplicationSpec, build_application
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster
from stacker_ecs.core.templates.version import VersionSpec, build_version, check_task, load_task


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
                         lambda spec, where: build_version(
                             spec, check_task(spec, load_task(spec, where=where), where=where))),
}


def variables_from_spec(spec: type[Spec]) -> dict[str, dict[str, Any]]:
    """Return engine ``VARIABLES`` for ``spec``: one per field, described and defaulted by the spec.

    The type is ``object`` because the spec judges every value (and coerces strings returned by
    lookups); defaults live in the spec only.
    """
    variables: dict[str, dict[str, Any]] = {}
    for name, field in spec.model_fields.items():
        definition: dict[str, Any] = {"type": object, "description": field.description or name}
        if not field.is_required():
            default = field.get_default(call_default_factory=True)
            definition["default"] = None if default is PydanticUndefined else default
        variables[field.alias or name] = definition
    return variables


def check_variables(spec: type[Spec], given: Iterable[str], *, where: str, set_them: str,
                    extra: dict[str, dict[str, Any]] | None = None) -> None:
    """Refuse unknown variables (engines drop them silently) and missing required ones.

    ``set_them`` says where the user sets them, e.g. ``"in the stack's variables"``; ``extra`` are an
    adapter's own variables beside the spec's.
    """
    variables = {**variables_from_spec(spec), **(extra or {})}
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


def render(kind: str, values: dict[str, Any], *, namespace: str, stack_name: str, where: str,
           rename: Callable[[str], str] | None = None) -> Template:
    """Validate ``values``, check the stack's CloudFormation name, and return the rendered template.

    ``rename`` turns the expected CloudFormation name into what the user writes in the config
    (default: the name without the namespace), for the message when the names differ.
    """
    blueprint = BLUEPRINTS[kind]
    spec = parse(blueprint.spec, values, where=where)
    expected = blueprint.stack_name(namespace, spec)
    if stack_name != expected:
        write = rename(expected) if rename else expected.removeprefix(f"{namespace}-")
        raise ConfigError(
            f"stack name: deployed as {stack_name!r}, but hooks and lookups find this stack as "
            f"{expected!r}; name the stack {write!r} in the config", where=where)
    return blueprint.build(spec, where)


def stack_suffix(kind: str, values: dict[str, Any], *, where: str) -> str:
    """Return the stack's name without its namespace (``cluster``, ``app-web``, ``app-web-v2``)."""
    blueprint = BLUEPRINTS[kind]
    return blueprint.stack_name("", parse(blueprint.spec, values, where=where)).removeprefix("-")


def check_known_values(kind: str, values: dict[str, Any], *, where: str, known: Callable[[Any], bool]) -> None:
    """Judge the values already known before the build (``known(value)``), so a bad one is refused before any change.

    Values still to be resolved (an engine's lookups, another stack's outputs) are judged when the
    stack renders; the spec's cross-field checks run here only when every value is known.
    """
    spec = BLUEPRINTS[kind].spec
    try:
        spec.model_validate({name: value for name, value in values.items() if known(value)})
    except ValidationError as exc:
        names = sorted((field.alias or name) for name, field in spec.model_fields.items())
        problems = [describe_error(e, names) for e in exc.errors() if e["type"] != "missing"]
        if problems:
            raise ConfigError(problems, where=where) from None
