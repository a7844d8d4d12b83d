"""Deleting a stack deletes its ECS services, listener rules and target groups, or fails like AWS.

AWS: ``DeleteStack`` deletes every resource; a target group still used by a listener (even at
weight 0 in a forward) cannot be deleted, so the stack ends ``DELETE_FAILED`` ("The following
resource(s) failed to delete: [TargetGroup].") and keeps what is left; a later ``DeleteStack``
retries, and may name ``RetainResources`` to leave them (only for a ``DELETE_FAILED`` stack).
Resources go in reverse dependency order: a version's ``Service`` (it references the target group)
is deleted before the target group fails, so a live version deleted by hand loses its tasks.
A protected stack is refused before anything is deleted (:mod:`.termination`). Each resource left
gets its own ``DELETE_FAILED`` event with the reason (a cluster that still has services:
:mod:`.cluster_delete`), then the stack's event names them all.
moto 5.2.5 has no delete for ``AWS::ECS::Service``, ``AWS::ElasticLoadBalancingV2::ListenerRule``
or ``TargetGroup``: it forgets the stack and keeps them, so re-deploying a version fails with
``PriorityInUse`` and later reads answer HTTP 500.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.ecs.exceptions import ServiceNotFoundException
from moto.ecs.models import Service, ecs_backends
from moto.elbv2.exceptions import RuleNotFoundError, TargetGroupNotFoundError
from moto.elbv2.models import FakeListenerRule, FakeTargetGroup, elbv2_backends

from emulator.aws_like._patch import replace
from emulator.aws_like.stack_create import NoOutputs, _event
from emulator.aws_like.termination import refuse_if_protected


def _delete_service(self: Service, account_id: str, region: str) -> None:
    with contextlib.suppress(ServiceNotFoundException):
        ecs_backends[account_id][region].delete_service(self.cluster_name, self.name, force=True)


def _delete_rule(self: FakeListenerRule, account_id: str, region: str) -> None:
    with contextlib.suppress(RuleNotFoundError):
        elbv2_backends[account_id][region].delete_rule(self.arn)


def _delete_target_group(self: FakeTargetGroup, account_id: str, region: str) -> None:
    with contextlib.suppress(TargetGroupNotFoundError):
        elbv2_backends[account_id][region].delete_target_group(self.arn)


def _remaining(stack: Any) -> list[str]:
    declared = stack.template_dict.get("Resources", {})
    return [key for key in declared if key in stack.resource_map._parsed_resources]


class KeptOutputs(dict):  # type: ignore[type-arg]
    """A ``DELETE_FAILED`` stack's outputs as they were (moto would re-create deleted resources to resolve them)."""

    exports: list[Any] = []


def _delete_dependents(stack: Any) -> None:
    """Delete the services left behind: AWS deletes them before the target group they reference fails."""
    parsed = stack.resource_map._parsed_resources
    for logical_id, resource in list(parsed.items()):
        if isinstance(resource, Service):
            _delete_service(resource, stack.account_id, stack.region_name)
            parsed.pop(logical_id)


def _delete_stack(original: Any) -> Any:
    def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        if stack is None:
            return original(self, name_or_stack_id)
        refuse_if_protected(stack)
        outputs = KeptOutputs({key: out for key in list(stack.output_map) if (out := stack.output_map[key])})
        try:
            original(self, stack.stack_id)
            stack.output_map = NoOutputs()
            return None
        except Exception as exc:
            self.stacks[stack.stack_id] = stack
            _delete_dependents(stack)
            stack.output_map = outputs
            reason = getattr(exc, "message", None) or str(exc)
            for logical_id in _remaining(stack):  # each resource's own event first, as CloudFormation records them
                resource_type = stack.template_dict["Resources"][logical_id].get("Type", "")
                _event(stack, logical_id, resource_type, "DELETE_FAILED", reason)
            summary = f"The following resource(s) failed to delete: [{', '.join(_remaining(stack))}]. {reason}"
            stack.status = "DELETE_FAILED"
            stack.stack_status_reason = summary
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=summary)
            return None
    return delete_stack


def _retain(stack: Any, logical_ids: list[str]) -> None:
    if stack.status != "DELETE_FAILED":
        raise ValidationError(stack.stack_id, message=f"Invalid operation on stack [{stack.stack_id}]: "
                              "RetainResources can only be specified when the stack is in the DELETE_FAILED state")
    for logical_id in logical_ids:  # kept parsed (outputs still resolve), no longer deleted
        stack.resource_map._resource_json_map.pop(logical_id, None)


def _delete_stack_response(original: Any) -> Any:
    def delete_stack(self: CloudFormationResponse) -> Any:
        retain = self._get_param("RetainResources", [])
        if retain:
            _retain(self.cloudformation_backend.get_stack(self._get_param("StackName")), retain)
        return original(self)
    return delete_stack


def apply() -> None:
    """Install the behaviour."""
    replace(Service, "delete", lambda _: _delete_service)
    replace(FakeListenerRule, "delete", lambda _: _delete_rule)
    replace(FakeTargetGroup, "delete", lambda _: _delete_target_group)
    replace(CloudFormationBackend, "delete_stack", _delete_stack)
    replace(CloudFormationResponse, "delete_stack", _delete_stack_response)
