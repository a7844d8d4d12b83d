"""One line per refusal in the stacker CLI: our errors lose stacker's tracebacks and lookup wrapper.

stacker 1.7 logs a failed stack step with ``logger.exception`` (the message and a traceback), then
logs the step as ``failed (<str(exception)>)``; a lookup's error is wrapped first in
"Couldn't resolve lookup in variable ..., lookup: ...: (<class ...>)". For an error this suite
raised on purpose (a :class:`StackerEcsError`, whose message names the cause and the fix) the
filters below log our message alone, once, without a traceback, and shorten the step's line to
``<stack>: failed``. A bug in our code (any other exception) keeps its traceback. The filters know
no engine: :func:`install_on` puts them on any engine's loggers (CFNgin's too, see
:mod:`stacker_ecs.cfngin.log`).

A plain run (no app named) reads as what it did: :func:`install_quiet_on` drops every line about the
placeholder version stack ``app-none-V-none`` (``skipped (disabled)``, ``stacker info``'s "does not
exist"), and the engine's "Executing post_build hooks: ..." names only the hooks that are enabled
(none: no line), as they are the ones that run.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from stacker_ecs.core.errors import StackerEcsError

OUR_ERROR = f"{StackerEcsError.__module__}.{StackerEcsError.__qualname__}"


def is_ours(error: BaseException) -> bool:
    """Return whether ``error`` is a :class:`StackerEcsError`, by name: an engine that imports our modules
    again (Runway pops the modules a CFNgin run imported) makes new classes, while filters stay."""
    return any(f"{cls.__module__}.{cls.__qualname__}" == OUR_ERROR for cls in type(error).__mro__)


def ours(error: BaseException | None) -> BaseException | None:
    """Return the error this suite raised on purpose that ``error`` is or wraps, or None."""
    seen = 0
    while error is not None and seen < 5:
        if is_ours(error):
            return error
        error = (getattr(error, "error", None) or getattr(error, "cause", None) or error.__cause__
                 or error.__context__)
        seen += 1
    return None


class _Said(logging.Filter):
    """A filter that shares, with its pair, the messages of our errors already logged."""

    def __init__(self, said: set[str]) -> None:
        super().__init__()
        self.said = said


class _OurErrorsInOneLine(_Said):
    """On the engine's plan logger: our error's message, without a traceback or lookup wrapper."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = ours(record.exc_info[1]) if record.exc_info else None
        if error is not None:
            self.said.add(str(record.exc_info[1]))
            record.msg, record.args, record.exc_info, record.exc_text = str(error), (), None, None
        return True


class _NoRepeatOnTheStepLine(_Said):
    """On the engine's step logger: ``<stack>: failed`` instead of repeating (or wrapping) our message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            for reason in list(self.said):
                record.msg = record.msg.replace(f" ({reason})", "")
        return True


PLACEHOLDER = re.compile(r"\bapp-none-V-")
"""The version stack of a build that names no app (``app-${app}-V-${version}`` with ``app: none``)."""


class _NoPlaceholder(logging.Filter):
    """Drops every line about the placeholder version stack of a run that names no app."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not PLACEHOLDER.search(record.getMessage())


def _hooks_being_run() -> list[Any] | None:
    """Return the hooks of the engine's ``handle_hooks`` call that is logging, or None outside one."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "handle_hooks" and isinstance(frame.f_locals.get("hooks"), list):
            return frame.f_locals["hooks"]
        frame = frame.f_back
    return None


class _OnlyHooksThatRun(logging.Filter):
    """Names, in "Executing <stage> hooks: ...", only the enabled hooks; drops the line when none is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.lower().startswith("executing %s hooks")):
            return True
        hooks = _hooks_being_run()
        if hooks is None or not isinstance(record.args, tuple) or len(record.args) != 2:
            return True
        enabled = [str(hook.path) for hook in hooks if getattr(hook, "enabled", True)]
        if not enabled:
            return False
        record.args = (record.args[0], ", ".join(enabled))
        return True


def install_quiet_on(hooks: str, *loggers: str) -> None:
    """Add the plain-run filters: hook lists of what runs (on ``hooks``), no placeholder stack (on ``loggers``)."""
    hook_logger = logging.getLogger(hooks)
    if any(type(f).__name__ == _OnlyHooksThatRun.__name__ for f in hook_logger.filters):
        return
    hook_logger.addFilter(_OnlyHooksThatRun())
    for name in (hooks, *loggers):
        logging.getLogger(name).addFilter(_NoPlaceholder())


def install_on(errors: str, steps: str) -> None:
    """Add the filters to the logger that logs a failed step's exception and the one that logs its line (once)."""
    plan, ui = logging.getLogger(errors), logging.getLogger(steps)
    if any(type(f).__name__ == _OurErrorsInOneLine.__name__ for f in plan.filters):  # by name: see is_ours
        return
    said: set[str] = set()
    plan.addFilter(_OurErrorsInOneLine(said))
    ui.addFilter(_NoRepeatOnTheStepLine(said))


def install() -> None:
    """Add the filters to stacker's plan and ui loggers (once)."""
    install_on("stacker.plan", "stacker.ui")
    install_quiet_on("stacker.hooks.utils", "stacker.plan", "stacker.ui", "stacker.actions.build",
                     "stacker.actions.info")
