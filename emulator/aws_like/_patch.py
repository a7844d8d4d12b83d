"""Install a replacement for one moto function, once, keeping the original for the replacement to call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ORIGINALS: dict[tuple[type, str], Any] = {}


def replace(owner: type, name: str, build: Callable[[Any], Any], *, kind: str = "function") -> None:
    """Set ``owner.name`` to ``build(original)`` unless already done; ``kind`` "classmethod" re-wraps it."""
    key = (owner, name)
    if key in ORIGINALS:
        return
    original = owner.__dict__.get(name)
    ORIGINALS[key] = original
    if kind == "classmethod":
        setattr(owner, name, classmethod(build(original.__func__ if original else None)))
    else:
        setattr(owner, name, build(original))
