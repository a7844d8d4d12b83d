"""stacker lookups that read live state. Register them in the config::

    lookups:
      ecs_live_version: stacker_ecs.lookups.LiveVersionLookup
      alb_listener: stacker_ecs.lookups.ListenerLookup
      alb_rule_priority: stacker_ecs.lookups.RulePriorityLookup
      ecs_live_desired_count: stacker_ecs.lookups.LiveDesiredCountLookup
      ecs_deployed_version: stacker_ecs.lookups.DeployedVersionLookup

Each handler parses its query, calls one read in :mod:`stacker_ecs.core.ops.queries`, and returns a
string (what CloudFormation parameters and blueprint variables take). These are plain classes
(no metaclass), as stacker 1.7 requires.
"""

from __future__ import annotations

from typing import Any

from stacker.lookups.handlers import LookupHandler
from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.aws import AwsContext, context_for
from stacker_ecs.core.ops import queries, redeploy
from stacker_ecs.core.query import parse_query

stacker_log.install()

def _aws(provider: Any, query: Any) -> AwsContext:
    return context_for(get_session(getattr(provider, "region", None)), query)


def _namespace(context: Any) -> str | None:
    return getattr(context, "namespace", None) or None


class LiveVersionLookup(LookupHandler):
    """``${ecs_live_version <app>[::default=<value>]}``: the version the listener forwards to."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the live version of the app."""
        query = parse_query(queries.LiveVersionQuery, value, lookup="ecs_live_version", namespace=_namespace(context))
        return queries.find_live_version(_aws(provider, query), query)


class ListenerLookup(LookupHandler):
    """``${alb_listener <app>}``: the application's HTTPS listener ARN."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the listener ARN."""
        query = parse_query(queries.AppQuery, value, lookup="alb_listener", namespace=_namespace(context))
        return queries.find_listener_arn(_aws(provider, query), query)


class RulePriorityLookup(LookupHandler):
    """``${alb_rule_priority <app>::version=<version>}``: a free, stable rule priority."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the priority as a string."""
        query = parse_query(queries.RulePriorityQuery, value, lookup="alb_rule_priority",
                            namespace=_namespace(context))
        return str(queries.find_rule_priority(_aws(provider, query), query))


class LiveDesiredCountLookup(LookupHandler):
    """``${ecs_live_desired_count <app>[::default=<n>]}``: how many tasks the live version wants."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return the desired count as a string."""
        query = parse_query(queries.LiveDesiredCountQuery, value, lookup="ecs_live_desired_count",
                            namespace=_namespace(context))
        return str(queries.find_live_desired_count(_aws(provider, query), query))



class DeployedVersionLookup(LookupHandler):
    """``${ecs_deployed_version <app>::version=<version>}``: whether the version serves traffic, and its fingerprint."""

    @classmethod
    def handle(cls, value: str, context: Any = None, provider: Any = None, **_: Any) -> str:
        """Return ``<role>:<fingerprint>`` for the Version blueprint's ``Deployed`` variable."""
        query = parse_query(redeploy.DeployedVersionQuery, value, lookup="ecs_deployed_version",
                            namespace=_namespace(context))
        return redeploy.find_deployed_version(_aws(provider, query), query)
