"""One version: its arguments, and where its health is read (its service and target group)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import field_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, describe_stack
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.validation import check_name, check_version

HEALTHY_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


class VersionArgs(Args):
    """An app and one of its versions."""

    app: str
    """The app, as in its application stack's name."""
    version: str
    """The version, as in its stack's name."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""

    _app = field_validator("app")(lambda v: check_name("app", v))
    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


@dataclass(frozen=True)
class VersionTarget:
    """Where a version's health is read: its service and target group."""

    app: str
    version: str
    cluster: str
    service: str
    target_group_arn: str


def describe_version(aws: AwsContext, namespace: str, app: str, version: str) -> VersionTarget:
    """Return the version's service and target group from its stack outputs (one call)."""
    stack_name = naming.version_stack(namespace, app, version)
    stack = describe_stack(aws, stack_name)
    if stack is None:
        raise AwsStateError(f"no version stack {stack_name!r}; deploy the version first",
                            app=app, version=version)
    status = stack["StackStatus"]
    outputs = contract.outputs_of(stack)
    if status not in HEALTHY_STACK_STATES or not set(contract.VERSION_OUTPUTS_READ) <= set(outputs):
        raise AwsStateError(f"version stack {stack_name!r} is {status}; it has no running service to check. "
                            "Deploy the version again or deploy a new one",
                            app=app, version=version)
    if outputs.get(contract.APP, app) != app:
        raise AwsStateError(f"stack {stack_name!r} belongs to app {outputs[contract.APP]!r}, not {app!r}; "
                            "two apps' names collide, rename one", app=app, version=version)
    return VersionTarget(app=app, version=version, cluster=outputs[contract.CLUSTER_NAME],
                         service=outputs[contract.SERVICE_NAME], target_group_arn=outputs[contract.TARGET_GROUP_ARN])
