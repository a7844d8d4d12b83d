"""What the engines' end-to-end tests read back from the emulator: live-rule weights and version stacks."""

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


def versions(session: boto3.Session, app: str = APP) -> set[str]:
    """Return the versions of ``app`` (default ``web``) whose stacks exist."""
    found = (naming.version_from_stack(NAMESPACE, app, name) for name in stack_names(session))
    return {version for version in found if version}


def listener_weights(session: boto3.Session, app: str = APP) -> dict[str, int]:
    """Return version -> weight of ``app``'s live rule (the listener rule at the live priority), read from ELBv2."""
    listener_arn = outputs(session, naming.application_stack(NAMESPACE, app))[contract.LISTENER_ARN]
    rules = session.client("elbv2").describe_rules(ListenerArn=listener_arn)["Rules"]
    live = [r for r in rules if r["Priority"] == str(naming.LIVE_RULE_PRIORITY)]
    groups = {outputs(session, naming.version_stack(NAMESPACE, app, v))["TargetGroupArn"]: v
              for v in versions(session, app)}
    weights: dict[str, int] = {}
    for action in live[0]["Actions"] if live else []:
        for group in action.get("ForwardConfig", {}).get("TargetGroups", []):
            weights[groups.get(group["TargetGroupArn"], group["TargetGroupArn"])] = group.get("Weight", 1)
    return weights
