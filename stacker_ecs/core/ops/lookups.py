"""The reads behind the lookups (Sceptre: resolvers), with their queries' models.

Each read costs a constant number of AWS calls, whatever else lives in the account: the live
version, the listener, a free rule priority, the live desired count, a version's own desired count
(0 while it has no stack: a new version starts at 0 tasks, see below) and what is deployed of a
version (its role, fingerprint and deployed count, for the in-place-change check of
:mod:`stacker_ecs.core.fingerprint`).

Why a new version starts at zero tasks: on AWS, CloudFormation waits until an ECS service is
stable. A version whose tasks cannot start fails the deployment circuit breaker, the stack rolls
back, and the service goes with its stopped tasks, the only record of the cause. A service at zero
tasks is stable at once: the stack completes, and ``verify_health`` scales it, watching the tasks
start and naming the cause when they cannot. The count is not a literal 0 in the template: it is
the count the version's deployed template says (its ``DesiredCount`` output), so a re-submitted
stack renders the same template and the engine updates nothing, even after verify or cutover
scaled the service (CloudFormation does not track that; an update would set the service back to
the template's count and wait for it to stabilise).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, describe_stack
from stacker_ecs.core.coordination import app_records
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.canary import settled_live_version
from stacker_ecs.core.ops.listener import ListenerState, describe_application, describe_listener, read_listener
from stacker_ecs.core.ops.priority import choose_priority
from stacker_ecs.core.ops.services import describe_service, live_desired_count
from stacker_ecs.core.validation import check_name, check_version


class AppQuery(Args):
    """A lookup's query: ``<app>[::key=value, ...]``."""

    app: str
    """The app, as in its application stack's name."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""

    _app = field_validator("app")(lambda v: check_name("app", v))


class VersionQuery(AppQuery):
    """A lookup's query about one version: ``<app>::version=<version>``."""

    version: str
    """The version."""

    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


class LiveVersionQuery(AppQuery):
    """``${ecs_live_version <app>[::default=<value>]}``."""

    default: str | None = None
    """Default: none, and the lookup fails while nothing is live; otherwise returned instead."""


class RulePriorityQuery(VersionQuery):
    """``${alb_rule_priority <app>::version=<version>[, max_rules=<n>]}``."""

    max_rules: int = Field(default=100, ge=1, le=100)
    """Default: 100, the ALB's rules-per-listener quota and its target-groups-per-load-balancer quota (which
    cannot be raised; each version has one of each); a fuller listener is refused, naming cleanup."""


class LiveDesiredCountQuery(AppQuery):
    """``${ecs_live_desired_count <app>[::default=<n>]}``."""

    default: int = Field(default=1, ge=0)
    """Default: 1; the count returned while nothing is live."""


def _settled_live_version(aws: AwsContext, query: AppQuery, state: ListenerState) -> str | None:
    return settled_live_version(aws, app_records(aws, query.namespace, query.app), state)


def find_live_version(aws: AwsContext, query: LiveVersionQuery) -> str:
    """Return the live version (2 calls; 3 while traffic is split)."""
    state = read_listener(aws, query.namespace, query.app)
    live = _settled_live_version(aws, query, state)
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
    live = _settled_live_version(aws, query, describe_listener(aws, application))
    if not live:
        return query.default
    return live_desired_count(aws, application.cluster_name, query.app, live)


def find_version_desired_count(aws: AwsContext, query: VersionQuery) -> int:
    """Return the ``DesiredCount`` the version's stack was deployed with, 0 while it has no stack (1 call).

    A re-run then renders the deployed template again, and no engine updates the stack. A stack
    from an earlier release has no ``DesiredCount`` output: its service's current count is returned
    (0 while it has none; 3 calls), and that first re-run updates the stack once, adding the output
    at the count the service already has.
    """
    stack = describe_stack(aws, naming.version_stack(query.namespace, query.app, query.version))
    if stack is None:
        return 0
    deployed = contract.outputs_of(stack).get(contract.DESIRED_COUNT)
    if deployed is not None:
        return int(deployed)
    application = describe_application(aws, query.namespace, query.app)
    service = describe_service(aws, application.cluster_name, query.app, query.version)
    return int(service["desiredCount"]) if service else 0


def find_deployed_version(aws: AwsContext, query: VersionQuery) -> str:
    """Return ``<role>:<fingerprint>:<count>`` of the deployed version (``absent:`` with no stack; 3 calls).

    The role is ``live``, ``previous`` (weight 0 beside the live one), ``serving`` (part of a stepped
    cutover) or ``idle``. The count is the one its template was deployed with (missing, with its
    ``:``, for a stack from an earlier release).
    """
    stack = describe_stack(aws, naming.version_stack(query.namespace, query.app, query.version))
    if stack is None:
        return "absent:"
    role = read_listener(aws, query.namespace, query.app).role(query.version) or "idle"
    outputs = contract.outputs_of(stack)
    count = outputs.get(contract.DESIRED_COUNT)
    return f"{role}:{outputs.get(contract.FINGERPRINT, '')}" + (f":{count}" if count is not None else "")
