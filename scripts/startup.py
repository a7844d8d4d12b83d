"""Start-up time of ``stacker-ecs`` commands beside ``import boto3`` and a seed-style script.

Each case runs in a fresh interpreter of this venv (``.pth`` included, as every command runs), the
cases interleaved, ``repeats`` times; the figure is the least CPU time (user + system) a run took,
which the load of a shared machine disturbs least. A command's case is what ``stacker-ecs
<command>`` does before its first AWS call (as :func:`stacker_ecs.cli.main`): parse its options,
import boto3, validate them with its model (pydantic builds a model's validator at its first use), import
its operation and output. ``python -m scripts.startup [repeats]`` prints the table alone.
"""

from __future__ import annotations

import resource
import subprocess
import sys

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


def measure(repeats: int = 20) -> dict[str, float]:
    """Return case -> least CPU seconds over ``repeats`` interleaved runs."""
    cases = {"import boto3": BOTO3, "seed-style script": SEED, "boto3 + one pydantic model": PYDANTIC,
             **{f"stacker-ecs {name}": COMMAND.format(argv=argv) for name, argv in COMMANDS.items()}}
    best = {name: float("inf") for name in cases}
    for _ in range(repeats):
        for name, code in cases.items():
            best[name] = min(best[name], cpu_seconds(code))
    return best


def report(repeats: int = 20) -> str:
    """Return the table: each case's start-up and its ratio to ``import boto3`` (bar: 1.3 for commands)."""
    best = measure(repeats)
    base = best["import boto3"]
    lines = [f"start-up, least CPU time of {repeats} runs (bar: a command <= {BAR} x import boto3):"]
    for name, seconds in best.items():
        flag = "  OVER" if name.startswith("stacker-ecs") and seconds > BAR * base else ""
        lines.append(f"  {name:<28}{seconds:>7.3f} s {seconds / base:>6.2f} x{flag}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
