"""What the stacker and CFNgin ``Blueprint`` adapters share: one mixin over :mod:`stacker_ecs.core.blueprint`.

Both engines' blueprints take the same variables, check them the same way before the build and
when the stack resolves, and render through the same core builder. The Version blueprint also
takes two variables that are not spec fields: ``Deployed`` (what the ``ecs_deployed_version``
lookup says is deployed; with it, an in-place change of a live, previous or serving version is
refused) and ``SettingsFile`` (``config/apps/<app>/version.yaml``, the app's own variables, which
win over the config's). An engine's subclass adds only how it reads its resolved values and how
its users name a new version; the mixin imports no engine (it is duck-typed on ``name`` and
``context``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from troposphere import Template

from stacker_ecs.core import blueprint as core
from stacker_ecs.core.app_settings import load_settings
from stacker_ecs.core.model import Spec
from stacker_ecs.core.ops.redeploy import check_redeploy, stamp

DEPLOYED = "Deployed"
SETTINGS_FILE = "SettingsFile"
EXTRA_VARIABLES: dict[str, dict[str, dict[str, Any]]] = {
    "version": {
        DEPLOYED: {"type": object, "default": None,
                   "description": "What is deployed of this version: ${ecs_deployed_version <app>::version=<version>}"},
        SETTINGS_FILE: {"type": object, "default": None,
                        "description": "YAML file of this app's Version variables (config/apps/<app>/version.yaml)"},
    },
}
"""Stack kind -> the adapter variables it takes besides its spec's fields."""
SET_THEM = "in the stack's variables"


def known(value: Any) -> bool:
    """Return whether a config value is known before the build (no lookup or output still to resolve)."""
    return "${" not in str(value)


def spec_values(kind: str, variables: dict[str, Any], *, where: str) -> dict[str, Any]:
    """Return the spec's values among ``variables``: the settings file's (when known) over the config's."""
    extra = EXTRA_VARIABLES.get(kind, {})
    values = {name: value for name, value in variables.items() if name not in extra}
    settings = variables.get(SETTINGS_FILE) if SETTINGS_FILE in extra else None
    if settings and known(settings):
        values.update(load_settings(str(settings), where=where))
    return values


def check_before_build(kind: str, variables: dict[str, Any], *, where: str) -> None:
    """Refuse unknown, missing and bad variables whose values are known before the build (no AWS call).

    Values holding a lookup or an output (``${...}``) are judged when the stack renders.
    """
    core.check_variables(core.BLUEPRINTS[kind].spec, variables, where=where, set_them=SET_THEM,
                         extra=EXTRA_VARIABLES.get(kind))
    core.check_known_values(kind, spec_values(kind, variables, where=where), where=where, known=known)


def finish(kind: str, template: Template, variables: dict[str, Any], *, where: str, new_version: str) -> Template:
    """Stamp a version template's ``Fingerprint``; refuse an in-place change of a serving version (``Deployed``).

    ``new_version`` says how the engine's user names a new version (``-e version=<new>``).
    """
    if kind != "version":
        return template
    fingerprint = stamp(template)
    deployed = variables.get(DEPLOYED)
    if deployed is not None:
        values = spec_values(kind, variables, where=where)  # already validated by the render
        check_redeploy(str(values["App"]), str(values["Version"]), deployed, fingerprint, where=where,
                       new_version=new_version)
    return template


class SpecAdapter:
    """Mixin of an engine ``Blueprint`` whose variables are a :class:`Spec`, rendered by one core builder.

    A subclass sets ``KIND`` (a key of :data:`stacker_ecs.core.blueprint.BLUEPRINTS`), and its engine
    base sets :meth:`values` and ``NEW_VERSION``.
    """

    KIND: ClassVar[str]
    SPEC: ClassVar[type[Spec]]
    ADAPTER_VARIABLES: ClassVar[dict[str, dict[str, Any]]]
    """Variables of this blueprint that are not spec fields (see :data:`EXTRA_VARIABLES`)."""
    VARIABLES: ClassVar[dict[str, dict[str, Any]]]
    NEW_VERSION: ClassVar[str]
    """How the engine's user names a new version, for the in-place-change refusal."""
    name: str
    context: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "KIND", None):
            cls.SPEC = core.BLUEPRINTS[cls.KIND].spec
            cls.ADAPTER_VARIABLES = EXTRA_VARIABLES.get(cls.KIND, {})
            cls.VARIABLES = {**core.variables_from_spec(cls.SPEC), **cls.ADAPTER_VARIABLES}

    @classmethod
    def check_before_build(cls, variables: dict[str, Any], *, where: str) -> None:
        """Refuse unknown, missing and bad variables known before the build (see :func:`check_before_build`)."""
        check_before_build(cls.KIND, variables, where=where)

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def check_given(self, names: Iterable[str]) -> None:
        """Refuse unknown variables (engines drop them silently) and missing required ones."""
        core.check_variables(self.SPEC, names, where=self.where, set_them=SET_THEM, extra=self.ADAPTER_VARIABLES)

    def values(self) -> dict[str, Any]:
        """Return the resolved variables (the engine's base says how)."""
        raise NotImplementedError

    def render_spec(self) -> Template:
        """Validate the variables, check the stack's name, render the template and finish it."""
        namespace = core.check_namespace(
            self.context.namespace, where=self.where,
            fix="set 'namespace' in the config (e.g. ${namespace} from the environment file)")
        stack = self.context.get_stack(self.name)
        variables = self.values()
        template = core.render(self.KIND, spec_values(self.KIND, variables, where=self.where), namespace=namespace,
                               stack_name=stack.fqn if stack else self.context.get_fqn(self.name), where=self.where)
        return finish(self.KIND, template, variables, where=self.where, new_version=self.NEW_VERSION)
