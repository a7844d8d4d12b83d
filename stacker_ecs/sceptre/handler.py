"""The Sceptre template handler ``stacker_ecs``: one of the three blueprints, from ``sceptre_user_data``::

    template:
      type: stacker_ecs
      blueprint: version          # cluster | application | version
    sceptre_user_data: {App: web, Version: v2, ...}   # the blueprint's variables, as in stacker

The stack's CloudFormation name must be the one hooks and resolvers look for: ``<namespace>-cluster``,
``<namespace>-app-<app>`` or ``<namespace>-app-<app>-<version>``, where the namespace is the group
config's ``ecs_namespace`` or ``<project_code>-<group path>``. So ``dev/cluster.yaml`` in project
``ecs`` is ``ecs-dev-cluster`` (namespace ``ecs-dev``); a version stack sets
``stack_name: "{{ stack_group_config.project_code }}-dev-app-web-{{ var.web_version }}"``.
A relative ``TaskDefinitionFile`` starts at the Sceptre project directory.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from sceptre.template_handlers import TemplateHandler

from stacker_ecs.sceptre.common import NAMESPACE_KEY, EcsSceptreError, group_path

KINDS = ("cluster", "application", "version")


class Blueprint(TemplateHandler):
    """Render a stacker_ecs blueprint; refuse bad variables and a stack name hooks would not find."""

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

        kind = self.arguments["blueprint"]
        where = f"stack {self.name!r} ({kind} blueprint)"
        values = self._values()
        core.check_variables(core.BLUEPRINTS[kind].spec, values, where=where, set_them="in sceptre_user_data")
        actual = self.connection_manager.stack_name
        namespace = self.stack_group_config.get(NAMESPACE_KEY) or self._derived_namespace(kind, values, actual, where)
        return core.render(kind, values, namespace=str(namespace), stack_name=actual, where=where,
                           rename=lambda expected: expected)

    def _values(self) -> dict[str, Any]:
        values = dict(self.sceptre_user_data or {})
        path = values.get("TaskDefinitionFile")
        project = self.stack_group_config.get("project_path")
        if isinstance(path, str) and project and not posixpath.isabs(path):
            values["TaskDefinitionFile"] = str(Path(project) / path)
        return values

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
