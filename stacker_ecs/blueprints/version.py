"""stacker blueprint of a version stack (see :mod:`stacker_ecs.core.templates.version`)."""

from __future__ import annotations

from stacker_ecs.blueprints.base import SpecBlueprint
from stacker_ecs.core import naming
from stacker_ecs.core.app_settings import load_settings
from stacker_ecs.core.model import Spec, parse
from stacker_ecs.core.ops.redeploy import check_redeploy, stamp
from stacker_ecs.core.templates.version import VersionSpec, build_version, check_task, load_task

DEPLOYED = "Deployed"
SETTINGS_FILE = "SettingsFile"


class Version(SpecBlueprint):
    """One stack per build of an app. Stack name in the config: ``app-<app>-V-<version>``.

    Besides the spec's variables it takes ``Deployed: ${ecs_deployed_version <app>::version=<v>}``
    (with it, a build that would change a live, previous or serving version in place is refused)
    and ``SettingsFile: config/apps/<app>/version.yaml`` (the app's own variables, which win over
    the config's: the config's generic version stack holds what every app shares).
    """

    SPEC = VersionSpec
    ADAPTER_VARIABLES = (DEPLOYED, SETTINGS_FILE)
    """Variables of this adapter that are not spec fields."""

    def spec(self) -> Spec:
        """Return the validated spec: the settings file's variables over the config's."""
        variables = self.get_variables()
        values = {k: v for k, v in variables.items() if k not in (DEPLOYED, SETTINGS_FILE)}
        if variables.get(SETTINGS_FILE):
            values.update(load_settings(str(variables[SETTINGS_FILE]), where=self.where))
        return parse(self.SPEC, values, where=self.where)

    def create_template(self) -> None:
        """Validate the variables and the task definition, refuse an in-place change of a serving version,
        then render the version template."""
        spec = self.spec()
        self.check_stack_name(naming.version_stack(self.namespace, spec.app, spec.version))
        template = build_version(spec, check_task(spec, load_task(spec, where=self.where), where=self.where))
        fingerprint = stamp(template)
        deployed = self.get_variables().get(DEPLOYED)
        if deployed is not None:
            check_redeploy(spec.app, spec.version, deployed, fingerprint, where=self.where)
        self.use(template)


Version.VARIABLES = {
    **Version.VARIABLES,
    DEPLOYED: {"type": object, "default": None,
               "description": "What is deployed of this version: ${ecs_deployed_version <app>::version=<version>}"},
    SETTINGS_FILE: {"type": object, "default": None,
                    "description": "YAML file of this app's Version variables (config/apps/<app>/version.yaml)"},
}
