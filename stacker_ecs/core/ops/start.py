"""A new version starts at zero tasks; ``verify_health`` scales it up, so CloudFormation never waits on containers.

Why: on AWS, CloudFormation waits until an ECS service is stable. A version whose tasks cannot
start (an image that does not exist) fails the deployment circuit breaker, the stack rolls back,
and the service goes with its stopped tasks, the only record of the cause; stacker fails before
any ``post_build`` hook runs, and deploying that version again needs ``--recreate-failed``. A
service at zero tasks is stable at once: the stack completes, and the hook that scales it watches
the tasks start and names the cause when they cannot.

Why not a literal 0 in the template: the platform's CD re-submits every declared version stack,
and a template saying 0 would scale the live version to nothing. The count comes from
``${ecs_version_desired_count <app>::version=<version>}``: the version's own current desired
count, 0 only while it has no service. A re-submitted stack carries the count its service already
has, so CloudFormation changes nothing (and an unchanged stack is not even updated).
"""

from __future__ import annotations

from pydantic import field_validator

from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.ops.listener import describe_application
from stacker_ecs.core.ops.queries import AppQuery
from stacker_ecs.core.ops.services import describe_service
from stacker_ecs.core.ops.version_target import VersionTarget
from stacker_ecs.core.validation import check_version


class VersionCountQuery(AppQuery):
    """``${ecs_version_desired_count <app>::version=<version>}``."""

    version: str
    """The version whose own service is read."""

    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


def find_version_desired_count(aws: AwsContext, query: VersionCountQuery) -> int:
    """Return the version's service's desired count, 0 while it has none (2 calls)."""
    application = describe_application(aws, query.namespace, query.app)
    service = describe_service(aws, application.cluster_name, query.app, query.version)
    return int(service["desiredCount"]) if service else 0


def stopped_task_arns(aws: AwsContext, target: VersionTarget) -> frozenset[str]:
    """Return the version's tasks stopped so far (1 call): failures from before a fix are history."""
    with aws_call("ListTasks", f"{target.app}/{target.version}"):
        arns = aws.client("ecs").list_tasks(cluster=target.cluster, serviceName=target.service,
                                            desiredStatus="STOPPED")["taskArns"]
    return frozenset(arns)
