"""Start-up time of ``stacker-ecs`` commands beside ``import boto3`` and a seed-style script.

Each case runs in a fresh interpreter of this venv (``.pth`` included, as every command runs), the
cases interleaved, ``repeats`` times; the figure is the least CPU time (user + system) a run took,
which the load of a shared machine disturbs least. A command's case is what ``stacker-ecs
<command>`` does before its first AWS call (as :func:`stacker_ecs.cli.main`): parse its options,
import boto3, validate them with its model (pydantic builds a model's validator at its first use), import
its operation and output. ``python -m scripts.startup [repeats]`` prints the table alone.

CPU times move with the machine's load by more than a change to our imports saves (tens of ms on a
shared machine). ``python -m scripts.startup --instructions`` counts instead the instructions each case
executes under valgrind's callgrind (same count on every run; about 20 s a case; needs ``valgrind``).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

BOTO3 = "import boto3"
# The seed's scripts: boto3 and the files they read (ecs.json, ecs-config.yml, .env).
SEED = "import boto3, json, os, yaml"
# What validating a command's options with pydantic costs at least: boto3, pydantic and one model.
PYDANTIC = "import boto3\nfrom pydantic import BaseModel\nclass Args(BaseModel):\n    app: str\nArgs(app='web')"
COMMAND = """import sys
sys.argv = ["stacker-ecs", *{argv!r}]
from stacker_ecs import cli
command = cli.COMMANDS[sys.argv[1]]
options = cli.parse_arguments(sys.argv[1:])
import boto3
cli.arguments(options), cli.load(command.operation), command.text and cli.load(command.text)
"""
COMMANDS = {
    "status": ["status", "web", "--namespace", "ecs-dev"],
    "cutover": ["cutover", "web", "v2", "--namespace", "ecs-dev"],
    "cleanup": ["cleanup", "web", "--namespace", "ecs-dev"],
}
BAR = 1.3
"""A command may take at most this many times ``import boto3``."""


def cpu_seconds(code: str) -> float:
    """Return the CPU time (user + system) of ``python -c code`` in a fresh interpreter.

    ``getrusage`` counts in microseconds (``os.times`` in 10 ms ticks, a twentieth of a case).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(code: str) -> int:
    """Return the instructions ``python -c code`` executes in a fresh interpreter (valgrind's callgrind)."""
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],
                         capture_output=True, text=True, check=True, env={**os.environ, "PYTHONMALLOC": "malloc"})
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {run.stderr[-500:]}")
    return int(found[1])


def cases() -> dict[str, str]:
    """Return case -> the code it runs."""
    return {"import boto3": BOTO3, "seed-style script": SEED, "boto3 + one pydantic model": PYDANTIC,
            **{f"stacker-ecs {name}": COMMAND.format(argv=argv) for name, argv in COMMANDS.items()}}


def count() -> dict[str, int]:
    """Return case -> instructions, two cases at a time (each in its own valgrind)."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind on PATH (e.g. apt-get install valgrind)")
    runs = cases()
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(runs, pool.map(instructions, runs.values()), strict=True))


def measure(repeats: int = 20) -> dict[str, float]:
    """Return case -> least CPU seconds over ``repeats`` interleaved runs."""
    runs = cases()
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, code in runs.items():
            best[name] = min(best[name], cpu_seconds(code))
    return best


def report(repeats: int = 20, *, counted: bool = False) -> str:
    """Return the table: each case's start-up and its ratio to ``import boto3`` (bar: 1.3 for commands).

    ``counted``: instructions executed (:func:`count`) instead of the least CPU time of ``repeats`` runs.
    """
    figures: dict[str, float] = {**count()} if counted else measure(repeats)
    base = figures["import boto3"]
    how = "instructions executed (callgrind)" if counted else f"least CPU time of {repeats} runs"
    lines = [f"start-up, {how} (bar: a command <= {BAR} x import boto3):"]
    for name, figure in figures.items():
        flag = "  OVER" if name.startswith("stacker-ecs") and figure > BAR * base else ""
        shown = f"{figure / 1e6:>7.0f} M" if counted else f"{figure:>7.3f} s"
        lines.append(f"  {name:<28}{shown} {figure / base:>6.2f} x{flag}")
    return "\n".join(lines)


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    print(report(numbers[0] if numbers else 20, counted="--instructions" in sys.argv))
