"""What the Sceptre adapters share: the namespace of a stack, what a stack is, its hooks' arguments, failures."""

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


def hook_args(tag: str, argument: Any) -> dict[str, Any] | None:
    """Return a lifecycle hook's arguments without ``enabled``, or None when it is not enabled."""
    from stacker_ecs.core.errors import ConfigError

    if not isinstance(argument, dict):
        raise ConfigError(f"the argument is {argument!r}; give a mapping of the hook's args", where=f"hook !{tag}")
    data = dict(argument)
    enabled = data.pop("enabled", True)
    if not isinstance(enabled, bool):
        text = str(enabled).strip().lower()
        if text not in {"true", "false"}:
            raise ConfigError(f"enabled: {enabled!r} is not true or false; write true or false", where=f"hook !{tag}")
        enabled = text == "true"
    return data if enabled else None


LAUNCHED_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


def require_launched(session: Any, stack_name: str, *, hook: str) -> None:
    """Refuse to run ``hook`` unless ``stack_name`` was created or updated cleanly.

    Sceptre runs its ``after_*`` hooks even when the launch failed.
    """
    from stacker_ecs.core.aws import AwsContext, describe_stack
    from stacker_ecs.core.errors import AwsStateError

    stack = describe_stack(AwsContext.create(session), stack_name)
    status = stack["StackStatus"] if stack else "absent"
    if status not in LAUNCHED_STATES:
        raise AwsStateError(f"stack {stack_name!r} is {status}, so its launch did not succeed; {hook} "
                            "did nothing. Fix the stack and launch it again")
