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

def _lookup(name: str, value: str, context: Any, provider: Any) -> str:
    return run_lookup(name, value, get_session(getattr(provider, "region", None)),
                      namespace=getattr(context, "namespace", None) or None)


class LiveVersionLookup(LookupHandler):
    """``${ecs_live_version <app>[::default=<value>]}``: the version the listener forwards to."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the live version of the app."""
        return _lookup("ecs_live_version", value, context, provider)


class ListenerLookup(LookupHandler):
    """``${alb_listener <app>}``: the application's HTTPS listener ARN."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the listener ARN."""
        return _lookup("alb_listener", value, context, provider)


class RulePriorityLookup(LookupHandler):
    """``${alb_rule_priority <app>::version=<version>}``: a free, stable rule priority."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the priority as a string."""
        return _lookup("alb_rule_priority", value, context, provider)


class LiveDesiredCountLookup(LookupHandler):
    """``${ecs_live_desired_count <app>[::default=<n>]}``: how many tasks the live version wants."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the desired count as a string."""
        return _lookup("ecs_live_desired_count", value, context, provider)


class VersionDesiredCountLookup(LookupHandler):
    """``${ecs_version_desired_count <app>::version=<version>}``: the version's own desired count, 0 when new.

    A new version's stack starts at 0 tasks and ``verify_health`` scales it (see :mod:`stacker_ecs.core.ops.start`);
    a re-submitted stack keeps the count its service has.
    """

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the desired count as a string."""
        return _lookup("ecs_version_desired_count", value, context, provider)


class DeployedVersionLookup(LookupHandler):
    """``${ecs_deployed_version <app>::version=<version>}``: whether the version serves traffic, and its fingerprint."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return ``<role>:<fingerprint>`` for the Version blueprint's ``Deployed`` variable."""
        return _lookup("ecs_deployed_version", value, context, provider)
