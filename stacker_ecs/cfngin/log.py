"""One line per refusal in ``runway deploy``, and our progress lines in Runway's log.

CFNgin logs a failed stack step's exception with ``LOGGER.exception`` on ``runway.cfngin.plan``
(a traceback, two for a lookup, whose error comes wrapped in "Could not resolve lookup ..."),
then ``<stack>:failed (<reason>)`` on the same logger. For an error this suite raised on purpose,
:func:`stacker_ecs.stacker_log.install_on` makes that our message alone, once, and the step line
``<stack>:failed``; a bug keeps its traceback. Runway's CLI shows only its own ``runway`` loggers,
so our loggers' records (progress such as ``web/v2: 1/2 targets healthy after 3s``, and our
refusals) are handed to Runway's handlers when the CLI has set them up.
"""

from __future__ import annotations

import logging

from stacker_ecs import stacker_log

RUNWAY = "runway"
OURS = "stacker_ecs"


class _ToRunway(logging.Handler):
    """Hand our records to the ``runway`` logger's handlers (the CLI's format and stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        for handler in logging.getLogger(RUNWAY).handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def install() -> None:
    """Add the one-line filters to CFNgin's plan logger and, under the CLI, show our records (once)."""
    stacker_log.install_on("runway.cfngin.plan", "runway.cfngin.plan")
    stacker_log.install_quiet_on("runway.cfngin.hooks.utils", "runway.cfngin.plan", "runway.cfngin.actions.deploy",
                                 "runway.cfngin.actions.info", "runway.cfngin.ui")
    ours = logging.getLogger(OURS)
    # by name: Runway imports our modules again in one run (it pops those a CFNgin run imported)
    if logging.getLogger(RUNWAY).handlers and not any(type(h).__name__ == _ToRunway.__name__ for h in ours.handlers):
        ours.addHandler(_ToRunway())
        if ours.level == logging.NOTSET:
            ours.setLevel(logging.INFO)
