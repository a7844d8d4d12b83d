"""stacker blueprint of an application stack (see :mod:`stacker_ecs.core.templates.application`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint


class Application(SpecBlueprint):
    """One ALB per app and environment. Stack name in the config: ``app-<app>``."""

    KIND = "application"
