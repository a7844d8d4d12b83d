"""stacker blueprint of the cluster stack (see :mod:`stacker_ecs.core.templates.cluster`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint


class Cluster(SpecBlueprint):
    """One ECS cluster per environment. Stack name in the config: ``cluster``."""

    KIND = "cluster"
