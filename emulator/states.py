"""Put stacks into states moto cannot reach on its own (in-process moto only).

moto never fails a stack: a resource error leaves it CREATE_IN_PROGRESS, and delete always
succeeds. Real accounts have ROLLBACK_COMPLETE and DELETE_FAILED stacks, and cleanup, cutover and
the lookups must cope with them, so tests set those states on moto's own record of the stack.
A version whose create failed has no outputs and no resources left: create it from
``failed_version_template`` (our version description, nothing else) and set ROLLBACK_COMPLETE.
"""

from __future__ import annotations

import json

from moto.cloudformation.models import cloudformation_backends
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
