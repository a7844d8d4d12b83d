"""What the Sceptre adapters share: the namespace of a stack, and how a failure reaches the user."""

from __future__ import annotations

import posixpath
from typing import Any

from sceptre.exceptions import SceptreException

NAMESPACE_KEY = "ecs_namespace"
"""A stack group config key: the namespace, when it is not ``<project_code>-<group path>``."""


class EcsSceptreError(SceptreException):
    """A refusal or failure of stacker_ecs; Sceptre prints it as one line and exits non-zero.

    Sceptre prints the message as one quoted string, so detail lines are joined with ``; ``.
    """

    def __init__(self, message: str) -> None:
        lines = [line.strip(" -") for line in message.splitlines() if line.strip()]
        super().__init__("; ".join(lines).replace(":; ", ": "))


def group_path(stack_path: str) -> str:
    """Return the stack group of a stack path (``dev/cluster`` -> ``dev``), with ``-`` for ``/``."""
    return posixpath.dirname(stack_path).replace("/", "-")


def derived_namespace(project_code: str, stack_path: str) -> str:
    """Return ``<project_code>-<group path>`` (just the project code for stacks at the top)."""
    group = group_path(stack_path)
    return f"{project_code}-{group}" if group else project_code


def stack_namespace(stack: Any) -> str:
    """Return the namespace of a Sceptre stack: ``ecs_namespace`` from its group config, or derived."""
    explicit = (stack.stack_group_config or {}).get(NAMESPACE_KEY)
    return str(explicit) if explicit else derived_namespace(stack.project_code, stack.name)


HANDLER = "stacker_ecs"
"""The template handler's type (``template: {type: stacker_ecs, blueprint: ...}``)."""


def stack_kind(stack: Any) -> str | None:
    """Return the blueprint of a stack rendered by our handler (``cluster``, ``application``, ``version``), or None."""
    template = (getattr(stack, "config", None) or {}).get("template")
    if isinstance(template, dict) and template.get("type") == HANDLER:
        return str(template.get("blueprint"))
    return None


def stack_user_data(stack: Any) -> dict[str, Any]:
    """Return a stack's ``sceptre_user_data`` as written (resolvers not resolved: no AWS call)."""
    data = (getattr(stack, "config", None) or {}).get("sceptre_user_data")
    return dict(data) if isinstance(data, dict) else {}


def stack_app(stack: Any) -> str | None:
    """Return the app of one of our application or version stacks, or None for any other stack."""
    if stack_kind(stack) not in ("application", "version"):
        return None
    app = stack_user_data(stack).get("App")
    return None if app is None else str(app)
