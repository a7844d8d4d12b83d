"""Registering a scalable target moves the ECS service's desired count into ``[MinCapacity, MaxCapacity]``.

AWS (Application Auto Scaling API reference, ``RegisterScalableTarget``): "If you specify a minimum
capacity that is above the current capacity, Application Auto Scaling changes the resource's current
capacity to a value that is inside of this range" (likewise a maximum below it), at once and without
a scaling policy. CloudFormation's ``AWS::ApplicationAutoScaling::ScalableTarget`` registers it, so an
autoscaled version created at 0 tasks runs its minimum (1 by default) once its stack completes.
moto 5.2.5 only records the bounds, and has no CloudFormation type for the scalable target (the stack
completes without it). Here both register it, update it (a changed stack) and deregister it (a
deleted stack), and an ECS service's desired count follows the bounds.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, applicationautoscaling_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from emulator.aws_like._patch import replace

ECS_DIMENSION = "ecs:service:DesiredCount"


def _clamp_service(backend: ApplicationAutoscalingBackend, resource_id: str, minimum: int | None,
                   maximum: int | None) -> None:
    """Move the ECS service ``service/<cluster>/<name>`` into the bounds, as AWS does on registration."""
    _, cluster, name = resource_id.split("/")
    service = backend.ecs_backend.services.get(f"{cluster}:{name}")
    if service is None:
        return
    count = int(service.desired_count or 0)
    if minimum is not None and count < minimum:
        count = minimum
    if maximum is not None and count > maximum:
        count = maximum
    service.desired_count = count


def _register(original: Any) -> Any:
    def register_scalable_target(self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str,
                                 min_capacity: int | None, max_capacity: int | None, role_arn: str,
                                 suspended_state: str) -> Any:
        target = original(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)
        if namespace == "ecs" and dimension == ECS_DIMENSION:
            _clamp_service(self, r_id, target.min_capacity, target.max_capacity)
        return target
    return register_scalable_target


RESOURCE: list[type] = []
"""The CloudFormation type, once defined by :func:`apply` (moto finds it among CloudFormationModel's subclasses,
so it exists only where the behaviour is installed, not under ``emulator.plain_moto``)."""


def _define() -> type:
    """Return the CloudFormation resource type of the scalable target (defined once)."""
    if RESOURCE:
        return RESOURCE[0]

    class ScalableTargetResource(CloudFormationModel):
        """``AWS::ApplicationAutoScaling::ScalableTarget``, registered through the (patched) backend."""

        def __init__(self, account_id: str, region_name: str, properties: dict[str, Any]) -> None:
            self.account_id, self.region_name = account_id, region_name
            self.namespace = properties["ServiceNamespace"]
            self.resource_id = properties["ResourceId"]
            self.dimension = properties["ScalableDimension"]
            self.register(properties)

        def register(self, properties: dict[str, Any]) -> None:
            """Register (or update) the scalable target with the template's bounds."""
            applicationautoscaling_backends[self.account_id][self.region_name].register_scalable_target(
                self.namespace, self.resource_id, self.dimension, int(properties["MinCapacity"]),
                int(properties["MaxCapacity"]), properties.get("RoleARN", ""), None)

        @staticmethod
        def cloudformation_type() -> str:
            """Return the resource type."""
            return "AWS::ApplicationAutoScaling::ScalableTarget"

        @staticmethod
        def cloudformation_name_type() -> str:
            """Return the property naming it (none)."""
            return ""

        @property
        def physical_resource_id(self) -> str:
            """Return what ``Ref`` answers: ``<resource id>|<dimension>|<namespace>``."""
            return f"{self.resource_id}|{self.dimension}|{self.namespace}"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> Any:
            """Register the scalable target."""
            return cls(account_id, region_name, cloudformation_json["Properties"])

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> Any:
            """Register the new bounds (the service follows them)."""
            original_resource.register(cloudformation_json["Properties"])
            return original_resource

        def delete(self, account_id: str, region_name: str) -> None:
            """Deregister the scalable target."""
            backend = applicationautoscaling_backends[account_id][region_name]
            with contextlib.suppress(Exception):
                backend.deregister_scalable_target(self.namespace, self.resource_id, self.dimension)

    RESOURCE.append(ScalableTargetResource)
    return ScalableTargetResource


def apply() -> None:
    """Install the behaviour."""
    replace(ApplicationAutoscalingBackend, "register_scalable_target", _register)
    if not RESOURCE:
        _define()  # a CloudFormationModel from now on: moto's CloudFormation finds it by its type
        parsing.get_model_map.cache_clear()
