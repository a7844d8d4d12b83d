"""Run a console script (an engine's CLI) as its own process would, then end without the interpreter's teardown.

Usage: ``python -P emulator/no_teardown.py <console script> <its arguments>``. The script runs as
``__main__`` with its own ``sys.argv``; its exit status, output and ``atexit`` handlers are what they
would be, and only the freeing of every module and object at the end is skipped
(:mod:`stacker_ecs.process_exit`: 0.3-0.6 s after a stacker, Runway or Sceptre run, hundreds of runs in
the tests). An uncaught exception prints its traceback and ends with status 1, as Python's does.
``-P`` keeps this directory off ``sys.path``.
"""

from __future__ import annotations

import runpy
import sys

from stacker_ecs.process_exit import exit_status, exit_without_teardown


def run_script(path: str, args: list[str]) -> int:
    """Run the script at ``path`` with ``args`` as ``__main__``; return the status its process would end with."""
    sys.argv = [path, *args]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        return exit_status(exc)
    except BaseException:  # reported as the interpreter reports it
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


if __name__ == "__main__":
    exit_without_teardown(run_script(sys.argv[1], sys.argv[2:]))
