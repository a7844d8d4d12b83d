"""The Sceptre template handler ``stacker_ecs``: one of the three blueprints, from ``sceptre_user_data``::

    template:
      type: stacker_ecs
      blueprint: version          # cluster | application | version
    sceptre_user_data: {App: web, Version: v2, ...}   # the blueprint's variables, as in stacker

It renders through :func:`stacker_ecs.core.blueprint.render_stack`, as the stacker and CFNgin
blueprints do (same variables, ``Deployed`` and ``SettingsFile`` included, same checks). The stack's
CloudFormation name must be the one hooks and resolvers look for: ``<namespace>-cluster``,
``<namespace>-app-<app>`` or ``<namespace>-app-<app>-V-<version>``, where the namespace is the group
config's ``ecs_namespace`` or ``<project_code>-<group path>``. Relative ``TaskDefinitionFile`` and
``SettingsFile`` paths start at the Sceptre project directory.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from sceptre.template_handlers import TemplateHandler

from stacker_ecs.sceptre.common import NAMESPACE_KEY, EcsSceptreError, group_path

KINDS = ("cluster", "application", "version")
SET_THEM = "in sceptre_user_data"


def project_paths(values: dict[str, Any], project: str | None) -> dict[str, Any]:
    """Return ``values`` with relative file paths made relative to the Sceptre project directory."""
    from stacker_ecs.core.blueprint import PATH_VARIABLES

    values = dict(values)
    for name in PATH_VARIABLES:
        path = values.get(name)
        if isinstance(path, str) and project and not posixpath.isabs(path):
            values[name] = str(Path(project) / path)
    return values


class Blueprint(TemplateHandler):
    """Render a stacker_ecs blueprint; refuse bad variables, a stack name hooks would not find, and an
    in-place change of a serving version."""

    def schema(self) -> dict[str, Any]:
        """Return the JSON schema of the handler's arguments."""
        return {"type": "object", "properties": {"blueprint": {"type": "string", "enum": list(KINDS)}},
                "required": ["blueprint"], "additionalProperties": False}

    def handle(self) -> str:
        """Return the rendered template as JSON; raise one line on bad input."""
        from stacker_ecs.core import blueprint as core
        from stacker_ecs.core.errors import StackerEcsError

        kind = self.arguments["blueprint"]
        where = f"stack {self.name!r} ({kind} blueprint)"
        try:
            variables = project_paths(dict(self.sceptre_user_data or {}), self.stack_group_config.get("project_path"))
            core.check_variables(kind, variables, where=where, set_them=SET_THEM)
            actual = self.connection_manager.stack_name
            namespace = (self.stack_group_config.get(NAMESPACE_KEY)
                         or self._derived_namespace(kind, variables, actual, where))
            return core.render_stack(kind, variables, namespace=str(namespace), stack_name=actual, where=where,
                                     new_version="--var version=<new>", rename=lambda expected: expected).to_json()
        except StackerEcsError as exc:
            raise EcsSceptreError(str(exc)) from None

    def _derived_namespace(self, kind: str, variables: dict[str, Any], actual: str, where: str) -> str:
        from stacker_ecs.core.blueprint import stack_suffix
        from stacker_ecs.core.errors import ConfigError

        suffix = stack_suffix(kind, variables, where=where)
        group = group_path(self.name)
        want = f"<project_code>-{group}-{suffix}" if group else f"<project_code>-{suffix}"
        namespace = actual.removesuffix(f"-{suffix}") if actual.endswith(f"-{suffix}") else ""
        if not namespace or (group and not namespace.endswith(f"-{group}")):
            raise ConfigError(
                f"stack name: deployed as {actual!r}, but hooks and resolvers find this stack as {want!r} "
                f"(namespace <project_code>-<group path>); name the stack file '{suffix}.yaml' or set "
                f"stack_name to that name (or set {NAMESPACE_KEY} in the group config)", where=where)
        return namespace
