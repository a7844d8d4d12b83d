"""stacker lookups that read live state: one class per entry of :data:`stacker_ecs.core.registry.LOOKUPS`.

Register them in the config (``config/stacker-Dev.yml``)::

    lookups:
      ecs_live_version: stacker_ecs.lookups.LiveVersionLookup
      alb_rule_priority: stacker_ecs.lookups.RulePriorityLookup
      ...

Each hands its query to :func:`stacker_ecs.core.registry.run_lookup` (which parses it, builds the
AWS context and calls one read of :mod:`stacker_ecs.core.ops.lookups`) and returns a string (what
CloudFormation parameters and blueprint variables take). These are plain classes (no metaclass),
as stacker 1.7 requires.
"""

from __future__ import annotations

from typing import Any

from stacker.lookups.handlers import LookupHandler
from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.registry import LOOKUPS, run_lookup

stacker_log.install()


class EcsLookup(LookupHandler):
    """Hands the query to core lookup ``TYPE_NAME`` with stacker's session and the config's namespace."""

    TYPE_NAME = ""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the lookup's answer as a string."""
        return run_lookup(cls.TYPE_NAME, value, get_session(getattr(provider, "region", None)),
                          namespace=getattr(context, "namespace", None) or None)


for _lookup in LOOKUPS.values():
    globals()[_lookup.class_name] = type(_lookup.class_name, (EcsLookup,), {
        "TYPE_NAME": _lookup.name, "__module__": __name__,
        "__doc__": f"``${{{_lookup.name} {_lookup.syntax}}}``: {_lookup.summary}"})

__all__ = ["EcsLookup", *(lookup.class_name for lookup in LOOKUPS.values())]
