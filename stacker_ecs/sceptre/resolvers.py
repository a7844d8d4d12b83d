"""Sceptre resolvers that read live state, under the same names as stacker's lookups::

    sceptre_user_data:
      RulePriority: !alb_rule_priority web::version=v2
      DesiredCount: !ecs_version_desired_count web::version=v2
      Deployed: !ecs_deployed_version web::version=v2

The argument is the lookup's query (``<app>[::key=value, ...]``); the namespace defaults to the
stack's. Sceptre resolves them on every access, also for ``generate`` and ``diff``: keep volatile
values (``!ecs_live_version``) out of templates, use them in hook arguments or tags.
"""

from __future__ import annotations

from typing import ClassVar

from sceptre.resolvers import Resolver

from stacker_ecs.sceptre.common import EcsSceptreError, stack_namespace


class _EcsResolver(Resolver):
    NAME: ClassVar[str]

    def resolve(self) -> str:
        """Return the read's result as a string; raise one line on failure."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.core.hooks import run_lookup

        try:
            return run_lookup(self.NAME, str(self.argument), self.stack.connection_manager.get_session(),
                              namespace=stack_namespace(self.stack))
        except StackerEcsError as exc:
            raise EcsSceptreError(f"!{self.NAME} {self.argument}: {exc}") from None


class LiveVersion(_EcsResolver):
    """``!ecs_live_version <app>[::default=<value>]``: the version the listener forwards to."""

    NAME: ClassVar[str] = "ecs_live_version"


class Listener(_EcsResolver):
    """``!alb_listener <app>``: the application's HTTPS listener ARN."""

    NAME: ClassVar[str] = "alb_listener"


class RulePriority(_EcsResolver):
    """``!alb_rule_priority <app>::version=<version>``: a free, stable rule priority."""

    NAME: ClassVar[str] = "alb_rule_priority"


class LiveDesiredCount(_EcsResolver):
    """``!ecs_live_desired_count <app>[::default=<n>]``: how many tasks the live version wants."""

    NAME: ClassVar[str] = "ecs_live_desired_count"


class VersionDesiredCount(_EcsResolver):
    """``!ecs_version_desired_count <app>::version=<version>``: the version's own desired count, 0 when new."""

    NAME: ClassVar[str] = "ecs_version_desired_count"


class DeployedVersion(_EcsResolver):
    """``!ecs_deployed_version <app>::version=<version>``: ``<role>:<fingerprint>`` for a version's ``Deployed``."""

    NAME: ClassVar[str] = "ecs_deployed_version"
