"""Per-app version settings in a file, so one generic version stack serves every app of a config.

``config/apps/<app>/version.yaml`` holds the Version variables that differ between apps (for
example ``LaunchType: FARGATE``, ``HealthCheckPath: /health``, ``Autoscaling: true``), in the
same PascalCase as the stack's ``variables``; they win over the config's (which hold what every
app shares).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stacker_ecs.core.errors import ConfigError


def load_settings(path: str, *, where: str) -> dict[str, Any]:
    """Return the variables in the settings file at ``path``; refuse a missing or malformed file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"SettingsFile: {path!r} is not a file (relative paths start at the directory the "
                          "build runs in); create it with the app's version settings, '{}' for none", where=where)
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"SettingsFile: {path!r} is not valid YAML ({exc}); fix it", where=where) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"SettingsFile: {path!r} is not a mapping of variable names to values; write e.g. "
                          "'HealthCheckPath: /health'", where=where)
    return data
