"""CFNgin blueprints: ``class_path: stacker_ecs.cfngin.blueprints.<Cluster|Application|Version>``."""

from __future__ import annotations

from typing import Any, ClassVar

from runway.cfngin.blueprints.base import Blueprint

from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core import blueprint as core
from stacker_ecs.core.model import Spec


class SpecBlueprint(Blueprint):
    """A CFNgin blueprint whose variables are a :class:`Spec`, rendered by one core builder."""

    KIND: ClassVar[str]
    SPEC: ClassVar[type[Spec]]
    VARIABLES: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.SPEC = core.BLUEPRINTS[cls.KIND].spec
        cls.VARIABLES = core.variables_from_spec(cls.SPEC)

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (CFNgin would drop them silently) and missing required ones."""
        core.check_variables(self.SPEC, (v.name for v in provided_variables), where=self.where,
                             set_them="in the stack's variables")
        super().resolve_variables(provided_variables)

    def create_template(self) -> None:
        """Validate the variables, check the stack's name, and render the template."""
        refuse_persistent_graph(self.context, where=self.where)
        namespace = core.check_namespace(
            self.context.namespace, where=self.where,
            fix="set 'namespace' in the config (e.g. ${namespace} from the environment file)")
        stack = self.context.get_stack(self.name)
        self.template = core.render(self.KIND, dict(self.variables), namespace=namespace,
                                    stack_name=stack.fqn if stack else self.context.get_fqn(self.name),
                                    where=self.where)


class Cluster(SpecBlueprint):
    """One ECS cluster per environment. Stack name in the config: ``cluster``."""

    KIND = "cluster"


class Application(SpecBlueprint):
    """One ALB per app and environment. Stack name in the config: ``app-<app>``."""

    KIND = "application"


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-<version>``."""

    KIND = "version"
