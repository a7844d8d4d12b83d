"""List an app's version stacks, failed ones included, for cleanup and status, without scanning the account.

The Resource Groups Tagging API finds the stacks tagged ``stacker-ecs:app=<app>`` (one call per 100
stacks of the app; stacker sets the tag from the version stack's ``tags:`` in the config), then each
one is described by its id (its status, outputs and termination protection, read per stack). The
cost grows with the app's versions, never with the other stacks in the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call


@dataclass(frozen=True)
class VersionStack:
    """One version stack as ``DescribeStacks`` shows it."""

    version: str
    name: str
    stack_id: str
    status: str
    created: datetime
    termination_protection: bool
    outputs: dict[str, str]

    @property
    def target_group_arn(self) -> str | None:
        """Return the version's target group, if the stack still has its outputs."""
        return self.outputs.get(contract.TARGET_GROUP_ARN)


def find_tagged_stacks(aws: AwsContext, namespace: str, app: str) -> list[str]:
    """Return the ids of the stacks tagged as ``app``'s whose names are version stacks of it (1 call per 100)."""
    with aws_call("GetResources", f"version stacks of {app}"):
        pages = aws.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
            ResourceTypeFilters=["cloudformation:stack"], TagFilters=[{"Key": contract.TAG_APP, "Values": [app]}],
            ResourcesPerPage=100)
        arns = [r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"]]
    # arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
    return [arn for arn in arns if naming.version_from_stack(namespace, app, arn.split("/")[1])]


def list_version_stacks(aws: AwsContext, namespace: str, app: str) -> list[VersionStack]:
    """Return every existing version stack of ``app``: 1 tagging call, then 1 ``DescribeStacks`` per stack.

    A name match is not enough (``web`` + ``admin-3`` vs ``web-admin`` + ``3``): the stack's
    ``App`` output, or for a failed stack its description, must name ``app``.
    """
    found = []
    cfn = aws.client("cloudformation")
    stacks = []
    for stack_id in find_tagged_stacks(aws, namespace, app):
        with aws_call("DescribeStacks", stack_id):
            stacks += cfn.describe_stacks(StackName=stack_id)["Stacks"]
    for stack in stacks:
        version = naming.version_from_stack(namespace, app, stack["StackName"])
        if version and stack["StackStatus"] != "DELETE_COMPLETE" and _owned_by(stack, app, version):
            found.append(_version_stack(stack, version))
    return found


def _owned_by(stack: dict[str, Any], app: str, version: str) -> bool:
    outputs = contract.outputs_of(stack)
    if contract.APP in outputs:
        return outputs[contract.APP] == app and outputs.get(contract.VERSION, version) == version
    return contract.parse_version_description(stack.get("Description")) == (app, version)


def _version_stack(stack: dict[str, Any], version: str) -> VersionStack:
    return VersionStack(
        version=version, name=stack["StackName"], stack_id=stack["StackId"], status=stack["StackStatus"],
        created=stack["CreationTime"], termination_protection=bool(stack.get("EnableTerminationProtection")),
        outputs=contract.outputs_of(stack))
