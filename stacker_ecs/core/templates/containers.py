"""Container definitions in the seed's ``ecs.json`` shape (the ECS API's camelCase) -> troposphere.

Users keep the task definition they know from ``aws ecs register-task-definition``; this module
turns it into CloudFormation's PascalCase properties, checks it the way ECS would, and fills in
what a version needs (awslogs, dynamic or awsvpc port mappings, the image of this build).
"""

from __future__ import annotations

import copy
import json
import re
import string
from pathlib import Path
from typing import Any

from troposphere import ecs

# ECS API names whose CloudFormation spelling is not just the first letter upper-cased.
CFN_NAMES = {
    "efsVolumeConfiguration": "EFSVolumeConfiguration",
    "fileSystemId": "FilesystemId",
    "iam": "IAM",
    "fsxWindowsFileServerVolumeConfiguration": "FSxWindowsFileServerVolumeConfiguration",
}
# Maps whose keys are the user's own (docker labels, log driver options): copied as they are.
FREE_FORM_KEYS = frozenset({"options", "dockerLabels", "labels", "driverOpts"})
TASK_KEYS = frozenset({"containerDefinitions", "family", "cpu", "memory", "volumes"})
# Environment variable names that suggest a credential in plain text.
CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)",
                             re.IGNORECASE)

# Fargate's accepted task sizes: cpu units -> memory MiB values.
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}


def load_task_definition(path: str, substitutions: dict[str, str]) -> dict[str, Any]:
    """Read an ``ecs.json`` file, replacing ``${App}``, ``${Version}``, ``${Environment}``."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path!r} is not a file (relative paths start at the directory the engine "
                         f"runs in, {Path.cwd()}); fix the path")
    text = string.Template(file.read_text()).safe_substitute(substitutions)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path!r} is not valid JSON ({exc}); fix the file") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path!r} holds a {type(data).__name__}; it must hold an object with "
                         "'containerDefinitions'")
    return data


def check_task_shape(task: dict[str, Any]) -> None:
    """Refuse keys this suite sets itself, and a task without containers."""
    unknown = sorted(set(task) - TASK_KEYS)
    if unknown:
        raise ValueError(f"has {', '.join(unknown)}, which this blueprint sets itself or does not know; "
                         f"keep only {', '.join(sorted(TASK_KEYS))}")
    containers = task.get("containerDefinitions")
    if not isinstance(containers, list) or not containers:
        raise ValueError("needs 'containerDefinitions', a non-empty list of containers as in ecs.json")
    for index, container in enumerate(containers):
        if not isinstance(container, dict) or not container.get("name") or not container.get("image"):
            raise ValueError(f"containerDefinitions[{index}] needs at least 'name' and 'image'")
        for mapping in container.get("portMappings") or []:
            if not isinstance(mapping, dict) or not isinstance(mapping.get("containerPort"), int):
                raise ValueError(f"container {container['name']!r} has a port mapping without a numeric "
                                 f"'containerPort' ({mapping!r}); add one, e.g. {{\"containerPort\": 8080}}")
        for item in container.get("secrets") or []:
            if not isinstance(item, dict) or not item.get("name") or not item.get("valueFrom"):
                raise ValueError(f"container {container['name']!r} has a secret without 'name' and "
                                 f"'valueFrom' ({item!r}); add both, valueFrom being an SSM parameter "
                                 "or Secrets Manager ARN")


def to_cfn(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with every camelCase key turned into CloudFormation's PascalCase."""
    if isinstance(value, dict):
        if key in FREE_FORM_KEYS:
            return dict(value)
        return {CFN_NAMES.get(k, k[:1].upper() + k[1:]): to_cfn(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cfn(item, key) for item in value]
    return value


def parse_size(value: Any) -> int | None:
    """Return a memory or cpu figure as an int (ecs.json often has strings such as ``"512"``)."""
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number of MiB or cpu units; write it as e.g. 512") from None


def check_sizes(task: dict[str, Any], launch_type: str) -> None:
    """Check task and container cpu/memory the way ECS would, before anything is deployed."""
    task_memory = parse_size(task.get("memory"))
    task_cpu = parse_size(task.get("cpu"))
    if launch_type == "FARGATE":
        _check_fargate_size(task_cpu, task_memory)
    reserved = 0
    for container in task["containerDefinitions"]:
        name = container["name"]
        hard = parse_size(container.get("memory"))
        soft = parse_size(container.get("memoryReservation"))
        if task_memory is None and hard is None and soft is None:
            raise ValueError(f"container {name!r} has no 'memory' or 'memoryReservation' and the task no "
                             "'memory'; set one of them")
        for label, amount in (("memory", hard), ("memoryReservation", soft)):
            if task_memory is not None and amount is not None and amount > task_memory:
                raise ValueError(f"container {name!r} {label} {amount} MiB is above the task's memory "
                                 f"{task_memory} MiB; lower it or raise the task's 'memory'")
        if hard is not None and soft is not None and soft > hard:
            raise ValueError(f"container {name!r} memoryReservation {soft} is above its memory {hard}; "
                             "the reservation must not exceed the hard limit")
        reserved += soft or hard or 0
    if task_memory is not None and reserved > task_memory:
        raise ValueError(f"containers reserve {reserved} MiB together, above the task's memory "
                         f"{task_memory} MiB; lower the containers' memory or raise the task's")


def _check_fargate_size(cpu: int | None, memory: int | None) -> None:
    if cpu is None or memory is None:
        raise ValueError("Fargate tasks need task-level 'cpu' and 'memory'; add both, e.g. "
                         "\"cpu\": \"256\", \"memory\": \"512\"")
    if cpu not in FARGATE_SIZES:
        raise ValueError(f"cpu {cpu} is not a Fargate size; use one of "
                         f"{', '.join(str(c) for c in FARGATE_SIZES)}")
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        choices = (", ".join(map(str, allowed)) if len(allowed) <= 4
                   else f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}")
        raise ValueError(f"memory {memory} MiB does not go with cpu {cpu} on Fargate; use {choices} MiB")


def check_environment(containers: list[dict[str, Any]]) -> None:
    """Refuse plain-text environment values whose names say they are credentials."""
    for container in containers:
        for item in container.get("environment") or []:
            name = str(item.get("name", ""))
            if CREDENTIAL_NAME.search(name):
                raise ValueError(
                    f"container {container['name']!r} sets {name!r} as a plain environment value, which "
                    "would show in the console and API; move it to 'secrets' with a 'valueFrom' of an "
                    "SSM parameter or Secrets Manager ARN")


def pick_target(containers: list[dict[str, Any]], name: str | None, port: int | None) -> tuple[str, int]:
    """Return the container and port the load balancer sends traffic to."""
    candidates = [c for c in containers if name in (None, c["name"])]
    if not candidates:
        raise ValueError(f"no container is named {name!r}; containers are "
                         f"{', '.join(c['name'] for c in containers)}")
    for container in candidates:
        ports = [m.get("containerPort") for m in container.get("portMappings") or []]
        if port is None and ports:
            return container["name"], int(ports[0])
        if port is not None and port in ports:
            return container["name"], port
    wanted = f"port {port}" if port else "a port mapping"
    raise ValueError(f"no container{' ' + repr(name) if name else ''} has {wanted}; add a portMappings "
                     "entry with containerPort, or set ContainerName/ContainerPort")


def secret_sources(containers: list[dict[str, Any]]) -> list[str]:
    """Return every ``valueFrom`` the execution role must be able to read."""
    sources: list[str] = []
    for container in containers:
        for item in container.get("secrets") or []:
            sources.append(str(item["valueFrom"]))
        for item in (container.get("logConfiguration") or {}).get("secretOptions") or []:
            sources.append(str(item["valueFrom"]))
        credentials = (container.get("repositoryCredentials") or {}).get("credentialsParameter")
        if credentials:
            sources.append(str(credentials))
    return sorted(set(sources))


def prepare(containers: list[dict[str, Any]], *, image: str | None, target: str, awsvpc: bool,
            log_group: str, region: Any, stream_prefix: str) -> list[dict[str, Any]]:
    """Return copies of ``containers`` ready for this version: image, ports and logs filled in."""
    prepared = []
    for original in containers:
        container = copy.deepcopy(original)
        if image and container["name"] == target:
            container["image"] = image
        for mapping in container.get("portMappings") or []:
            mapping.setdefault("protocol", "tcp")
            if awsvpc:
                mapping["hostPort"] = mapping["containerPort"]
            else:
                mapping.setdefault("hostPort", 0)
        container.setdefault("logConfiguration", {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region,
                        "awslogs-stream-prefix": stream_prefix},
        })
        prepared.append(container)
    return prepared


def build_container_definitions(containers: list[dict[str, Any]]) -> list[ecs.ContainerDefinition]:
    """Return troposphere container definitions; an unknown property is refused by name."""
    definitions = []
    known = ecs.ContainerDefinition.props
    for container in containers:
        unknown = sorted(k for k in container if CFN_NAMES.get(k, k[:1].upper() + k[1:]) not in known)
        if unknown:
            raise ValueError(f"container {container.get('name')!r} has unknown properties {', '.join(unknown)}; "
                             "use the ECS API's property names, as in ecs.json")
        try:
            definitions.append(ecs.ContainerDefinition.from_dict(None, to_cfn(container)))
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"container {container.get('name')!r}: {exc}; use the ECS API's property "
                             "names, as in ecs.json") from None
    return definitions


def build_volumes(volumes: list[dict[str, Any]]) -> list[ecs.Volume]:
    """Return troposphere task volumes from ecs.json ``volumes``."""
    try:
        return [ecs.Volume.from_dict(None, to_cfn(volume)) for volume in volumes]
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"volumes: {exc}; use the ECS API's property names, as in ecs.json") from None
