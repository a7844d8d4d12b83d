"""CFNgin lookups that read live state, under the same names as stacker's: one class per registry entry.

Register them (``config/cfngin/ecs.yml``)::

    lookups:
      ecs_live_version: stacker_ecs.cfngin.lookups.LiveVersionLookup
      alb_rule_priority: stacker_ecs.cfngin.lookups.RulePriorityLookup
      ...

CFNgin needs subclasses of its own ``LookupHandler`` (an ABC, which stacker refuses), hence
classes apart from stacker's. Each hands its query to :func:`stacker_ecs.core.registry.run_lookup`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from runway.lookups.handlers.base import LookupHandler

from stacker_ecs.cfngin import log
from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core.registry import LOOKUPS, run_lookup

log.install()


class EcsLookup(LookupHandler):
    """Hands the query to core lookup ``TYPE_NAME`` with a session from the context and the config's namespace."""

    TYPE_NAME: ClassVar[str]

    @classmethod
    def handle(cls, value: str, context: Any, *, provider: Any = None, **_: Any) -> str:
        """Return the read's result as a string."""
        refuse_persistent_graph(context, where=f"lookup {cls.TYPE_NAME} {value!r}")
        session = context.get_session(region=getattr(provider, "region", None))
        return run_lookup(cls.TYPE_NAME, value, session, namespace=getattr(context, "namespace", None) or None)


for _lookup in LOOKUPS.values():
    globals()[_lookup.class_name] = type(_lookup.class_name, (EcsLookup,), {
        "TYPE_NAME": _lookup.name, "__module__": __name__,
        "__doc__": f"``${{{_lookup.name} {_lookup.syntax}}}``: {_lookup.summary}"})

__all__ = ["EcsLookup", *(lookup.class_name for lookup in LOOKUPS.values())]
