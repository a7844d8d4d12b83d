"""A version's task definition: loaded (inline or from its file), then checked and built once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import Ref, ecs

from stacker_ecs.core import naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.templates import containers as ctr
from stacker_ecs.core.templates.version_spec import VersionSpec


@dataclass(frozen=True)
class CheckedTask:
    """A task definition ECS would accept, with what the version template takes from it."""

    task: dict[str, Any]
    """The task definition as given (ecs.json shape)."""
    container: str
    """The container behind the load balancer."""
    port: int
    """Its port."""
    containers: list[dict[str, Any]]
    """The containers as this version runs them: image, ports and awslogs filled in."""
    definitions: list[ecs.ContainerDefinition]
    """The same, as troposphere objects."""
    volumes: list[ecs.Volume]
    """The task's volumes, as troposphere objects."""


def load_task(spec: VersionSpec, *, where: str) -> dict[str, Any]:
    """Return the task definition given inline or in ``TaskDefinitionFile``; raises :class:`ConfigError`."""
    if spec.task_definition is not None:
        return spec.task_definition
    try:
        return ctr.load_task_definition(spec.task_definition_file or "", {
            "App": spec.app, "Version": spec.version, "Environment": spec.environment})
    except ValueError as exc:
        raise ConfigError(f"TaskDefinitionFile: {exc}", where=where) from None


def check_task(spec: VersionSpec, task: dict[str, Any], *, where: str) -> CheckedTask:
    """Check ``task`` the way ECS would and build its containers; raises :class:`ConfigError`."""
    source = "TaskDefinition" if spec.task_definition is not None else "TaskDefinitionFile"
    try:
        ctr.check_task_shape(task)
        ctr.check_sizes(task, spec.launch_type)
        ctr.check_environment(task["containerDefinitions"])
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}", where=where) from None
    try:
        container, port = ctr.pick_target(task["containerDefinitions"], spec.container_name, spec.container_port)
    except ValueError as exc:
        field = "ContainerName" if spec.container_name else "ContainerPort" if spec.container_port else source
        raise ConfigError(f"{field}: {exc}", where=where) from None
    containers = ctr.prepare(
        task["containerDefinitions"], image=spec.image, target=container, awsvpc=spec.launch_type == "FARGATE",
        log_group=spec.log_group_name, region=Ref("AWS::Region"),
        stream_prefix=naming.log_stream_prefix(spec.app, spec.version))
    try:
        definitions = ctr.build_container_definitions(containers)
        volumes = ctr.build_volumes(task.get("volumes") or [])
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}", where=where) from None
    return CheckedTask(task=task, container=container, port=port, containers=containers,
                       definitions=definitions, volumes=volumes)
