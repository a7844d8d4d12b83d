"""Drive the real Runway (CFNgin) and Sceptre CLIs on a copy of the example configs, against the emulator.

Both examples read the account's ids (VPC, subnets, certificate, hosted zone) from their
environment's values, so the tests and the demo give them the emulator's: CFNgin through the
more specific ``<environment>-<region>.env`` it reads after ``<environment>.env``, Sceptre through
a ``--var-file`` on top of the example's own. Each run works on its own copy of ``config/``.
Sceptre's CLI runs without its fixed 4 s sleep per stack (:mod:`emulator.sceptre_no_wait`), and every
engine's process ends without the interpreter's teardown (:func:`engine_cli`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from emulator.server import REGION

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENVIRONMENT = "dev"
NO_WAIT = ROOT / "emulator" / "sceptre_no_wait.py"
"""Sceptre's console script (``sceptre.cli:cli``) without its poll's sleeps."""
NO_TEARDOWN = ROOT / "emulator" / "no_teardown.py"


def engine_cli(name: str) -> list[str]:
    """Return the command line of this venv's console script ``name`` (``stacker``, ``runway``), run to the end of
    its own process but without the interpreter's teardown (:mod:`emulator.no_teardown`)."""
    return [sys.executable, "-P", str(NO_TEARDOWN), str(BIN / name)]


def copy_config(dest: Path) -> Path:
    """Copy the example ``config/`` directory to ``dest/config`` and return that."""
    target = dest / "config"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "config", target)
    return target


@dataclass
class Runway:
    """``runway deploy --ci`` of a copy of ``config/runway.yml``."""

    config: Path
    env: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    """Environment-file values over ``cfngin/dev.env`` (the emulator's ids, test settings)."""

    def command(self, command: str = "deploy", *, values: dict[str, str] | None = None,
                **switches: str) -> tuple[list[str], dict[str, str]]:
        """Write the values file; return ``runway <command> --ci`` and its environment (``APP=...``)."""
        lines = [f"{key}: {value}" for key, value in {**self.values, **(values or {})}.items()]
        (self.config / "cfngin" / f"{ENVIRONMENT}-{REGION}.env").write_text("\n".join(lines) + "\n")
        env = {**self.env, "DEPLOY_ENVIRONMENT": ENVIRONMENT, "CFNGIN_STACK_POLL_TIME": "0", "CI": "1",
               **{key.upper(): value for key, value in switches.items()}}
        return [*engine_cli("runway"), command, "--ci"], env

    def run(self, command: str = "deploy", *, values: dict[str, str] | None = None,
            **switches: str) -> subprocess.CompletedProcess[str]:
        """Run ``runway <command> --ci`` with ``switches`` (``app="web"`` is ``APP=web``) and extra ``values``."""
        args, env = self.command(command, values=values, **switches)
        return subprocess.run(args, env=env, cwd=self.config,  # noqa: S603 - our venv
                              capture_output=True, text=True, timeout=600, check=False)


@dataclass
class Sceptre:
    """``sceptre launch -y dev`` of a copy of ``config/sceptre``, with a var file of the emulator's ids."""

    config: Path
    env: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    """Values over ``sceptre/vars/dev.yaml`` (the emulator's ids, test settings)."""

    @property
    def project(self) -> Path:
        """Return the Sceptre project directory."""
        return self.config / "sceptre"

    def command(self, command: str = "launch", *, values: dict[str, str] | None = None, target: str = ENVIRONMENT,
                **variables: str) -> list[str]:
        """Write the var file; return ``sceptre ... <command> -y <target>`` with ``--var`` ``variables``."""
        var_file = self.project / "vars" / f"{ENVIRONMENT}-emulator.yaml"
        var_file.write_text(yaml.safe_dump({"region": REGION, **self.values, **(values or {})}))
        options = ["--var-file", f"vars/{ENVIRONMENT}.yaml", "--var-file", str(var_file.relative_to(self.project))]
        options += [arg for key, value in variables.items() for arg in ("--var", f"{key}={value}")]
        # -P: the script's directory (emulator/) is not put on sys.path, so it shadows no module
        return [sys.executable, "-P", str(NO_WAIT), *options, command, "-y", target]

    def run(self, command: str = "launch", *, values: dict[str, str] | None = None, target: str = ENVIRONMENT,
            **variables: str) -> subprocess.CompletedProcess[str]:
        """Run ``sceptre <command> -y <target>`` with ``--var`` ``variables`` and extra ``values``."""
        return subprocess.run(self.command(command, values=values, target=target, **variables),  # noqa: S603
                              env=self.env, cwd=self.project, capture_output=True, text=True, timeout=600,
                              check=False)
