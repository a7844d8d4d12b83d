"""What the engines' end-to-end tests read back from the emulator: listener weights and version stacks."""

from __future__ import annotations

import boto3

from stacker_ecs.core import contract, naming

NAMESPACE = "ecs-dev"
APP = "web"


def outputs(session: boto3.Session, stack_name: str) -> dict[str, str]:
    """Return a stack's outputs."""
    return contract.outputs_of(session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0])


def stack_names(session: boto3.Session) -> set[str]:
    """Return the names of the stacks that exist."""
    return {s["StackName"] for s in session.client("cloudformation").describe_stacks()["Stacks"]}


def versions(session: boto3.Session) -> set[str]:
    """Return the versions of app ``web`` whose stacks exist."""
    found = (naming.version_from_stack(NAMESPACE, APP, name) for name in stack_names(session))
    return {version for version in found if version}


def listener_weights(session: boto3.Session) -> dict[str, int]:
    """Return version -> weight of the application listener's default action, read from ELBv2."""
    listener_arn = outputs(session, naming.application_stack(NAMESPACE, APP))[contract.LISTENER_ARN]
    listener = session.client("elbv2").describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    groups = {outputs(session, naming.version_stack(NAMESPACE, APP, v))["TargetGroupArn"]: v
              for v in versions(session)}
    weights: dict[str, int] = {}
    for action in listener["DefaultActions"]:
        for group in action.get("ForwardConfig", {}).get("TargetGroups", []):
            weights[groups.get(group["TargetGroupArn"], group["TargetGroupArn"])] = group.get("Weight", 1)
    return weights
