"""Refuse CFNgin's persistent graph, which would delete the previous (maybe live) version stack."""

from __future__ import annotations

from typing import Any

from stacker_ecs.core.errors import ConfigError


def refuse_persistent_graph(context: Any, *, where: str) -> None:
    """Refuse a config with ``persistent_graph_key``.

    With a persistent graph, CFNgin deletes every stack that leaves the config; a version stack
    leaves it at the next build of another version, even while it is live. Refusing at every
    blueprint, hook and lookup means no stack of ours is ever recorded in such a graph.
    """
    key = getattr(getattr(context, "config", None), "persistent_graph_key", None)
    if key:
        raise ConfigError(
            f"persistent_graph_key: {key!r} is set; with it CFNgin deletes every stack that leaves the config, "
            "and a version stack leaves it when the next version is built, even while it is live. Remove "
            "persistent_graph_key (old versions are deleted by the cleanup hook, which never deletes the live one)",
            where=where)
