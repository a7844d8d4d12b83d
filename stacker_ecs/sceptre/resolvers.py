"""Sceptre resolvers that read live state, under the same names as stacker's lookups::

    sceptre_user_data:
      RulePriority: !alb_rule_priority web::version=v2
      DesiredCount: !ecs_version_desired_count web::version=v2
      Deployed: !ecs_deployed_version web::version=v2

One resolver per entry of :data:`stacker_ecs.core.registry.LOOKUPS`. The argument is the lookup's
query (``<app>[::key=value, ...]``); the namespace defaults to the stack's. Sceptre resolves them
on every access, also for ``generate`` and ``diff``: keep volatile values (``!ecs_live_version``)
out of templates, use them in hook arguments or tags.
"""

from __future__ import annotations

from typing import ClassVar

from sceptre.resolvers import Resolver

from stacker_ecs.core.registry import LOOKUPS
from stacker_ecs.sceptre.common import EcsSceptreError, stack_namespace


class EcsResolver(Resolver):
    """Hands its argument to core lookup ``NAME`` with the stack's session and namespace."""

    NAME: ClassVar[str]

    def resolve(self) -> str:
        """Return the read's result as a string; raise one line on failure."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.core.registry import run_lookup

        try:
            return run_lookup(self.NAME, str(self.argument), self.stack.connection_manager.get_session(),
                              namespace=stack_namespace(self.stack))
        except StackerEcsError as exc:
            raise EcsSceptreError(f"!{self.NAME} {self.argument}: {exc}") from None


for _lookup in LOOKUPS.values():
    globals()[_lookup.resolver_name] = type(_lookup.resolver_name, (EcsResolver,), {
        "NAME": _lookup.name, "__module__": __name__,
        "__doc__": f"``!{_lookup.name} {_lookup.syntax}``: {_lookup.summary}"})

__all__ = ["EcsResolver", *(lookup.resolver_name for lookup in LOOKUPS.values())]
