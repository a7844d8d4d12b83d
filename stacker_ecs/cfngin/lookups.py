"""CFNgin lookups that read live state, under the same names as stacker's. Register them::

    lookups:
      ecs_live_version: stacker_ecs.cfngin.lookups.LiveVersionLookup
      alb_listener: stacker_ecs.cfngin.lookups.ListenerLookup
      alb_rule_priority: stacker_ecs.cfngin.lookups.RulePriorityLookup
      ecs_live_desired_count: stacker_ecs.cfngin.lookups.LiveDesiredCountLookup
      ecs_version_desired_count: stacker_ecs.cfngin.lookups.VersionDesiredCountLookup
      ecs_deployed_version: stacker_ecs.cfngin.lookups.DeployedVersionLookup

CFNgin needs subclasses of its own ``LookupHandler`` (an ABC, which stacker refuses), hence
classes apart from stacker's. Each hands its query to :func:`stacker_ecs.core.hooks.run_lookup`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from runway.lookups.handlers.base import LookupHandler

from stacker_ecs.cfngin import log
from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core.hooks import run_lookup

log.install()


class _EcsLookup(LookupHandler):
    TYPE_NAME: ClassVar[str]

    @classmethod
    def handle(cls, value: str, context: Any, *, provider: Any = None, **_: Any) -> str:
        """Return the read's result as a string."""
        refuse_persistent_graph(context, where=f"lookup {cls.TYPE_NAME} {value!r}")
        session = context.get_session(region=getattr(provider, "region", None))
        return run_lookup(cls.TYPE_NAME, value, session, namespace=getattr(context, "namespace", None) or None)


class LiveVersionLookup(_EcsLookup):
    """``${ecs_live_version <app>[::default=<value>]}``: the version the listener forwards to."""

    TYPE_NAME: ClassVar[str] = "ecs_live_version"


class ListenerLookup(_EcsLookup):
    """``${alb_listener <app>}``: the application's HTTPS listener ARN."""

    TYPE_NAME: ClassVar[str] = "alb_listener"


class RulePriorityLookup(_EcsLookup):
    """``${alb_rule_priority <app>::version=<version>}``: a free, stable rule priority."""

    TYPE_NAME: ClassVar[str] = "alb_rule_priority"


class LiveDesiredCountLookup(_EcsLookup):
    """``${ecs_live_desired_count <app>[::default=<n>]}``: how many tasks the live version wants."""

    TYPE_NAME: ClassVar[str] = "ecs_live_desired_count"


class VersionDesiredCountLookup(_EcsLookup):
    """``${ecs_version_desired_count <app>::version=<version>}``: the version's own desired count, 0 when new."""

    TYPE_NAME: ClassVar[str] = "ecs_version_desired_count"


class DeployedVersionLookup(_EcsLookup):
    """``${ecs_deployed_version <app>::version=<version>}``: ``<role>:<fingerprint>`` for the Version's ``Deployed``."""

    TYPE_NAME: ClassVar[str] = "ecs_deployed_version"
