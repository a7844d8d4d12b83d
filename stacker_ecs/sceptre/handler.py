"""The Sceptre template handler ``stacker_ecs``: one of the three blueprints, from ``sceptre_user_data``::

    template:
      type: stacker_ecs
      blueprint: version          # cluster | application | version
    sceptre_user_data: {App: web, Version: v2, ...}   # the blueprint's variables, as in stacker

The stack's CloudFormation name must be the one hooks and resolvers look for: ``<namespace>-cluster``,
``<namespace>-app-<app>`` or ``<namespace>-app-<app>-V-<version>``, where the namespace is the group
config's ``ecs_namespace`` or ``<project_code>-<group path>``. A version stack also takes, as the
stacker blueprint does, ``Deployed: !ecs_deployed_version <app>::version=<v>`` (a change to a live,
previous or serving version is refused) and ``SettingsFile`` (the app's ``version.yaml``, whose
variables win). Relative ``TaskDefinitionFile`` and ``SettingsFile`` paths start at the Sceptre
project directory.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from sceptre.template_handlers import TemplateHandler

from stacker_ecs.sceptre.common import NAMESPACE_KEY, EcsSceptreError, group_path

KINDS = ("cluster", "application", "version")
DEPLOYED = "Deployed"
SETTINGS_FILE = "SettingsFile"
VERSION_EXTRAS: dict[str, dict[str, Any]] = {
    DEPLOYED: {"default": None,
               "description": "what is deployed of this version: !ecs_deployed_version <app>::version=<version>"},
    SETTINGS_FILE: {"default": None, "description": "YAML file of this app's Version variables"},
}
"""Version variables of the adapter beside the spec's (as the stacker Version blueprint's)."""
PATH_VARIABLES = ("TaskDefinitionFile", SETTINGS_FILE)


def extras(kind: str) -> dict[str, dict[str, Any]]:
    """Return the adapter's own variables of blueprint ``kind``."""
    return VERSION_EXTRAS if kind == "version" else {}


def project_paths(values: dict[str, Any], project: str | None) -> dict[str, Any]:
    """Return ``values`` with relative file paths made relative to the Sceptre project directory."""
    values = dict(values)
    for name in PATH_VARIABLES:
        path = values.get(name)
        if isinstance(path, str) and project and not posixpath.isabs(path):
            values[name] = str(Path(project) / path)
    return values


def spec_values(kind: str, values: dict[str, Any], *, where: str, known: Any = None) -> dict[str, Any]:
    """Return the spec's values: for a version, the settings file's variables over ``sceptre_user_data``'s.

    ``known(value)`` says whether a value is known yet (the check before the launch passes one); the
    settings file is read only when its path is.
    """
    from stacker_ecs.core.app_settings import load_settings

    spec = {name: value for name, value in values.items() if name not in extras(kind)}
    settings = values.get(SETTINGS_FILE) if kind == "version" else None
    if settings is not None and (known is None or known(settings)):
        spec.update(load_settings(str(settings), where=where))
    return spec


class Blueprint(TemplateHandler):
    """Render a stacker_ecs blueprint; refuse bad variables, a stack name hooks would not find, and an
    in-place change of a serving version."""

    def schema(self) -> dict[str, Any]:
        """Return the JSON schema of the handler's arguments."""
        return {"type": "object", "properties": {"blueprint": {"type": "string", "enum": list(KINDS)}},
                "required": ["blueprint"], "additionalProperties": False}

    def handle(self) -> str:
        """Return the rendered template as JSON; raise one line on bad input."""
        from stacker_ecs.core.errors import StackerEcsError

        try:
            return self._render().to_json()
        except StackerEcsError as exc:
            raise EcsSceptreError(str(exc)) from None

    def _render(self) -> Any:
        from stacker_ecs.core import blueprint as core
        from stacker_ecs.core.ops.redeploy import check_redeploy, stamp

        kind = self.arguments["blueprint"]
        where = f"stack {self.name!r} ({kind} blueprint)"
        given = project_paths(dict(self.sceptre_user_data or {}), self.stack_group_config.get("project_path"))
        core.check_variables(core.BLUEPRINTS[kind].spec, given, where=where, set_them="in sceptre_user_data",
                             extra=extras(kind))
        values = spec_values(kind, given, where=where)
        actual = self.connection_manager.stack_name
        namespace = self.stack_group_config.get(NAMESPACE_KEY) or self._derived_namespace(kind, values, actual, where)
        template = core.render(kind, values, namespace=str(namespace), stack_name=actual, where=where,
                               rename=lambda expected: expected)
        if kind == "version":
            fingerprint = stamp(template)
            if given.get(DEPLOYED) is not None:
                check_redeploy(str(values["App"]), str(values["Version"]), str(given[DEPLOYED]), fingerprint,
                               where=where, new_version="--var version=<new>")
        return template

    def _derived_namespace(self, kind: str, values: dict[str, Any], actual: str, where: str) -> str:
        from stacker_ecs.core import blueprint as core
        from stacker_ecs.core.errors import ConfigError

        suffix = core.stack_suffix(kind, values, where=where)
        group = group_path(self.name)
        want = f"<project_code>-{group}-{suffix}" if group else f"<project_code>-{suffix}"
        namespace = actual.removesuffix(f"-{suffix}") if actual.endswith(f"-{suffix}") else ""
        if not namespace or (group and not namespace.endswith(f"-{group}")):
            raise ConfigError(
                f"stack name: deployed as {actual!r}, but hooks and resolvers find this stack as {want!r} "
                f"(namespace <project_code>-<group path>); name the stack file '{suffix}.yaml' or set "
                f"stack_name to that name (or set {NAMESPACE_KEY} in the group config)", where=where)
        return namespace
