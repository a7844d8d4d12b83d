"""One line per refusal in the stacker CLI: our errors lose stacker's tracebacks and lookup wrapper.

stacker 1.7 logs a failed stack step with ``logger.exception`` (the message and a traceback), then
logs the step as ``failed (<str(exception)>)``; a lookup's error is wrapped first in
"Couldn't resolve lookup in variable ..., lookup: ...: (<class ...>)". For an error this suite
raised on purpose (a :class:`StackerEcsError`, whose message names the cause and the fix) the
filters below drop the traceback record and the wrapper, leaving the ``failed (...)`` line with our
message alone. A bug in our code (any other exception) keeps its traceback.
"""

from __future__ import annotations

import logging
import re

from stacker_ecs.core.errors import StackerEcsError

WRAPPER = re.compile(r"Couldn't resolve lookup in variable `[^`]*`, lookup: \$\{.*?\}: "
                     r"\(<class 'stacker_ecs\.[\w.]+'>\) ", re.DOTALL)


def ours(error: BaseException | None) -> bool:
    """Return whether ``error`` is, or wraps, an error this suite raised on purpose."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, StackerEcsError):
            return True
        error = getattr(error, "error", None) or error.__cause__ or error.__context__
        seen += 1
    return False


class _DropOurTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and ours(record.exc_info[1]))


class _UnwrapOurLookupErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Couldn't resolve lookup" in record.msg:
            record.msg = WRAPPER.sub("", record.msg)
        return True


def install() -> None:
    """Add the filters to stacker's plan and ui loggers (once)."""
    for name, kind in (("stacker.plan", _DropOurTracebacks), ("stacker.ui", _UnwrapOurLookupErrors)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
