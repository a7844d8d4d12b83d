"""stacker blueprint of the cluster stack (see :mod:`stacker_ecs.core.templates.cluster`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core import naming
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster


class Cluster(SpecBlueprint):
    """One ECS cluster per environment. Stack name in the config: ``cluster``."""

    SPEC = ClusterSpec

    def create_template(self) -> None:
        """Validate the variables and render the cluster template."""
        spec = self.spec()
        self.check_stack_name(naming.cluster_stack(self.namespace))
        self.use(build_cluster(spec))
