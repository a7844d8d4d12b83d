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

from stacker_ecs.process_exit import run_and_exit


def run_script() -> None:
    """Run the script ``sys.argv[1]`` as ``__main__``, with the arguments after it as its own."""
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    run_and_exit(run_script)
