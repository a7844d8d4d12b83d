"""``ModifyListener`` refuses a forward to a target group that does not exist.

AWS: ``ModifyListener`` answers ``TargetGroupNotFound`` ("One or more target groups not found")
for an unknown target group in ``DefaultActions``, including each group of a ``ForwardConfig``
(botocore's elbv2 model lists ``TargetGroupNotFoundException`` for the operation). moto 5.2.5
validates ``ModifyRule``'s and ``CreateListener``'s actions but stores ``ModifyListener``'s as
given, so a restore to a deleted target group "succeeds" and the site answers 503.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import ELBv2Backend, FakeAction

from emulator.aws_like._patch import replace


def _modify_listener(original: Any) -> Any:
    def modify_listener(self: ELBv2Backend, arn: str, *args: Any, **kwargs: Any) -> Any:
        actions = kwargs.get("actions") if "actions" in kwargs else (args[4] if len(args) > 4 else None)
        if actions:
            self._validate_actions([FakeAction(action) for action in actions])
        return original(self, arn, *args, **kwargs)
    return modify_listener


def apply() -> None:
    """Install the behaviour."""
    replace(ELBv2Backend, "modify_listener", _modify_listener)
