"""The stacker side of a blueprint: stacker's ``Blueprint`` around :mod:`stacker_ecs.core.blueprint`."""

from __future__ import annotations

from typing import Any, ClassVar

from stacker.blueprints.base import Blueprint

from stacker_ecs.core import blueprint as core
from stacker_ecs.core.model import Spec


class SpecBlueprint(Blueprint):
    """A stacker blueprint whose variables are a :class:`Spec`, rendered by one core builder."""

    KIND: ClassVar[str]
    SPEC: ClassVar[type[Spec]]
    VARIABLES: ClassVar[dict[str, dict[str, Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.SPEC = core.BLUEPRINTS[cls.KIND].spec
        cls.VARIABLES = core.variables_from_spec(cls.SPEC)

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (stacker would drop them silently) and missing required ones."""
        core.check_variables(self.SPEC, (v.name for v in provided_variables), where=self.where,
                             set_them="in the stack's variables")
        super().resolve_variables(provided_variables)

    def create_template(self) -> None:
        """Validate the variables, check the stack's name, and render the template."""
        namespace = core.check_namespace(
            self.context.namespace, where=self.where,
            fix="set 'namespace' in the config (e.g. ${namespace} from the environment file)")
        stack = self.context.get_stack(self.name)
        self.template = core.render(self.KIND, self.get_variables(), namespace=namespace,
                                    stack_name=stack.fqn if stack else self.context.get_fqn(self.name),
                                    where=self.where)
