"""Termination protection: ``UpdateTerminationProtection`` exists, and ``DeleteStack`` of a protected stack is refused.

AWS: ``UpdateTerminationProtection`` (botocore's cloudformation model) switches a stack's
``EnableTerminationProtection``; ``DeleteStack`` of a protected stack fails with a ``ValidationError``
("Stack [name] cannot be deleted while TerminationProtection is enabled") and changes nothing.
moto 5.2.5 has no ``UpdateTerminationProtection`` and deletes protected stacks.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult

from emulator.aws_like._patch import replace


def refuse_if_protected(stack: Any) -> None:
    """Raise AWS's refusal when ``stack`` has termination protection on (called by :mod:`.stack_delete`)."""
    if getattr(stack, "enable_termination_protection", False) and stack.status != "DELETE_COMPLETE":
        raise ValidationError(stack.name, message=f"Stack [{stack.name}] cannot be deleted while "
                              "TerminationProtection is enabled")


def _update_termination_protection(_: Any) -> Any:
    def update_termination_protection(self: CloudFormationResponse) -> ActionResult:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        stack.enable_termination_protection = str(self._get_param("EnableTerminationProtection")).lower() == "true"
        return ActionResult({"StackId": stack.stack_id})
    return update_termination_protection


def apply() -> None:
    """Install the behaviour."""
    replace(CloudFormationResponse, "update_termination_protection", _update_termination_protection)
