"""What keeps an environment's ECS cluster from being deleted: its services, each with the stack that owns it.

ECS refuses ``DeleteCluster`` while the cluster contains services ("You can't delete a cluster that
contains services", ``ClusterContainsServicesException``), and CloudFormation then ends the cluster
stack's delete ``DELETE_FAILED``. Version stacks made before the app tag (or by hand) are invisible to
teardown (docs/fidelity.md, #22), so their services are exactly what would be left. The cluster's
services are listed (``ListServices``, 100 per call; ``DescribeServices``, 10 per call); each one
still ``ACTIVE`` is traced to its stack by name (its ``stacker-ecs:app`` / ``stacker-ecs:version``
tags, CloudFormation's ``aws:cloudformation:stack-name`` tag, or its name ``<app>_<version>``) and
described with the fix. No call lists the account's stacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.ops.inventory import owned_by

STACK_NAME_TAG = "aws:cloudformation:stack-name"
"""The tag CloudFormation puts on the resources it creates."""


@dataclass(frozen=True)
class ClusterService:
    """A service still ``ACTIVE`` in the cluster, and what to do about it."""

    name: str
    desired: int
    running: int
    stack: str
    """The stack that owns it, or ``""`` when none does."""
    fix: str
    """Why teardown did not remove it, and how to."""

    def describe(self) -> str:
        """Return ``"web_v0 (1 desired, 1 running; stack X): fix"``."""
        owner = f"stack {self.stack}" if self.stack else "no stack"
        return f"{self.name} ({self.desired} desired, {self.running} running; {owner}): {self.fix}"


def list_active_services(aws: AwsContext, cluster: str) -> list[dict[str, Any]]:
    """Return the cluster's ``ACTIVE`` services, with their tags (1 call per 100 services, 1 per 10 described)."""
    ecs = aws.client("ecs")
    with aws_call("ListServices", cluster):
        arns = [arn for page in ecs.get_paginator("list_services").paginate(cluster=cluster, PaginationConfig={
            "PageSize": 100}) for arn in page["serviceArns"]]
    services = []
    for start in range(0, len(arns), 10):
        with aws_call("DescribeServices", cluster):
            answer = ecs.describe_services(cluster=cluster, services=arns[start:start + 10], include=["TAGS"])
        services += [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
    return sorted(services, key=lambda s: s["serviceName"])


def _owner(namespace: str, service: dict[str, Any]) -> tuple[str, str, str]:
    """Return (stack name, app, version) the service belongs to by its tags or name; "" for what is unknown."""
    tags = {t.get("key"): t.get("value") for t in service.get("tags", [])}
    app, version = tags.get(contract.TAG_APP, ""), tags.get(contract.TAG_VERSION, "")
    if not (app and version) and naming.SERVICE_SEPARATOR in service["serviceName"]:
        app, version = service["serviceName"].split(naming.SERVICE_SEPARATOR, 1)
    stack = tags.get(STACK_NAME_TAG) or (naming.version_stack(namespace, app, version) if app and version else "")
    return stack, app, version


def blocking_services(aws: AwsContext, namespace: str, cluster: str, apps: list[str], *,
                      leaving: set[str] | None = None) -> list[ClusterService]:
    """Return the cluster's ``ACTIVE`` services except those in ``leaving`` (deleted by the teardown), each with its
    owner and fix; 1 ``DescribeStacks`` (by name) per service returned."""
    found = []
    for service in list_active_services(aws, cluster):
        if service["serviceName"] in (leaving or set()):
            continue
        stack_name, app, version = _owner(namespace, service)
        stack = describe_stack(aws, stack_name) if stack_name else None
        if stack is not None and stack["StackStatus"] == "DELETE_COMPLETE":
            stack = None
        found.append(ClusterService(name=service["serviceName"], desired=int(service.get("desiredCount", 0)),
                                    running=int(service.get("runningCount", 0)),
                                    stack=stack["StackName"] if stack else "",
                                    fix=_fix(namespace, cluster, service["serviceName"], stack, app, version, apps)))
    return found


def _fix(namespace: str, cluster: str, service: str, stack: dict[str, Any] | None, app: str, version: str,
         apps: list[str]) -> str:
    """Return why teardown leaves the service, and what removes it."""
    if stack is None:
        return ("no stack owns it (made by hand, or its stack is gone); delete it: `aws ecs delete-service --cluster "
                f"{cluster} --service {service} --force`")
    name = stack["StackName"]
    unprotect = (f"`aws cloudformation update-termination-protection --no-enable-termination-protection "
                 f"--stack-name {name}`, then " if stack.get("EnableTerminationProtection") else "")
    delete = f"delete its stack: {unprotect}`aws cloudformation delete-stack --stack-name {name}`"
    if not (app and version and owned_by(stack, app, version)):
        return f"its stack is not a version stack of this suite; {delete}"
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
    if app not in apps:
        return f"app {app} has no application stack in {namespace}, so teardown cannot reach it; {delete}"
    if tags.get(contract.TAG_APP) != app:
        return (f"its stack has no {contract.TAG_APP} tag (made by an earlier release, or by hand), so teardown cannot "
                f"find it; tag it once with `stacker-ecs adopt {app} --namespace {namespace} --version {version}`, "
                "then run teardown-environment again")
    return (f"its stack is {app}'s and tagged, so the teardown of {app} deletes it (deployed meanwhile?); run "
            "teardown-environment again")


def failed_resources(aws: AwsContext, stack_id: str, action: str = "DELETE") -> list[str]:
    """Return ``"<logical id> (<type>): <reason>"`` for each resource whose last ``action`` (``DELETE``,
    ``UPDATE``) failed (1 call)."""
    with aws_call("DescribeStackEvents", stack_id):
        events = aws.client("cloudformation").describe_stack_events(StackName=stack_id)["StackEvents"]
    reasons: dict[str, str] = {}
    for event in events:  # newest first
        if event.get("ResourceType") == "AWS::CloudFormation::Stack":
            if event.get("ResourceStatus") == f"{action}_IN_PROGRESS":
                break  # the start of the last delete
            continue
        if event.get("ResourceStatus") == f"{action}_FAILED" and event["LogicalResourceId"] not in reasons:
            reasons[event["LogicalResourceId"]] = (f"{event['LogicalResourceId']} ({event.get('ResourceType', '')}): "
                                                   f"{event.get('ResourceStatusReason', '')}")
    return list(reasons.values())
