"""stacker blueprint of a version stack (see :mod:`stacker_ecs.core.templates.version`)."""

from __future__ import annotations

from typing import Any

from troposphere import Template

from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core.app_settings import load_settings
from stacker_ecs.core.ops.redeploy import check_redeploy, stamp

DEPLOYED = "Deployed"
SETTINGS_FILE = "SettingsFile"


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-V-<version>``.

    Besides the spec's variables it takes ``Deployed: ${ecs_deployed_version <app>::version=<v>}``
    (with it, a build that would change a live, previous or serving version in place is refused)
    and ``SettingsFile: config/apps/<app>/version.yaml`` (the app's own variables, which win over
    the config's: the config's generic version stack holds what every app shares).
    """

    KIND = "version"
    ADAPTER_VARIABLES = {
        DEPLOYED: {"type": object, "default": None,
                   "description": "What is deployed of this version: ${ecs_deployed_version <app>::version=<version>}"},
        SETTINGS_FILE: {"type": object, "default": None,
                        "description": "YAML file of this app's Version variables (config/apps/<app>/version.yaml)"},
    }

    def spec_values(self) -> dict[str, Any]:
        """Return the spec's values: the settings file's variables over the config's."""
        return self.known_spec_values(self.get_variables(), where=self.where)

    @classmethod
    def known_spec_values(cls, variables: dict[str, Any], *, where: str) -> dict[str, Any]:
        """Return the spec's values: the settings file's variables over the config's."""
        values = super().known_spec_values(variables, where=where)
        settings = variables.get(SETTINGS_FILE)
        if settings and "${" not in str(settings):
            values.update(load_settings(str(settings), where=where))
        return values

    def finish(self, template: Template) -> Template:
        """Refuse an in-place change of a serving version (``Deployed``), else stamp and use the template."""
        fingerprint = stamp(template)
        deployed = self.get_variables().get(DEPLOYED)
        if deployed is not None:
            values = self.spec_values()  # already validated by the render
            check_redeploy(str(values["App"]), str(values["Version"]), deployed, fingerprint, where=self.where)
        return template
