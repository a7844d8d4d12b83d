"""What the stacker and CFNgin ``Blueprint`` adapters share: one mixin over :mod:`stacker_ecs.core.blueprint`.

Both engines' blueprints take the same variables, check them the same way before the build and
when the stack resolves, and render through :func:`stacker_ecs.core.blueprint.render_stack` (as the
Sceptre template handler does). An engine's subclass adds only how it reads its resolved values
and how its users name a new version; the mixin imports no engine (it is duck-typed on ``name``
and ``context``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from troposphere import Template

from stacker_ecs.core import blueprint as core

SET_THEM = "in the stack's variables"


def known(value: Any) -> bool:
    """Return whether a config value is known before the build (no lookup or output still to resolve)."""
    return "${" not in str(value)


class SpecAdapter:
    """Mixin of an engine ``Blueprint`` whose variables are a spec, rendered by one core builder.

    A subclass sets ``KIND`` (a key of :data:`stacker_ecs.core.blueprint.BLUEPRINTS`), and its engine
    base sets :meth:`values` and ``NEW_VERSION``.
    """

    KIND: ClassVar[str]
    VARIABLES: ClassVar[dict[str, dict[str, Any]]]
    NEW_VERSION: ClassVar[str]
    """How the engine's user names a new version, for the in-place-change refusal."""
    name: str
    context: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "KIND", None):
            cls.VARIABLES = core.variables_of(cls.KIND)

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def check_given(self, names: Iterable[str]) -> None:
        """Refuse unknown variables (engines drop them silently) and missing required ones."""
        core.check_variables(self.KIND, names, where=self.where, set_them=SET_THEM)

    def values(self) -> dict[str, Any]:
        """Return the resolved variables (the engine's base says how)."""
        raise NotImplementedError

    def render_spec(self) -> Template:
        """Validate the variables, check the stack's name, and render the template."""
        namespace = core.check_namespace(
            self.context.namespace, where=self.where,
            fix="set 'namespace' in the config (e.g. ${namespace} from the environment file)")
        stack = self.context.get_stack(self.name)
        return core.render_stack(self.KIND, self.values(), namespace=namespace,
                                 stack_name=stack.fqn if stack else self.context.get_fqn(self.name),
                                 where=self.where, new_version=self.NEW_VERSION)
