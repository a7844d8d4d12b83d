"""An ``UpdateStack`` that changes nothing is refused with "No updates are to be performed.".

AWS: a ``ValidationError`` with exactly that message when the template, parameters and tags are
unchanged; stacker 1.7 catches it and reports the stack as not changed, without polling it.
moto 5.2.5 refuses only when parameters were passed and the template text is identical, so our
parameter-less templates "update" every time (and stacker polls each no-op update).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack

from emulator.aws_like._patch import replace

NO_UPDATES = "No updates are to be performed."


def _unchanged(backend: CloudFormationBackend, stack: Stack, template: str, parameters: list[dict[str, Any]],
               tags: dict[str, str] | None) -> bool:
    if not template or not stack.has_template(template):
        return False
    resolved = backend._resolve_update_parameters(instance=stack, incoming_params=parameters)
    return resolved == dict(stack.parameters) and (tags is None or tags == dict(stack.tags or {}))


def _update_stack(original: Any) -> Any:
    def update_stack(self: CloudFormationBackend, name: str, template: str, role_arn: str | None,
                     parameters: list[dict[str, Any]], tags: dict[str, str] | None) -> Stack:
        stack = self.get_stack(name)
        if _unchanged(self, stack, template, parameters, tags):
            raise ValidationError(stack.name, message=NO_UPDATES)
        return original(self, name, template, role_arn, parameters, tags)
    return update_stack


def apply() -> None:
    """Install the behaviour."""
    replace(CloudFormationBackend, "update_stack", _update_stack)
