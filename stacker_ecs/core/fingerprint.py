"""What a deploy of a version that already exists may do: never change a serving version in place.

A version stack carries a ``Fingerprint`` output: a hash of its template without the service's
``DesiredCount`` and without the ``DesiredCount`` output that records it (so stacks deployed before
that output existed keep their fingerprint). Before a build renders a
version, the ``ecs_deployed_version`` lookup (:mod:`stacker_ecs.core.ops.lookups`) reads whether
that version is live, previous or carrying part of a stepped cutover, and its deployed fingerprint
and the ``DesiredCount`` it was deployed with (3 calls). The blueprint then refuses, naming the fix,
a template that would change such a version in place: on AWS that would be a rolling redeploy of
live tasks with no verification and no blue/green, and a changed ``DesiredCount`` would set the
running service to the template's count (lowering a live version autoscaling raised). An unchanged
re-run (a retried pipeline) is allowed, and so is any change to a version no traffic reaches.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from troposphere import Output, Template

from stacker_ecs.core.contract import DESIRED_COUNT, FINGERPRINT
from stacker_ecs.core.errors import ConfigError

SERVING_ROLES = ("live", "previous", "serving")

def fingerprint(template: Template | dict[str, Any]) -> str:
    """Return the hash of a version template, ignoring the service's desired count, its output and this one."""
    body = copy.deepcopy(template.to_dict() if isinstance(template, Template) else template)
    for output in (FINGERPRINT, DESIRED_COUNT):
        body.get("Outputs", {}).pop(output, None)
    for resource in body.get("Resources", {}).values():
        if resource.get("Type") == "AWS::ECS::Service":
            resource.get("Properties", {}).pop("DesiredCount", None)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def stamp(template: Template) -> str:
    """Add the ``Fingerprint`` output to a version template; return the fingerprint."""
    value = fingerprint(template)
    template.add_output(Output(FINGERPRINT, Value=value,
                               Description="Hash of this template without the service's DesiredCount"))
    return value


def check_redeploy(app: str, version: str, deployed: str, new_fingerprint: str, *, where: str,
                   new_version: str = "-e version=<new>", desired_count: int | None = None) -> None:
    """Refuse to change a live, previous or serving version in place (``deployed`` from the lookup).

    ``deployed`` is ``<role>:<fingerprint>[:<deployed DesiredCount>]`` (the count is absent for stacks
    deployed before the ``DesiredCount`` output existed). ``desired_count`` is the new template's.
    ``new_version`` says how the engine's user names another version (stacker's ``-e version=<new>``).
    """
    role, _, rest = str(deployed).partition(":")
    old, _, old_count = rest.partition(":")
    if role not in (*SERVING_ROLES, "idle", "absent") or (old_count and not old_count.isdigit()):
        raise ConfigError(f"Deployed: {deployed!r} is not what ${{ecs_deployed_version {app}::version={version}}} "
                          "returns; pass that lookup", where=where)
    if role not in SERVING_ROLES:
        return
    if old != new_fingerprint:
        raise ConfigError(
            f"{app}/{version} is {role} and this build would change its stack in place (its template differs from "
            f"the deployed one); deploy the change as a new version ({new_version}) and cut over to it",
            where=where)
    if old_count and desired_count is not None and int(old_count) != desired_count:
        raise ConfigError(
            f"DesiredCount: {desired_count}, but {app}/{version} is {role} and was deployed with {old_count}; "
            "CloudFormation would scale its running service to the new count in place; pass DesiredCount: "
            f"${{ecs_version_desired_count {app}::version={version}}}, which keeps the deployed value (scale a "
            "serving version with autoscaling or ECS, never through its stack)", where=where)
