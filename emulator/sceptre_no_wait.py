"""The real ``sceptre`` CLI (its console script's ``sceptre.cli:cli``), without Sceptre's fixed waits between looks.

Sceptre has no setting for its poll: after each look at a stack it sleeps 4 s
(``StackActions._wait_for_completion``), also after the look that found the stack complete, and 2 s
between looks at a change set. The emulator finishes a stack operation within its call, so against
it every stack a launch creates or updates waits 4 s for nothing. This runs Sceptre's CLI with those
sleeps returning at once (only ``sceptre.plan.actions``' own ``time.sleep``; our hooks' waits keep
their clock), as stacker and CFNgin get ``STACKER_STACK_POLL_TIME`` / ``CFNGIN_STACK_POLL_TIME=0``.
The process ends without the interpreter's teardown (:mod:`stacker_ecs.process_exit`).
Usage: ``python emulator/sceptre_no_wait.py <sceptre's arguments>`` (:class:`emulator.engines.Sceptre`).
"""

from __future__ import annotations

import time
from typing import Any

from sceptre.cli import cli
from sceptre.plan import actions

from stacker_ecs.process_exit import run_and_exit


class _NoWait:
    """``sceptre.plan.actions``' ``time``: the module itself, but ``sleep`` returns at once."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(_seconds: float) -> None:
        """Return at once: the emulator's stacks are done by the time Sceptre looks."""


if __name__ == "__main__":
    actions.time = _NoWait()  # type: ignore[assignment]
    run_and_exit(cli)
