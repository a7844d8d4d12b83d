"""stacker blueprint of a version stack (see :mod:`stacker_ecs.core.templates.version`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core import naming
from stacker_ecs.core.templates.version import VersionSpec, build_version, check_task, load_task


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-<version>``."""

    SPEC = VersionSpec

    def create_template(self) -> None:
        """Validate the variables and the task definition, then render the version template."""
        spec = self.spec()
        self.check_stack_name(naming.version_stack(self.namespace, spec.app, spec.version))
        self.use(build_version(spec, check_task(spec, load_task(spec, where=self.where), where=self.where)))
