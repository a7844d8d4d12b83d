"""stacker blueprint of a version stack (see :mod:`stacker_ecs.core.templates.version`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-V-<version>``.

    Besides the spec's variables it takes ``Deployed: ${ecs_deployed_version <app>::version=<v>}``
    (with it, a build that would change a live, previous or serving version in place is refused)
    and ``SettingsFile: config/apps/<app>/version.yaml`` (the app's own variables, which win over
    the config's: the config's generic version stack holds what every app shares); see
    :mod:`stacker_ecs.core.blueprint_adapter`.
    """

    KIND = "version"
