"""CFNgin hooks that run the lifecycle: ``path: stacker_ecs.cfngin.hooks.<name>`` under ``post_deploy``.

Function hooks, as CFNgin calls them (``context=``, ``provider=``, the lookup-resolved ``args``).
Each hands its args to :func:`stacker_ecs.core.hooks.run_hook` with a session from the context and
returns the operation's dict (for ``data_key``); ``clock`` is not a YAML argument (tests pass a fake
one, so waits need no sleep). When the operation refuses or fails, the hook logs
its message once and returns False: CFNgin then ends a ``required`` hook's deploy with exit status
1 (a raised exception would be logged with its traceback).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.hooks import run_hook
from stacker_ecs.core.ops.wait import Clock

LOGGER = logging.getLogger(__name__)


def _cfngin_hook(name: str) -> Callable[[Callable[..., Any]], Callable[..., dict[str, Any] | bool]]:
    """Make a CFNgin hook of core hook ``name``."""

    def wrap(hook: Callable[..., Any]) -> Callable[..., dict[str, Any] | bool]:
        @functools.wraps(hook)
        def run(context: Any, provider: Any = None, *, clock: Clock | None = None,
                **kwargs: Any) -> dict[str, Any] | bool:
            where = f"hook stacker_ecs.cfngin.hooks.{name} args"
            data = dict(kwargs)
            data.setdefault("namespace", context.namespace)
            try:
                refuse_persistent_graph(context, where=where)
                session = context.get_session(region=getattr(provider, "region", None))
                return run_hook(name, data, session, where=where, clock=clock)
            except StackerEcsError as exc:
                LOGGER.error("%s failed: %s", name, exc)
                return False

        return run

    return wrap


@_cfngin_hook("verify_health")
def verify_health(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Wait until the version has its healthy targets; fail fast, and say why, when it will not."""


@_cfngin_hook("cutover")
def cutover(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Make a version live: scale to the live size, verify, switch the listener once."""


@_cfngin_hook("rollback")
def rollback(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Make the previous live version live again."""


@_cfngin_hook("cleanup")
def cleanup(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Delete version stacks that are not live."""
