"""stacker blueprint of an application stack (see :mod:`stacker_ecs.core.templates.application`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core import naming
from stacker_ecs.core.templates.application import ApplicationSpec, build_application


class Application(SpecBlueprint):
    """One ALB per app and environment. Stack name in the config: ``app-<app>``."""

    SPEC = ApplicationSpec

    def create_template(self) -> None:
        """Validate the variables and render the application template."""
        spec = self.spec()
        self.check_stack_name(naming.application_stack(self.namespace, spec.app))
        self.use(build_application(spec))
