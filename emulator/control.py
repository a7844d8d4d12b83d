"""What the ECS agent sets in the emulator that no AWS API lets a client set.

On AWS, ECS and the load balancer decide a target's health, a service's events, a task's exit code
and whether a task waits for capacity; moto decides none of these (every registered target is
healthy, services have no events, containers exit 0). The agent (:mod:`emulator.ecs_agent`) plays
ECS and the load balancer, so it sets them here: in this process when moto runs in-process, or
through ``POST <endpoint>/emulator-api/<operation>`` (JSON body) on the emulator's server, which
:func:`wrap` adds to moto's application.
"""

from __future__ import annotations

import datetime
import json
import os
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import ecs_backends
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from emulator.aws_like._patch import replace

PATH = "/emulator-api/"
TARGET_HEALTH: dict[str, tuple[str, str, str]] = {}
"""Target group ARN -> (state, reason code, description) of every target registered in it."""
MAX_EVENTS = 100


def set_target_health(target_group_arn: str, state: str = "", reason: str = "", description: str = "") -> None:
    """Report every registered target of the group in ``state`` (empty: back to moto's own answer)."""
    if state:
        TARGET_HEALTH[target_group_arn] = (state, reason, description)
    else:
        TARGET_HEALTH.pop(target_group_arn, None)


def add_service_event(cluster: str, service: str, message: str, region: str = "us-east-1") -> None:
    """Put an event at the head of the service's events, as ECS does (newest first, at most 100)."""
    found = _service(cluster, service, region)
    if found is not None:
        event = {"id": str(uuid.uuid4()), "createdAt": datetime.datetime.now(datetime.UTC), "message": message}
        found.events[:] = [event, *found.events][:MAX_EVENTS]


def set_task_exit(cluster: str, task: str, exit_code: int, reason: str = "", region: str = "us-east-1") -> None:
    """Set the exit code (and reason) of the task's containers."""
    found = _task(cluster, task, region)
    for container in found.containers if found else []:
        container.exitCode = exit_code
        container.last_status = "STOPPED"
        if reason:
            container.reason = reason


def set_task_status(cluster: str, task: str, status: str, region: str = "us-east-1") -> None:
    """Set a task's last status (``PROVISIONING``, ``PENDING``: a task waiting for capacity)."""
    found = _task(cluster, task, region)
    if found is not None:
        found._status = status
        found.status = status


def set_instance_free(cluster: str, instance: str, cpu: int, memory: int, region: str = "us-east-1") -> None:
    """Set a container instance's remaining CPU units and memory (MiB)."""
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][region]
    found = backend.container_instances.get(cluster.split("/")[-1], {}).get(instance.split("/")[-1])
    for resource in found.remaining_resources if found else []:
        if resource["name"] in ("CPU", "MEMORY"):
            resource["integerValue"] = cpu if resource["name"] == "CPU" else memory


OPERATIONS: dict[str, Callable[..., None]] = {
    f.__name__: f for f in (set_target_health, add_service_event, set_task_exit, set_task_status, set_instance_free)}


def _service(cluster: str, service: str, region: str) -> Any:
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][region]
    return backend.services.get(f"{cluster.split('/')[-1]}:{service}")


def _task(cluster: str, task: str, region: str) -> Any:
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][region]
    tasks = backend.tasks.get(cluster.split("/")[-1], {})
    return tasks.get(task) or next((t for arn, t in tasks.items() if arn.endswith("/" + task.split("/")[-1])), None)


def _health_for(original: Any) -> Any:
    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        status = original(self, target, ec2_backend)
        override = TARGET_HEALTH.get(self.arn)
        if override is None or status.status != "healthy":
            return status
        state, reason, description = override
        return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, state, reason, description)
    return health_for


def apply() -> None:
    """Install the target-health override (idempotent)."""
    replace(FakeTargetGroup, "health_for", _health_for)


def wrap(app: Any) -> Any:
    """Return moto's WSGI application with ``POST /emulator-api/<operation>`` in front of it."""
    apply()

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PATH):
            return app(environ, start_response)
        operation = OPERATIONS.get(path[len(PATH):])
        if operation is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "unknown operation"}']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        operation(**json.loads(environ["wsgi.input"].read(length) or b"{}"))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]
    return application


class Control:
    """Calls the operations above: over HTTP when ``endpoint_url`` names the emulator's server, else in-process."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url if endpoint_url is not None else os.environ.get("AWS_ENDPOINT_URL", "")
        if not self.endpoint_url:
            apply()

    def __getattr__(self, name: str) -> Callable[..., None]:
        """Return a function that runs operation ``name``."""
        if name not in OPERATIONS:
            raise AttributeError(name)
        if not self.endpoint_url:
            return OPERATIONS[name]

        def call(**kwargs: Any) -> None:
            request = urllib.request.Request(  # noqa: S310 - the emulator's own loopback server
                f"{self.endpoint_url.rstrip('/')}{PATH}{name}", data=json.dumps(kwargs).encode(), method="POST",
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                pass
        return call
