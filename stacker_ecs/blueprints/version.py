"""stacker blueprint of a version stack (see :mod:`stacker_ecs.core.templates.version`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-<version>``."""

    KIND = "version"
