"""A resource that fails to create rolls its stack back: ``ROLLBACK_COMPLETE``, resources deleted, no outputs.

AWS: ``CreateStack`` returns at once; a resource failure later marks the resource ``CREATE_FAILED``,
the stack ``ROLLBACK_IN_PROGRESS`` ("The following resource(s) failed to create: [...]"), deletes
what was created and ends ``ROLLBACK_COMPLETE``, which can only be deleted (stacker then needs
``--recreate-failed``). moto 5.2.5 returns the resource's error from ``CreateStack`` and leaves the
stack ``CREATE_IN_PROGRESS`` forever. Template errors (moto's ``ValidationError``) stay refusals of
the call, as on AWS.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack, cloudformation_backends

from emulator.aws_like._patch import replace


class NoOutputs(dict):  # type: ignore[type-arg]
    """A rolled-back or deleted stack's output map: nothing, and no exports (moto would re-create
    deleted resources lazily to resolve them)."""

    exports: list[Any] = []


def failed_resource(stack: Stack, exc: Exception) -> str:
    """Return the logical id of the resource that failed: named by the error, else the first not created."""
    named = getattr(exc, "logical_id", None)
    if named:
        return str(named)
    created = stack.resource_map._parsed_resources
    return next((key for key in stack.template_dict.get("Resources", {}) if key not in created), "Unknown")


def _event(stack: Stack, logical_id: str, resource_type: str, status: str, reason: str) -> None:
    stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
                              physical_resource_id="", resource_type=resource_type, resource_status=status,
                              resource_status_reason=reason, resource_properties=None))


def roll_back(stack: Stack, exc: Exception) -> None:
    """Do what CloudFormation does after a resource failed to create."""
    logical_id = failed_resource(stack, exc)
    resource_type = stack.template_dict.get("Resources", {}).get(logical_id, {}).get("Type", "")
    reason = getattr(exc, "message", None) or str(exc)
    _event(stack, logical_id, resource_type, "CREATE_FAILED", reason)
    summary = f"The following resource(s) failed to create: [{logical_id}]. Rollback requested by user."
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=summary)
    with contextlib.suppress(Exception):
        stack.resource_map.delete()
    backend = cloudformation_backends[stack.account_id][stack.region_name]
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            backend.exports.pop(name)
    stack.output_map = NoOutputs()
    stack.resource_map._resource_json_map = {}  # nothing left (moto would create resources lazily on a read)
    stack.status = "ROLLBACK_COMPLETE"
    stack.stack_status_reason = summary
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _create_stack(original: Any) -> Any:
    def create_stack(self: CloudFormationBackend, name: str, *args: Any, **kwargs: Any) -> Stack:
        try:
            return original(self, name, *args, **kwargs)
        except ValidationError:
            raise
        except Exception as exc:
            # moto creates resources lazily, some while resolving exports: find the half-made stack.
            stack = next((s for s in self.stacks.values() if s.name == name and s.status != "DELETE_COMPLETE"), None)
            if stack is None:
                raise
            roll_back(stack, exc)
            return stack
    return create_stack


def apply() -> None:
    """Install the behaviour."""
    replace(CloudFormationBackend, "create_stack", _create_stack)
