"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

Each hook parses its ``args`` into a model (a typo is an error), calls one core operation with a
boto3 session for the provider's region, and returns a dict (for ``data_key``). When the operation
refuses or fails (a :class:`StackerEcsError`), the hook logs its message once and returns False:
stacker then ends a ``required`` hook's build with exit status 1 and no traceback (a raised
exception would be printed twice, with two tracebacks, by stacker 1.7). Anything else (a bug)
propagates. Example (see config/stacker-Dev.yml)::

    post_build:
      - path: stacker_ecs.hooks.verify_health
        enabled: ${verify}
        data_key: health
        args: {app: web, version: "${web_version}", timeout_seconds: 600}
      - path: stacker_ecs.hooks.cutover
        enabled: ${cutover}
        args: {app: web, version: "${web_version}"}
      - path: stacker_ecs.hooks.rollback
        enabled: ${rollback}
        args: {app: web}
      - path: stacker_ecs.hooks.cleanup
        enabled: ${cleanup}
        args: {app: web, keep_last: 2, older_than_hours: 24, exclude: ["release-*"]}
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from stacker.session_cache import get_session

from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.hooks import run_hook

LOGGER = logging.getLogger(__name__)


def _stacker_hook(name: str) -> Callable[[Callable[..., Any]], Callable[..., dict[str, Any] | bool]]:
    """Make a stacker hook of core hook ``name``: one logged message and a falsy result on failure."""

    def wrap(hook: Callable[..., Any]) -> Callable[..., dict[str, Any] | bool]:
        @functools.wraps(hook)
        def run(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
            data = dict(kwargs)
            namespace = getattr(context, "namespace", None)
            if namespace and "namespace" not in data:
                data["namespace"] = namespace
            try:
                return run_hook(name, data, get_session(getattr(provider, "region", None)),
                                where=f"hook stacker_ecs.hooks.{name} args")
            except StackerEcsError as exc:
                LOGGER.error("%s failed: %s", name, exc)
                return False

        return run

    return wrap


@_stacker_hook("verify_health")
def verify_health(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Wait until the version has its healthy targets; fail fast, and say why, when it will not."""


@_stacker_hook("cutover")
def cutover(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Make a version live: scale to the live size, verify, switch the listener once."""


@_stacker_hook("rollback")
def rollback(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Make the previous live version live again."""


@_stacker_hook("cleanup")
def cleanup(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any]:
    """Delete version stacks that are not live."""
