"""List an app's version stacks, failed ones included, and a namespace's apps, without scanning the account.

The Resource Groups Tagging API finds the stacks tagged ``stacker-ecs:app=<app>`` (one call per 100
stacks of the app; stacker sets the tag from the version stack's ``tags:`` in the config), then each
one is described by its id (its status, outputs and termination protection, read per stack). The
cost grows with the app's versions, never with the other stacks in the account; no call lists the
account's stacks (an unnamed ``DescribeStacks`` needs ``cloudformation:ListStacks``, which hardened
accounts deny). The tagging API may return a stack deleted since (it keeps "previously tagged"
resources for a while): such a stack is skipped.

A namespace's apps are found from the stacks tagged with its namespace (stacker and CFNgin tag every
stack ``stacker_namespace`` / ``cfngin_namespace`` unless the config sets its own ``tags``) and from
its version stacks' app tags; each app's application stack is then read by its name. Stacks from
before the app tag (or made by hand) are found by ``stacker-ecs adopt`` (:mod:`stacker_ecs.core.ops.adopt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.errors import AwsCallError

LEFTOVERS = frozenset({"DELETE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"})
"""Application stack states without a listener to read: a delete under way, or a create that failed."""
NAMESPACE_TAGS = ("stacker_namespace", "cfngin_namespace")
"""The tags stacker and CFNgin put on every stack of a config that sets no ``tags`` of its own."""


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


def _tagged(aws: AwsContext, key: str, values: list[str] | None, subject: str) -> list[str]:
    """Return the ARNs of the stacks tagged ``key`` (with one of ``values``), 100 per call."""
    tag_filter: dict[str, Any] = {"Key": key, **({"Values": values} if values else {})}
    with aws_call("GetResources", subject):
        pages = aws.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
            ResourceTypeFilters=["cloudformation:stack"], TagFilters=[tag_filter], ResourcesPerPage=100)
        return [r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"]]


def find_apps(aws: AwsContext, namespace: str, *, leftovers: bool = False) -> list[str]:
    """Return the apps with an application stack in ``namespace``: a few tagging calls, then 1 ``DescribeStacks``
    per candidate app (by name); never a listing of the account's stacks. ``leftovers``: also those whose
    application stack is in a :data:`LEFTOVERS` state, outputs or not (for teardown-environment to remove)."""
    prefix = naming.application_stack(namespace, "")
    names = [arn.split("/")[1] for key in NAMESPACE_TAGS
             for arn in _tagged(aws, key, [namespace], f"stacks of {namespace}")]
    names += [arn.split("/")[1] for arn in _tagged(aws, contract.TAG_APP, None, f"app stacks of {namespace}")]
    candidates = {name[len(prefix):].split(naming.VERSION_SEPARATOR)[0] for name in names if name.startswith(prefix)}
    apps = []
    for app in sorted(candidates):
        if not app or not naming.NAME_RE.match(app):
            continue
        stack = describe_stack(aws, naming.application_stack(namespace, app))
        if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
            continue
        if contract.outputs_of(stack).get(contract.APP) == app or (leftovers and stack["StackStatus"] in LEFTOVERS):
            apps.append(app)
    return apps


def list_version_stacks(aws: AwsContext, namespace: str, app: str) -> list[VersionStack]:
    """Return every existing version stack of ``app``: 1 tagging call, then 1 ``DescribeStacks`` per stack.

    A name match is not enough (``web`` + ``admin-3`` vs ``web-admin`` + ``3``): the stack's
    ``App`` output, or for a failed stack its description, must name ``app``.
    """
    found = []
    cfn = aws.client("cloudformation")
    stacks = []
    for stack_id in find_tagged_stacks(aws, namespace, app):
        try:
            with aws_call("DescribeStacks", stack_id):
                stacks += cfn.describe_stacks(StackName=stack_id)["Stacks"]
        except AwsCallError as exc:  # a deleted stack the tagging API still returns
            if not (exc.code == "ValidationError" and "does not exist" in str(exc)):
                raise
            aws.log.debug("skipping %s: the tagging API returned it, CloudFormation no longer has it", stack_id)
    for stack in stacks:
        version = naming.version_from_stack(namespace, app, stack["StackName"])
        if version and stack["StackStatus"] != "DELETE_COMPLETE" and owned_by(stack, app, version):
            found.append(_version_stack(stack, version))
    return found


def owned_by(stack: dict[str, Any], app: str, version: str) -> bool:
    """Return whether ``stack`` is ``app``'s ``version``: its ``App`` output, or a failed stack's description."""
    outputs = contract.outputs_of(stack)
    if contract.APP in outputs:
        return outputs[contract.APP] == app and outputs.get(contract.VERSION, version) == version
    return contract.parse_version_description(stack.get("Description")) == (app, version)


def _version_stack(stack: dict[str, Any], version: str) -> VersionStack:
    return VersionStack(
        version=version, name=stack["StackName"], stack_id=stack["StackId"], status=stack["StackStatus"],
        created=stack["CreationTime"], termination_protection=bool(stack.get("EnableTerminationProtection")),
        outputs=contract.outputs_of(stack))
