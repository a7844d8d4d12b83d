"""moto's CloudFormation reads a JSON template with the json module, as CloudFormation reads JSON.

moto 5.2.5 reads every template body with PyYAML's pure-Python loader first (JSON is YAML) and falls
back to ``json`` only when that fails: about 25 ms for one of our version templates against 0.05 ms,
and it reads a body on each stack create, update, change set and template summary (thousands in the
suite, in-process and in the emulator's server). :func:`apply` makes those reads try ``json`` first
for a body that is a JSON object, and hand anything else (YAML, or JSON that ``json`` refuses) to
moto's own YAML read unchanged. For a JSON template the mapping is the same, except that a number in
exponent form is a number, as in CloudFormation, where PyYAML would give a string
(``tests/emulator/test_json_templates.py``).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import yaml
from moto.cloudformation import models, responses


class _JsonFirst(ModuleType):
    """PyYAML as moto's CloudFormation modules see it, whose ``load`` reads a JSON object with ``json``."""

    def __getattr__(self, name: str) -> Any:
        return getattr(yaml, name)

    @staticmethod
    def load(stream: Any, Loader: Any) -> Any:  # noqa: N803 - PyYAML's keyword
        """Return the JSON object ``stream`` holds, or what PyYAML reads from it."""
        if isinstance(stream, str) and stream.lstrip().startswith("{"):
            try:
                return json.loads(stream)
            except ValueError:
                pass
        return yaml.load(stream, Loader=Loader)  # noqa: S506 - moto's own call, its loader


def apply() -> None:
    """Install the JSON-first read in moto's CloudFormation models and responses (idempotent)."""
    for module in (models, responses):
        if not isinstance(module.yaml, _JsonFirst):
            module.yaml = _JsonFirst("yaml")
