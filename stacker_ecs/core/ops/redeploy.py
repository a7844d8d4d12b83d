"""What a deploy of a version that already exists may do: never change a serving version in place.

A version stack carries a ``Fingerprint`` output: a hash of its template without the service's
``DesiredCount`` (which follows the live size and is changed by cutover). Before a build renders a
version, the ``ecs_deployed_version`` lookup reads whether that version is live, previous or
carrying part of a stepped cutover, and its deployed fingerprint (3 calls). The blueprint then
refuses, naming the fix, a template that would change such a version in place: on AWS that would
be a rolling redeploy of live tasks with no verification and no blue/green. An unchanged re-run
(a retried pipeline) is allowed, and so is any change to a version no traffic reaches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import field_validator
from troposphere import Output, Template

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, describe_stack
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.ops.listener import describe_application, describe_listener
from stacker_ecs.core.ops.queries import AppQuery
from stacker_ecs.core.validation import check_version

FINGERPRINT_OUTPUT = "Fingerprint"
SERVING_ROLES = ("live", "previous", "serving")


class DeployedVersionQuery(AppQuery):
    """``${ecs_deployed_version <app>::version=<version>}``."""

    version: str
    """The version this build deploys."""

    _version = field_validator("version", mode="before")(lambda v: check_version(str(v)))


def fingerprint(template: Template | dict[str, Any]) -> str:
    """Return the hash of a version template, ignoring the service's desired count and this output."""
    body = json.loads(json.dumps(template.to_dict() if isinstance(template, Template) else template))
    body.get("Outputs", {}).pop(FINGERPRINT_OUTPUT, None)
    for resource in body.get("Resources", {}).values():
        if resource.get("Type") == "AWS::ECS::Service":
            resource.get("Properties", {}).pop("DesiredCount", None)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def stamp(template: Template) -> str:
    """Add the ``Fingerprint`` output to a version template; return the fingerprint."""
    value = fingerprint(template)
    template.add_output(Output(FINGERPRINT_OUTPUT, Value=value,
                               Description="Hash of this template without the service's DesiredCount"))
    return value


def find_deployed_version(aws: AwsContext, query: DeployedVersionQuery) -> str:
    """Return ``<role>:<fingerprint>`` of the deployed version (``absent:`` when it has no stack; 3 calls).

    The role is ``live``, ``previous`` (weight 0 beside the live one), ``serving`` (part of a stepped
    cutover) or ``idle``.
    """
    stack_name = naming.version_stack(query.namespace, query.app, query.version)
    stack = describe_stack(aws, stack_name)
    if stack is None:
        return "absent:"
    outputs = contract.outputs_of(stack)
    state = describe_listener(aws, describe_application(aws, query.namespace, query.app))
    group = outputs.get(contract.TARGET_GROUP_ARN)
    weight = state.forward.get(group or "", None)
    if state.live_version == query.version:
        role = "live"
    elif weight == 0:
        role = "previous"
    elif weight:
        role = "serving"
    else:
        role = "idle"
    return f"{role}:{outputs.get(FINGERPRINT_OUTPUT, '')}"


def check_redeploy(app: str, version: str, deployed: str, new_fingerprint: str, *, where: str,
                   new_version: str = "-e version=<new>") -> None:
    """Refuse to change a live, previous or serving version in place (``deployed`` from the lookup).

    ``new_version`` says how the engine's user names another version (stacker's ``-e version=<new>``).
    """
    role, _, old = str(deployed).partition(":")
    if role not in (*SERVING_ROLES, "idle", "absent"):
        raise ConfigError(f"Deployed: {deployed!r} is not what ${{ecs_deployed_version {app}::version={version}}} "
                          "returns; pass that lookup", where=where)
    if role in SERVING_ROLES and old != new_fingerprint:
        raise ConfigError(
            f"{app}/{version} is {role} and this build would change its stack in place (its template differs from "
            f"the deployed one); deploy the change as a new version ({new_version}) and cut over to it",
            where=where)
