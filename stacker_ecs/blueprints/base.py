"""The stacker side of a blueprint: stacker's ``Blueprint`` around :mod:`stacker_ecs.core.blueprint`."""

from __future__ import annotations

from typing import Any, ClassVar

from stacker.blueprints.base import Blueprint
from troposphere import Template

from stacker_ecs import stacker_log
from stacker_ecs.core import blueprint as core
from stacker_ecs.core.model import Spec

stacker_log.install()


class SpecBlueprint(Blueprint):
    """A stacker blueprint whose variables are a :class:`Spec`, rendered by one core builder."""

    KIND: ClassVar[str]
    SPEC: ClassVar[type[Spec]]
    ADAPTER_VARIABLES: ClassVar[dict[str, dict[str, Any]]] = {}
    """Variables of this adapter that are not spec fields (stacker-only, see the Version blueprint)."""
    VARIABLES: ClassVar[dict[str, dict[str, Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.SPEC = core.BLUEPRINTS[cls.KIND].spec
        cls.VARIABLES = {**core.variables_from_spec(cls.SPEC), **cls.ADAPTER_VARIABLES}

    @classmethod
    def check_before_build(cls, variables: dict[str, Any], *, where: str) -> None:
        """Refuse unknown, missing and bad variables whose values are known before the build (no AWS call).

        Values holding a lookup or an output (``${...}``) are judged when the stack renders.
        """
        core.check_variables(cls.SPEC, variables, where=where, set_them="in the stack's variables",
                             extra=cls.ADAPTER_VARIABLES)
        core.check_known_values(cls.KIND, cls.known_spec_values(variables, where=where), where=where,
                                known=lambda value: "${" not in str(value))

    @classmethod
    def known_spec_values(cls, variables: dict[str, Any], *, where: str) -> dict[str, Any]:
        """Return the spec's values among the config's ``variables`` (a subclass may add its own)."""
        return {name: value for name, value in variables.items() if name not in cls.ADAPTER_VARIABLES}

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (stacker would drop them silently) and missing required ones."""
        core.check_variables(self.SPEC, (v.name for v in provided_variables), where=self.where,
                             set_them="in the stack's variables", extra=self.ADAPTER_VARIABLES)
        super().resolve_variables(provided_variables)

    def create_template(self) -> None:
        """Validate the variables, check the stack's name, and render the template."""
        namespace = core.check_namespace(
            self.context.namespace, where=self.where,
            fix="set 'namespace' in the config (e.g. ${namespace} from the environment file)")
        stack = self.context.get_stack(self.name)
        self.template = self.finish(core.render(
            self.KIND, self.spec_values(), namespace=namespace,
            stack_name=stack.fqn if stack else self.context.get_fqn(self.name), where=self.where))

    def spec_values(self) -> dict[str, Any]:
        """Return the values the spec judges (by default every variable)."""
        return self.get_variables()

    def finish(self, template: Template) -> Template:
        """Return the template to use (a subclass may check it against what is deployed)."""
        return template
