"""A pre-cutover test: run the team's command against the new version before any traffic moves.

``smoke_command`` (a cutover argument) runs through ``/bin/sh -c`` after the version is verified at
the live size and before the first write of live traffic (the atomic switch or a canary's first
step), with the environment below. A non-zero exit, or running past ``smoke_timeout_seconds``,
refuses the cutover: no traffic moved, the live version stays, and the message shows the command's
last lines. Its output goes to the log line by line only on failure, so a passing run stays quiet.

- ``STACKER_ECS_APP``, ``STACKER_ECS_VERSION``
- ``STACKER_ECS_PREVIEW_URL``: ``https://<version>.<app>.<domain>`` (the version's own host)
- ``STACKER_ECS_LIVE_HOST``: ``<app>.<domain>``
- ``STACKER_ECS_TEST_HEADER``: ``X-Stacker-Ecs-Version: <version>``; with it, requests to the live host
  reach this version (its test-header rule), and ``STACKER_ECS_TEST_HEADER_NAME`` / ``_VALUE`` apart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError

LAST_LINES = 20
"""How many of the command's last output lines a refusal shows."""


class SmokeTestFailedError(AwsStateError):
    """The smoke command exited non-zero or ran out of time; no traffic moved."""


def smoke_environment(app: str, version: str, domain: str) -> dict[str, str]:
    """Return the variables the smoke command gets (besides this process's own environment)."""
    return {"STACKER_ECS_APP": app, "STACKER_ECS_VERSION": version,
            "STACKER_ECS_PREVIEW_URL": f"https://{naming.version_host(app, version, domain)}",
            "STACKER_ECS_LIVE_HOST": naming.app_host(app, domain),
            "STACKER_ECS_TEST_HEADER": f"{naming.TEST_HEADER}: {version}",
            "STACKER_ECS_TEST_HEADER_NAME": naming.TEST_HEADER, "STACKER_ECS_TEST_HEADER_VALUE": version}


def run_smoke(aws: AwsContext, command: str, *, app: str, version: str, domain: str, live: str | None,
              timeout_seconds: float) -> None:
    """Run ``command`` for ``version``; raise :class:`SmokeTestFailedError` (naming its last lines) unless it passes."""
    log = aws.about(version, app=app).log
    log.info("smoke command: %s", command)
    started = time.monotonic()
    environment = {**os.environ, **smoke_environment(app, version, domain)}
    # The command is the deployer's own configuration (a hook argument or CLI option), run as they would.
    process = subprocess.Popen(["/bin/sh", "-c", command], env=environment, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout_seconds)
        why = f"exited {process.returncode}" if process.returncode else ""
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        why = f"ran past smoke_timeout_seconds ({timeout_seconds:g}s) and was stopped"
    seconds = time.monotonic() - started
    if not why:
        log.info("smoke command passed in %.1fs", seconds)
        return
    last = deque((output or "").splitlines(), maxlen=LAST_LINES)
    for line in last:
        log.info("smoke | %s", line)
    shown = "\n  | ".join(last) if last else "(no output)"
    raise SmokeTestFailedError(
        f"cutover refused, {live or 'nothing'} stays live and no traffic moved: the smoke command {command!r} {why} "
        f"after {seconds:.1f}s. Its last lines:\n  | {shown}\nFix the version (or the test) and cut over again",
        app=app, version=version)
