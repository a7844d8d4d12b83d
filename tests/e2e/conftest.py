"""End-to-end fixtures: a moto_server on loopback, seeded, with the ECS agent playing ECS.

Each test process (each xdist worker) starts one emulator server and resets it before every test
that uses it (``POST /moto-api/reset``, which :mod:`emulator.serve` extends to the emulator's own
state): a test sees a fresh account, as with a server of its own, without paying the server's
start (an interpreter, moto, and the first call of each service) every time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.ecs_agent import EcsAgent
from emulator.engines import engine_cli
from emulator.seed import seed
from emulator.server import REGION, client_env, moto_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = ["config/dev.env", "config/stacker-Dev.yml"]
BROKEN = "web_v3"


@dataclass
class Emulator:
    """A running moto_server and what it takes to drive the real CLIs against it."""

    url: str
    env: dict[str, str]
    world: dict[str, str]
    session: boto3.Session
    agent: EcsAgent

    def stacker(self, *settings: str, command: str = "build",
                extra: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real ``stacker`` CLI on the example config with ``-e`` settings."""
        options = [a for k, v in self.world.items() for a in ("-e", f"{k}={v}")]
        options += [a for s in settings for a in ("-e", s)] + (extra or [])
        return subprocess.run([*engine_cli("stacker"), command, "-r", REGION, *options, *CONFIG],
                              env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)

    def stacker_ecs_command(self) -> list[str]:
        """Return the command line of the real ``stacker-ecs`` CLI, up to its subcommand."""
        return [str(BIN / "stacker-ecs"), "--region", REGION]

    def stacker_ecs(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real ``stacker-ecs`` CLI."""
        return subprocess.run([*self.stacker_ecs_command(), *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)


class SharedServer:
    """One emulator server for a test process, handed out reset; started again if it ever stopped."""

    def __init__(self, **server: Any) -> None:
        self._stack = contextlib.ExitStack()
        self.url = ""
        self.server = server or {"extra_env": {"EMULATOR_UNSTARTABLE_SERVICES": BROKEN}}
        """The arguments of :func:`emulator.server.moto_server`."""

    def fresh(self) -> str:
        """Return the URL of the server with every backend and the emulator's state reset."""
        if self.url:
            try:
                reset = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
                with urllib.request.urlopen(reset, timeout=30):  # noqa: S310 - loopback only
                    return self.url
            except OSError:  # it stopped (a crash): start another
                self.close()
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(moto_server(**self.server))
        return self.url

    def close(self) -> None:
        """Stop the server."""
        self._stack.close()
        self.url = ""


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[SharedServer]:
    """This test process's emulator server (``web_v3`` can never start on it); use :func:`emulator`."""
    server = SharedServer()
    yield server
    server.close()


@pytest.fixture
def emulator(emulator_server: SharedServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A freshly reset moto_server with a seeded world and a running ECS agent (``web_v3`` never starts).

    The server knows ``web_v3`` cannot start too: a stack creating it with tasks fails as CloudFormation
    does with the circuit breaker.
    """
    url = emulator_server.fresh()
    for key, value in client_env(url).items():
        monkeypatch.setenv(key, value)
    env = {**os.environ, **client_env(url)}
    session = boto3.Session(region_name=REGION)
    world = seed(session).as_env()
    with EcsAgent(boto3.Session(region_name=REGION), broken={BROKEN}).running(interval_seconds=0.2) as agent:
        yield Emulator(url=url, env=env, world=world, session=session, agent=agent)
