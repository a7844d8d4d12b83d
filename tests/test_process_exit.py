"""Commands and engine runs end without the interpreter's teardown, with the same status, output and atexit handlers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.engines import NO_TEARDOWN

BIN = Path(sys.executable).parent


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``args`` with stdout block-buffered, as in a pipeline's log (so an exit that does not flush loses it)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, env=env)


def test_the_console_script_prints_its_whole_result_and_exits_with_the_commands_status() -> None:
    done = run([str(BIN / "stacker-ecs"), "--output", "json", "iam-policy", "--principal", "pipeline",
                "--namespace", "ecs-dev"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"]["Version"] == "2012-10-17"  # the whole document reached the pipe
    refused = run([str(BIN / "stacker-ecs"), "iam-policy", "--principal", "nobody", "--namespace", "ecs-dev"])
    assert refused.returncode == 2
    assert "nobody" in refused.stderr
    usage = run([str(BIN / "stacker-ecs"), "status", "web", "--namespace", "ecs-dev", "--no-such-option"])
    assert usage.returncode == 2
    assert "unrecognized arguments: --no-such-option" in usage.stderr


SCRIPTS = {
    "falls off its end": ("print('out')", 0, "out", ""),
    "sys.exit(3)": ("print('out'); import sys; sys.exit(3)", 3, "out", ""),
    "sys.exit with a message": ("import sys; sys.exit('cannot go on')", 1, "", "cannot go on"),
    "an uncaught exception": ("raise RuntimeError('boom')", 1, "", "RuntimeError: boom"),
    "an atexit handler": ("import atexit, sys; atexit.register(lambda: print('handler ran'))", 0, "handler ran", ""),
    "a log line": ("import logging; logging.basicConfig(); logging.getLogger().error('logged')",
                   0, "", "ERROR:root:logged"),
    "a non-daemon thread still running": (
        "import threading, time; threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()",
        0, "thread done", ""),
}


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_an_engine_script_ends_as_its_own_process_would(tmp_path: Path, name: str) -> None:
    code, status, out, err = SCRIPTS[name]
    script = tmp_path / "engine"
    script.write_text(code + "\n")
    done = run([sys.executable, "-P", str(NO_TEARDOWN), str(script), "--an", "argument"])
    plain = run([sys.executable, str(script), "--an", "argument"])
    assert (done.returncode, plain.returncode) == (status, status)
    assert out in done.stdout
    assert err in done.stderr
    assert done.stdout == plain.stdout


def test_an_engine_script_gets_its_own_arguments(tmp_path: Path) -> None:
    script = tmp_path / "engine"
    script.write_text("import sys; print(sys.argv[1:], __name__)\n")
    done = run([sys.executable, "-P", str(NO_TEARDOWN), str(script), "build", "-e", "app=web"])
    assert done.stdout.strip() == "['build', '-e', 'app=web'] __main__"
