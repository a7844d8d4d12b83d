"""Find one version's stack and what health checks need from it."""

from __future__ import annotations

import boto3
from pydantic import field_validator

from stacker_ecs.core import naming
from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsCallError, AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.health import VersionTarget
from stacker_ecs.core.validation import check_name, check_version

HEALTHY_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


class VersionArgs(Args):
    """An app and one of its versions."""

    app: str
    """The app, as in its application stack's name."""
    version: str
    """The version, as in its stack's name."""
    namespace: str
    """Default: the config's namespace (stacker, CFNgin) or the Sceptre stack's."""

    _app = field_validator("app")(lambda v: check_name("app", v))
    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


def describe_version(session: boto3.Session, namespace: str, app: str, version: str) -> VersionTarget:
    """Return the version's service and target group from its stack outputs (one call)."""
    stack_name = naming.version_stack(namespace, app, version)
    try:
        with aws_call("DescribeStacks", stack_name):
            stack = client(session, "cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except AwsCallError as exc:
        if "does not exist" in str(exc):
            raise AwsStateError(f"no version stack {stack_name!r}; deploy the version first",
                                app=app, version=version) from None
        raise
    status = stack["StackStatus"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if status not in HEALTHY_STACK_STATES or not {"TargetGroupArn", "ServiceName", "ClusterName"} <= set(outputs):
        raise AwsStateError(f"version stack {stack_name!r} is {status}; it has no running service to check. "
                            "Deploy the version again or deploy a new one",
                            app=app, version=version)
    if outputs.get("App", app) != app:
        raise AwsStateError(f"stack {stack_name!r} belongs to app {outputs['App']!r}, not {app!r}; "
                            "two apps' names collide, rename one", app=app, version=version)
    return VersionTarget(app=app, version=version, cluster=outputs["ClusterName"],
                         service=outputs["ServiceName"], target_group_arn=outputs["TargetGroupArn"])
