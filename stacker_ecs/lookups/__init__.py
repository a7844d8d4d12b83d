"""stacker lookups that read live state. Register them in the config::

    lookups:
      ecs_live_version: stacker_ecs.lookups.LiveVersionLookup
      alb_listener: stacker_ecs.lookups.ListenerLookup
      alb_rule_priority: stacker_ecs.lookups.RulePriorityLookup
      ecs_live_desired_count: stacker_ecs.lookups.LiveDesiredCountLookup
      ecs_version_desired_count: stacker_ecs.lookups.VersionDesiredCountLookup
      ecs_deployed_version: stacker_ecs.lookups.DeployedVersionLookup

Each handler hands its query to :func:`stacker_ecs.core.hooks.run_lookup` (which parses it, builds
the AWS context and calls one read in :mod:`stacker_ecs.core.ops.queries`) and returns a
string (what CloudFormation parameters and blueprint variables take). These are plain classes
(no metaclass), as stacker 1.7 requires.
"""

from __future__ import annotations

from typing import Any

from stacker.lookups.handlers import LookupHandler
from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.hooks import run_lookup

stacker_log.install()

class _EcsLookup(LookupHandler):
    """Hands the query to core lookup ``TYPE_NAME`` with stacker's session and the config's namespace."""

    TYPE_NAME = ""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the lookup's answer as a string."""
        return run_lookup(cls.TYPE_NAME, value, get_session(getattr(provider, "region", None)),
                          namespace=getattr(context, "namespace", None) or None)


class LiveVersionLookup(_EcsLookup):
    """``${ecs_live_version <app>[::default=<value>]}``: the version the listener forwards to."""

    TYPE_NAME = "ecs_live_version"


class ListenerLookup(_EcsLookup):
    """``${alb_listener <app>}``: the application's HTTPS listener ARN."""

    TYPE_NAME = "alb_listener"


class RulePriorityLookup(_EcsLookup):
    """``${alb_rule_priority <app>::version=<version>}``: a free, stable rule priority."""

    TYPE_NAME = "alb_rule_priority"


class LiveDesiredCountLookup(_EcsLookup):
    """``${ecs_live_desired_count <app>[::default=<n>]}``: how many tasks the live version wants."""

    TYPE_NAME = "ecs_live_desired_count"


class VersionDesiredCountLookup(_EcsLookup):
    """``${ecs_version_desired_count <app>::version=<version>}``: the version's own desired count, 0 when new.

    A new version's stack starts at 0 tasks and ``verify_health`` scales it (see :mod:`stacker_ecs.core.ops.start`);
    a re-submitted stack keeps the count its service has.
    """

    TYPE_NAME = "ecs_version_desired_count"


class DeployedVersionLookup(_EcsLookup):
    """``${ecs_deployed_version <app>::version=<version>}``: whether the version serves traffic, and its fingerprint."""

    TYPE_NAME = "ecs_deployed_version"
