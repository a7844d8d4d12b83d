"""A service whose tasks cannot start fails its stack, as the ECS deployment circuit breaker makes it.

AWS: CloudFormation waits for an ``AWS::ECS::Service`` to be stable. With
``DeploymentCircuitBreaker`` on, tasks that keep failing (an image that does not exist) fail the
deployment, the resource fails ("Error occurred during operation 'ECS Deployment Circuit Breaker
was triggered'.") and the stack rolls back, taking the service and its stopped tasks with it; a
service at 0 tasks is stable at once. Without the breaker CloudFormation waits for hours; the
emulator then leaves the stack as moto does. moto starts no tasks, so which services cannot start
is told to the emulator: :data:`UNSTARTABLE` (in-process) or ``EMULATOR_UNSTARTABLE_SERVICES``
(comma-separated service names, in the server's environment), as the ECS agent's ``broken``.
"""

from __future__ import annotations

import os
from typing import Any

from moto.ecs.models import Service, ecs_backends

from emulator.aws_like._patch import replace

UNSTARTABLE: set[str] = {n for n in os.environ.get("EMULATOR_UNSTARTABLE_SERVICES", "").split(",") if n}
REASON = ("Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit "
          "Breaker was triggered'.\" (HandlerErrorCode: GeneralServiceException)")


class CircuitBreakerTriggeredError(Exception):
    """The service's deployment failed; CloudFormation fails the resource."""

    message = REASON


def _breaker_on(properties: dict[str, Any]) -> bool:
    breaker = (properties.get("DeploymentConfiguration") or {}).get("DeploymentCircuitBreaker") or {}
    return str(breaker.get("Enable", "false")).lower() == "true"


def _create(original: Any) -> Any:
    def create_from_cloudformation_json(cls: type[Service], resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str, **kwargs: Any) -> Service:
        service = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json["Properties"]
        if service.name in UNSTARTABLE and int(properties.get("DesiredCount") or 0) > 0 and _breaker_on(properties):
            ecs_backends[account_id][region_name].delete_service(service.cluster_name, service.name, force=True)
            raise CircuitBreakerTriggeredError(REASON)
        return service
    return create_from_cloudformation_json


def apply() -> None:
    """Install the behaviour."""
    replace(Service, "create_from_cloudformation_json", _create, kind="classmethod")
