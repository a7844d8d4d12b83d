"""Parse lookup (resolver) queries of the form ``<app>[::key=value, key=value]`` (Runway's syntax)."""

from __future__ import annotations

from typing import TypeVar

from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Args, parse

Q = TypeVar("Q", bound=Args)


def parse_query(model: type[Q], value: str, *, lookup: str, namespace: str | None) -> Q:
    """Return the query ``value`` as ``model``; the namespace defaults to the config's."""
    head, _, tail = str(value).strip().partition("::")
    data: dict[str, str] = {"app": head.strip()}
    for item in filter(None, (part.strip() for part in tail.split(","))):
        key, sep, arg = item.partition("=")
        if not sep:
            raise ConfigError(f"{item!r} is not key=value; write e.g. ${{{lookup} web::default=1}}",
                              where=f"lookup {lookup} {value!r}")
        data[key.strip()] = arg.strip()
    if namespace and "namespace" not in data:
        data["namespace"] = namespace
    return parse(model, data, where=f"lookup {lookup} {value!r}")
