"""A version's ECS service: read (ten per call) and scaled (its autoscaling bounds with it)."""

from __future__ import annotations

from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.version_target import VersionTarget


def describe_service(aws: AwsContext, cluster: str, app: str, version: str) -> dict[str, Any] | None:
    """Return a version's ECS service (with tags), or None if it does not exist."""
    return describe_services(aws, cluster, app, [version]).get(version)


def describe_services(aws: AwsContext, cluster: str, app: str, versions: list[str]) -> dict[str, dict[str, Any]]:
    """Return version -> ECS service for the versions whose service exists (10 per call)."""
    ecs = aws.client("ecs")
    found: dict[str, dict[str, Any]] = {}
    names = {naming.service_name(app, v): v for v in versions}
    batch = list(names)
    for start in range(0, len(batch), 10):
        with aws_call("DescribeServices", cluster):
            answer = ecs.describe_services(cluster=cluster, services=batch[start:start + 10], include=["TAGS"])
        for service in answer.get("services", []):
            if service.get("status") != "INACTIVE" and service["serviceName"] in names:
                found[names[service["serviceName"]]] = service
    return found


def live_desired_count(aws: AwsContext, cluster: str, app: str, live: str) -> int:
    """Return the live version's desired count (1 call); refuse when its service is gone (deleted out of band)."""
    service = describe_service(aws, cluster, app, live)
    if service is None:
        raise AwsStateError(f"the live version {live} has no ECS service in cluster {cluster}; its stack may have "
                            "been deleted out of band: cut over to a healthy version", app=app, version=live)
    return int(service["desiredCount"])


def is_autoscaled(service: dict[str, Any]) -> bool:
    """Return whether target tracking owns the service's desired count (its tag says so)."""
    return any(t.get("key") == contract.TAG_AUTOSCALING and t.get("value") == "on" for t in service.get("tags", []))


def scale_service(aws: AwsContext, target: VersionTarget, count: int, *, autoscaling: bool) -> None:
    """Set the service's desired count (and its autoscaling minimum, so scaling does not undo it).

    Application Auto Scaling refuses a minimum above the maximum: a maximum below ``count`` is raised to it.
    """
    aws.about(target.version, app=target.app).log.info("scaling to %d tasks", count)
    if autoscaling:
        set_min_capacity(aws, target, count)
    with aws_call("UpdateService", f"{target.app}/{target.version}"):
        aws.client("ecs").update_service(cluster=target.cluster, service=target.service, desiredCount=count)


def set_min_capacity(aws: AwsContext, target: VersionTarget, count: int) -> bool:
    """Set the version's autoscaling minimum to ``count``, its maximum with it when below (2 calls).

    Return whether the version had a scalable target; lowering to 0 one that has none changes nothing (1 call).
    """
    scaling = aws.client("application-autoscaling")
    subject = f"{target.app}/{target.version}"
    resource_id = f"service/{target.cluster}/{target.service}"
    with aws_call("DescribeScalableTargets", subject):
        found = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id],
                                                  ScalableDimension="ecs:service:DesiredCount")["ScalableTargets"]
    if not found and not count:
        return False
    maximum = max([count, *(int(t["MaxCapacity"]) for t in found)])
    if found and maximum > int(found[0]["MaxCapacity"]):
        aws.about(target.version, app=target.app).log.warning(
            "raising the autoscaling maximum from %s to %d to hold the live count", found[0]["MaxCapacity"], maximum)
    with aws_call("RegisterScalableTarget", subject):
        scaling.register_scalable_target(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
                                         ResourceId=resource_id, MinCapacity=count, MaxCapacity=maximum)
    return bool(found)
