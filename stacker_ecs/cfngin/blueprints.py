"""CFNgin blueprints: ``class_path: stacker_ecs.cfngin.blueprints.<Cluster|Application|Version>``.

The same variables, checks and templates as stacker's (both are :class:`SpecAdapter`\\ s); the
Version blueprint takes ``Deployed`` and ``SettingsFile`` too (see
:mod:`stacker_ecs.core.blueprint_adapter`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from runway.cfngin.blueprints.base import Blueprint

from stacker_ecs.cfngin import log
from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core.blueprint_adapter import SpecAdapter

log.install()


class SpecBlueprint(SpecAdapter, Blueprint):
    """A CFNgin blueprint whose variables are a spec, rendered by one core builder."""

    NEW_VERSION: ClassVar[str] = "VERSION=<new>"

    def values(self) -> dict[str, Any]:
        """Return the resolved variables."""
        return dict(self.variables)

    def resolve_variables(self, provided_variables: list[Any]) -> None:
        """Refuse unknown variables (CFNgin would drop them silently) and missing required ones."""
        self.check_given(v.name for v in provided_variables)
        super().resolve_variables(provided_variables)

    def create_template(self) -> None:
        """Refuse a persistent graph, validate the variables, check the stack's name, and render the template."""
        refuse_persistent_graph(self.context, where=self.where)
        self.template = self.render_spec()


class Cluster(SpecBlueprint):
    """One ECS cluster per environment. Stack name in the config: ``cluster``."""

    KIND = "cluster"


class Application(SpecBlueprint):
    """One ALB per app and environment. Stack name in the config: ``app-<app>``."""

    KIND = "application"


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-V-<version>``."""

    KIND = "version"
