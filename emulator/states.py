"""Put stacks into states moto cannot reach on its own (in-process moto only).

moto never fails a stack: a resource error leaves it CREATE_IN_PROGRESS, and delete always
succeeds. Real accounts have ROLLBACK_COMPLETE and DELETE_FAILED stacks, and cleanup, cutover and
the lookups must cope with them, so tests set those states on moto's own record of the stack.
A version whose create failed has no outputs and no resources left: create it from
``failed_version_template`` (our version description, nothing else) and set ROLLBACK_COMPLETE.
"""

from __future__ import annotations

import json

from moto.cloudformation.models import Event, cloudformation_backends
from moto.core import DEFAULT_ACCOUNT_ID

from stacker_ecs.core import contract


def failed_version_template(app: str, version: str, environment: str = "dev") -> str:
    """Return what is left of a version stack whose create failed: our description, no outputs."""
    return json.dumps({"Description": contract.version_description(app, version, environment),
                       "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}}})


def set_stack_status(stack_name: str, status: str, region: str = "us-east-1") -> None:
    """Set the status of the live (not deleted) stack called ``stack_name``."""
    backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][region]
    stack = next(s for s in backend.stacks.values() if s.name == stack_name and s.status != "DELETE_COMPLETE")
    stack.status = status


def fail_delete(stack_name: str, reason: str = "The following resource(s) failed to delete: [TargetGroup].",
                region: str = "us-east-1") -> bool:
    """Turn the just-deleted stack ``stack_name`` into a DELETE_FAILED one; return whether one was found.

    moto's delete always succeeds (it moves the stack to its deleted list); AWS fails one whose
    resources are still in use and keeps it, DELETE_FAILED, with the reason.
    """
    backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][region]
    for stack_id, stack in list(backend.deleted_stacks.items()):
        if stack.name == stack_name:
            stack.status = "DELETE_FAILED"
            stack.status_reason = reason
            backend.stacks[stack_id] = backend.deleted_stacks.pop(stack_id)
            return True
    return False


def fail_update(stack_name: str, logical_id: str, resource_type: str, reason: str, tags: dict[str, str],
                region: str = "us-east-1") -> None:
    """Turn the just-applied update of ``stack_name`` into one AWS rolled back: ``logical_id`` failed with
    ``reason``, the stack is UPDATE_ROLLBACK_COMPLETE and has its ``tags`` from before the update again.

    moto applies every update; AWS rolls one back when a resource refuses it (a tag its service
    does not let the caller set, say), and names the resource and the reason in the stack's events.
    """
    backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][region]
    stack = next(s for s in backend.stacks.values() if s.name == stack_name and s.status != "DELETE_COMPLETE")
    if stack.events and stack.events[-1].resource_status == "UPDATE_COMPLETE":
        stack.events.pop()
    stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
                              physical_resource_id="", resource_type=resource_type, resource_status="UPDATE_FAILED",
                              resource_status_reason=reason, resource_properties=None))
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) "
                                                                                 f"failed to update: [{logical_id}].")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack.tags = dict(tags)
