"""The stacker side of a blueprint: stacker's ``Blueprint`` around the engine-neutral ``SpecAdapter``."""

from __future__ import annotations

from typing import Any, ClassVar

from stacker.blueprints.base import Blueprint

from stacker_ecs import stacker_log
from stacker_ecs.core.blueprint_adapter import SpecAdapter

stacker_log.install()


class SpecBlueprint(SpecAdapter, Blueprint):
    """A stacker blueprint whose variables are a spec, rendered by one core builder."""

    NEW_VERSION: ClassVar[str] = "-e version=<new>"

    def values(self) -> dict[str, Any]:
        """Return the resolved variables."""
        return self.get_variables()

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (stacker would drop them silently) and missing required ones."""
        self.check_given(v.name for v in provided_variables)
        super().resolve_variables(provided_variables)

    def create_template(self) -> None:
        """Validate the variables, check the stack's name, and render the template."""
        self.template = self.render_spec()
