"""No import cycles: every module imports on its own, in a fresh interpreter, first of its package."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import emulator
import stacker_ecs

MODULES = sorted(m.name for package, prefix in ((stacker_ecs, "stacker_ecs."), (emulator, "emulator."))
                 for m in pkgutil.walk_packages(package.__path__, prefix))
ENGINES = ("stacker", "runway", "sceptre")


def test_every_module_imports_alone_and_the_core_imports_no_engine():
    # One interpreter per module: a cycle (version.py <-> version_iam.py, say) only shows when one of
    # its modules is the first one imported.
    code = """
import importlib, subprocess, sys
for name in sys.argv[1:]:
    probe = (f"import sys; import {name}; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'stacker', 'runway', 'sceptre'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    print(name, done.returncode, done.stdout.strip(), done.stderr.strip().splitlines()[-1:] )
"""
    results = subprocess.run([sys.executable, "-c", code, *MODULES], capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": ".", "PATH": ""}).stdout.splitlines()

    failed = [line for line in results if line.split()[1] != "0"]
    assert failed == []
    core_importing_an_engine = [line.split()[0] for line in results
                                if line.startswith("stacker_ecs.core") and not line.endswith("[] []")]
    assert core_importing_an_engine == []
    assert len(results) == len(MODULES) > 40
