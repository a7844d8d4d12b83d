"""Render one stack through each engine's own machinery: stacker, CFNgin (Runway) and Sceptre."""

from __future__ import annotations

import json
from typing import Any

from runway.cfngin.stack import Stack as CfnginStack
from runway.config import CfnginConfig
from runway.context import CfnginContext
from sceptre.connection_manager import ConnectionManager

from stacker_ecs.sceptre.handler import Blueprint as SceptreBlueprint
from tests.blueprints.test_blueprints_render import CLASS_PATHS, render, stack_definition
from tests.core.ops.conftest import REGION

KIND_CLASSES = {"cluster": "Cluster", "application": "Application", "version": "Version"}


def stacker_template(kind: str, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Return the template stacker renders for stack ``name`` (namespace ``ecs-dev``)."""
    blueprint = next(b for b in CLASS_PATHS if b.__name__ == KIND_CLASSES[kind])
    return render(stack_definition(name, blueprint, variables))


def cfngin_stack(kind: str, name: str, variables: dict[str, Any], **config: Any) -> CfnginStack:
    """Return CFNgin's Stack of ``name`` in a config holding only it, variables resolved."""
    definition = {"name": name, "class_path": f"stacker_ecs.cfngin.blueprints.{KIND_CLASSES[kind]}",
                  "variables": variables}
    context = CfnginContext(config=CfnginConfig.parse_obj(
        {"namespace": "ecs-dev", "cfngin_bucket": "", "stacks": [definition], **config}))
    stack = context.stacks[0]
    stack.resolve(context)
    return stack


def cfngin_template(kind: str, name: str, variables: dict[str, Any], **config: Any) -> dict[str, Any]:
    """Return the template CFNgin renders for stack ``name``."""
    return json.loads(cfngin_stack(kind, name, variables, **config).blueprint.rendered)


def sceptre_handler(kind: str, path: str, stack_name: str, variables: dict[str, Any],
                    **group_config: Any) -> SceptreBlueprint:
    """Return the ``stacker_ecs`` template handler of Sceptre stack ``path`` named ``stack_name``."""
    return SceptreBlueprint(name=path, arguments={"blueprint": kind}, sceptre_user_data=variables,
                            connection_manager=ConnectionManager(REGION, None, stack_name),
                            stack_group_config=group_config)


def sceptre_template(kind: str, path: str, stack_name: str, variables: dict[str, Any],
                     **group_config: Any) -> dict[str, Any]:
    """Return the template the Sceptre handler renders."""
    return json.loads(sceptre_handler(kind, path, stack_name, variables, **group_config).handle())
