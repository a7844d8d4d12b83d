"""What the three blueprints share: variables generated from a spec, typos refused, names checked."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic_core import PydanticUndefined
from stacker.blueprints.base import Blueprint
from troposphere import Template

from stacker_ecs import stacker_log
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Spec, parse

stacker_log.install()

def variables_from_spec(spec: type[Spec]) -> dict[str, dict[str, Any]]:
    """Return stacker ``VARIABLES`` for ``spec``: one per field, described and defaulted by the spec.

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


class SpecBlueprint(Blueprint):
    """A stacker blueprint whose variables are a :class:`Spec`, rendered by one builder."""

    SPEC: ClassVar[type[Spec]]
    VARIABLES: ClassVar[dict[str, dict[str, Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.VARIABLES = variables_from_spec(cls.SPEC)

    @property
    def where(self) -> str:
        """Return how messages name this stack."""
        return f"stack {self.name!r} ({type(self).__name__} blueprint)"

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (stacker would drop them silently) and missing required ones."""
        given = {v.name for v in provided_variables}
        known = ", ".join(sorted(self.VARIABLES))
        problems = [f"{name}: unknown variable; check the spelling or remove it (known: {known})"
                    for name in sorted(given - set(self.VARIABLES))]
        problems += [f"{name}: required but not given; set it in the stack's variables ({definition['description']})"
                     for name, definition in sorted(self.VARIABLES.items())
                     if "default" not in definition and name not in given]
        if problems:
            raise ConfigError(problems, where=self.where)
        super().resolve_variables(provided_variables)

    def spec(self) -> Spec:
        """Return the validated spec of this stack's variables."""
        return parse(self.SPEC, self.get_variables(), where=self.where)

    def check_stack_name(self, expected: str) -> None:
        """Refuse a stack whose CloudFormation name is not the one hooks and lookups look for."""
        stack = self.context.get_stack(self.name)
        actual = stack.fqn if stack else self.context.get_fqn(self.name)
        if actual != expected:
            prefix = f"{self.context.namespace}-" if self.context.namespace else ""
            raise ConfigError(
                f"stack name: deployed as {actual!r}, but hooks and lookups find this stack as "
                f"{expected!r}; name the stack {expected.removeprefix(prefix)!r} in the config",
                where=self.where)

    def use(self, template: Template) -> None:
        """Make ``template`` the rendered template of this blueprint."""
        self.template = template

    @property
    def namespace(self) -> str:
        """Return the stacker namespace, which names the environment's stacks."""
        namespace = self.context.namespace
        if not namespace:
            raise ConfigError("namespace: empty; stacker_ecs names stacks '<namespace>-...', so set "
                              "'namespace' in the config (e.g. ${namespace} from the environment file)",
                              where=self.where)
        return namespace
