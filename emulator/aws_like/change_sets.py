"""A change set's ``Modify`` entries say what changes (``Scope``) and whether it replaces (``Replacement``).

AWS: every ``ResourceChange`` of ``DescribeChangeSet`` has ``Scope`` (e.g. ``["Properties"]``) and,
for ``Modify``, ``Replacement`` (``True``/``False``/``Conditional``). stacker 1.7's ``diff`` reads
``resc_change['Scope']``; moto 5.2.5 leaves both out, so ``stacker diff`` of a changed stack
crashes with ``KeyError: 'Scope'`` half-way, leaving the ``REVIEW_IN_PROGRESS`` stacks of its
"create" change sets behind. The emulator does not compute real replacements: it says
``Conditional``, which AWS uses when it cannot tell either.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import Change

from emulator.aws_like._patch import replace


def _init(original: Any) -> Any:
    def __init__(self: Change, action: str, logical_resource_id: str, resource_type: str) -> None:  # noqa: N807
        original(self, action, logical_resource_id, resource_type)
        self.scope = ["Properties"] if action == "Modify" else []
        if action == "Modify":
            self.replacement = "Conditional"
    return __init__


def apply() -> None:
    """Install the behaviour."""
    replace(Change, "__init__", _init)
