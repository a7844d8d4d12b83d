"""The reads behind the lookups: live version, listener, free rule priority, live desired count."""

from __future__ import annotations

from pydantic import Field, field_validator

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.canary import settled_live_version
from stacker_ecs.core.ops.listener import describe_application, describe_listener, read_listener
from stacker_ecs.core.ops.priority import choose_priority
from stacker_ecs.core.ops.services import describe_service
from stacker_ecs.core.validation import check_name, check_version


class AppQuery(Args):
    """A lookup's query: ``<app>[::key=value, ...]``."""

    app: str
    """The app, as in its application stack's name."""
    namespace: str
    """Default: the config's namespace (stacker, CFNgin) or the Sceptre stack's."""

    _app = field_validator("app")(lambda v: check_name("app", v))


class LiveVersionQuery(AppQuery):
    """``${ecs_live_version <app>[::default=<value>]}``."""

    default: str | None = None
    """Default: none, and the lookup fails while nothing is live; otherwise returned instead."""


class RulePriorityQuery(AppQuery):
    """``${alb_rule_priority <app>::version=<version>[, max_rules=<n>]}``."""

    version: str
    """The version the rule is for."""
    max_rules: int = Field(default=100, ge=1, le=100)
    """Default: 100, the ALB's rules-per-listener quota and its target-groups-per-load-balancer quota (which
    cannot be raised; each version has one of each); a fuller listener is refused, naming cleanup."""

    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


class LiveDesiredCountQuery(AppQuery):
    """``${ecs_live_desired_count <app>[::default=<n>]}``."""

    default: int = Field(default=1, ge=0)
    """Default: 1; the count returned while nothing is live."""


def find_live_version(aws: AwsContext, query: LiveVersionQuery) -> str:
    """Return the live version (2 calls)."""
    state = read_listener(aws, query.namespace, query.app)
    live = settled_live_version(aws, state)
    if live:
        return live
    if query.default is not None:
        return query.default
    orphan = state.live_target_group
    if orphan:
        raise AwsStateError(f"no version is live: the listener forwards to target group {orphan}, which belongs "
                            "to no version (was its stack deleted?); cut over to a version", app=query.app)
    raise AwsStateError("no version is live yet (the app's live listener rule forwards to no version); "
                        "cut one over, or give the lookup a default (::default=none)", app=query.app)


def find_listener_arn(aws: AwsContext, query: AppQuery) -> str:
    """Return the application's HTTPS listener ARN (1 call)."""
    return describe_application(aws, query.namespace, query.app).listener_arn


def find_rule_priority(aws: AwsContext, query: RulePriorityQuery) -> int:
    """Return a free priority for the version's rule, or the one it already has (2 calls)."""
    state = read_listener(aws, query.namespace, query.app)
    return choose_priority(state, query.version, max_rules=query.max_rules)


def find_live_desired_count(aws: AwsContext, query: LiveDesiredCountQuery) -> int:
    """Return the live service's desired count, or the default while nothing is live (3 calls)."""
    application = describe_application(aws, query.namespace, query.app)
    live = settled_live_version(aws, describe_listener(aws, application))
    if not live:
        return query.default
    service = describe_service(aws, application.cluster_name, query.app, live)
    if service is None:
        raise AwsStateError(f"the live version {live} has no ECS service in cluster {application.cluster_name}; "
                            "its stack may have been deleted out of band: cut over to a healthy version",
                            app=query.app, version=live)
    return int(service["desiredCount"])
