"""Each engine's adapters import their own engine only, and the core imports none (fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENGINES = ("stacker", "runway", "sceptre")
PROBE = ("import importlib, json, sys\n"
         "for name in sys.argv[1:]: importlib.import_module(name)\n"
         "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'stacker', 'runway', 'sceptre'})))")


def engines_loaded(*modules: str) -> list[str]:
    """Return the engines a fresh interpreter has loaded after importing ``modules``."""
    result = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize(("modules", "engine"), [
    (["stacker_ecs.blueprints.cluster", "stacker_ecs.blueprints.application", "stacker_ecs.blueprints.version",
      "stacker_ecs.hooks", "stacker_ecs.lookups"], "stacker"),
    (["stacker_ecs.cfngin.blueprints", "stacker_ecs.cfngin.hooks", "stacker_ecs.cfngin.lookups"], "runway"),
    (["stacker_ecs.sceptre.handler", "stacker_ecs.sceptre.hooks", "stacker_ecs.sceptre.resolvers",
      "stacker_ecs.sceptre.check"], "sceptre"),
], ids=["stacker", "cfngin", "sceptre"])
def test_importing_an_engines_adapters_loads_that_engine_and_no_other(modules, engine):
    assert engines_loaded(*modules) == [engine]


def test_the_core_and_the_cli_load_no_engine():
    assert engines_loaded("stacker_ecs.core.blueprint", "stacker_ecs.core.registry", "stacker_ecs.core.preflight",
                          "stacker_ecs.cli") == []
