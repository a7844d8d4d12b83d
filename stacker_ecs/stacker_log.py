"""One line per refusal in the stacker CLI: our errors lose stacker's tracebacks and lookup wrapper.

stacker 1.7 logs a failed stack step with ``logger.exception`` (the message and a traceback), then
logs the step as ``failed (<str(exception)>)``; a lookup's error is wrapped first in
"Couldn't resolve lookup in variable ..., lookup: ...: (<class ...>)". For an error this suite
raised on purpose (a :class:`StackerEcsError`, whose message names the cause and the fix) the
filters below log our message alone, once, without a traceback, and shorten the step's line to
``<stack>: failed``. A bug in our code (any other exception) keeps its traceback.
"""

from __future__ import annotations

import logging

from stacker_ecs.core.errors import StackerEcsError


def ours(error: BaseException | None) -> StackerEcsError | None:
    """Return the error this suite raised on purpose that ``error`` is or wraps, or None."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, StackerEcsError):
            return error
        error = getattr(error, "error", None) or error.__cause__ or error.__context__
        seen += 1
    return None


class _OurErrorsInOneLine(logging.Filter):
    """On ``stacker.plan``: our error's message, without a traceback or lookup wrapper."""

    def __init__(self, said: set[str]) -> None:
        super().__init__()
        self.said = said

    def filter(self, record: logging.LogRecord) -> bool:
        error = ours(record.exc_info[1]) if record.exc_info else None
        if error is not None:
            self.said.add(str(record.exc_info[1]))
            record.msg, record.args, record.exc_info, record.exc_text = str(error), (), None, None
        return True


class _NoRepeatOnTheStepLine(logging.Filter):
    """On ``stacker.ui``: ``<stack>: failed`` instead of repeating (or wrapping) our message."""

    def __init__(self, said: set[str]) -> None:
        super().__init__()
        self.said = said

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            for reason in list(self.said):
                record.msg = record.msg.replace(f" ({reason})", "")
        return True


def install() -> None:
    """Add the filters to stacker's plan and ui loggers (once)."""
    plan, ui = logging.getLogger("stacker.plan"), logging.getLogger("stacker.ui")
    if any(isinstance(f, _OurErrorsInOneLine) for f in plan.filters):
        return
    said: set[str] = set()
    plan.addFilter(_OurErrorsInOneLine(said))
    ui.addFilter(_NoRepeatOnTheStepLine(said))
