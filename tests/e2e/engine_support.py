"""What the engines' end-to-end tests read back from the emulator: live-rule weights and version stacks."""

from __future__ import annotations

from collections.abc import Callable

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


def stack_event_statuses(session: boto3.Session, stack_name: str) -> list[str]:
    """Return every ``ResourceStatus`` of a stack's events, oldest first (an update adds ``UPDATE_*`` ones)."""
    pages = session.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack_name)
    return [e["ResourceStatus"] for page in pages for e in page["StackEvents"]][::-1]


def desired_count(session: boto3.Session, app: str, version: str) -> int:
    """Return a version's ECS service's desired count."""
    out = outputs(session, naming.version_stack(NAMESPACE, app, version))
    service = session.client("ecs").describe_services(cluster=out[contract.CLUSTER_NAME],
                                                      services=[out[contract.SERVICE_NAME]])["services"][0]
    return int(service["desiredCount"])


def reruns_change_nothing(session: boto3.Session, versions: tuple[str, ...], rerun: Callable[[], None],
                          app: str = APP) -> None:
    """Assert ``rerun`` (re-runs of the deploys of ``versions``) updates no version stack and scales no service.

    Each stack's events are those of its create only (no ``UPDATE_*``), before and after the re-runs.
    """
    def state() -> dict[str, tuple[list[str], int]]:
        return {v: (stack_event_statuses(session, naming.version_stack(NAMESPACE, app, v)),
                    desired_count(session, app, v)) for v in versions}

    before = state()
    rerun()
    after = state()
    assert after == before
    for version, (statuses, count) in after.items():
        assert statuses[-1] == "CREATE_COMPLETE", (version, statuses)
        assert not [s for s in statuses if s.startswith("UPDATE_")], (version, statuses)
        assert count >= 1, version  # verify scaled it: the re-run did not set it back to the template's 0
