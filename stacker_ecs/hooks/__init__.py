"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

One hook per entry of :data:`stacker_ecs.core.registry.HOOKS` (``verify_health``, ``cutover``,
``rollback``, ``cleanup``, ``teardown``, ``check_destroy``), plus ``check_build``. Each hands its
``args`` to :func:`stacker_ecs.core.registry.run_hook` (the config's namespace by default) with
stacker's session for the provider's region, and returns the operation's dict (for ``data_key``).
When the operation refuses or fails (a :class:`StackerEcsError`), the hook logs its message once
and returns False: stacker then ends a ``required`` hook's build with exit status 1 and no traceback
(a raised exception would be printed twice, with two tracebacks, by stacker 1.7). Anything else (a
bug) propagates. ``config/stacker-Dev.yml`` shows every hook in use; ``docs/reference.md`` lists
their arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.config_plan import Engine, check_config
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.registry import HOOKS, end_run_if_paused, run_hook

LOGGER = logging.getLogger(__name__)
stacker_log.install()
STACKER = Engine(hooks="stacker_ecs.hooks.", lookups="stacker_ecs.lookups.", blueprints="stacker_ecs.blueprints.",
                 verb="build", command="stacker build")
"""Where stacker's adapters of ours live (see :mod:`stacker_ecs.core.config_plan`)."""


def _reported(name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any] | bool:
    """Return ``run()``; our failures become stacker's (one logged message, a falsy result)."""
    try:
        return run()
    except StackerEcsError as exc:
        LOGGER.error("%s failed: %s", name, exc)
        return False


def _stacker_hook(name: str) -> Callable[..., dict[str, Any] | bool]:
    """Return the stacker hook of core hook ``name``."""

    def hook(provider: Any, context: Any, *, clock: Clock | None = None, **kwargs: Any) -> dict[str, Any] | bool:
        data = dict(kwargs)
        namespace = getattr(context, "namespace", None)
        if namespace and "namespace" not in data:
            data["namespace"] = namespace
        result = _reported(name, lambda: run_hook(name, data, get_session(getattr(provider, "region", None)),
                                                  where=f"hook {STACKER.hooks}{name} args", clock=clock))
        end_run_if_paused(name, result)
        return result

    hook.__name__ = hook.__qualname__ = name
    hook.__module__ = __name__
    hook.__doc__ = (HOOKS[name].summary
                    + "\n\n``clock`` is not a YAML argument: tests pass a fake one, so waits need no sleep.")
    return hook


for _name, _hook in HOOKS.items():
    if _hook.switch:
        globals()[_name] = _stacker_hook(_name)
_check_destroy = _stacker_hook("check_destroy")


def check_destroy(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_destroy``: refuse ``stacker destroy`` while an app it would delete is live or has versions it
    would leave behind (it deletes only the stacks the config names); point at teardown instead."""
    return _check_destroy(provider, context, stacks=[stack.fqn for stack in context.get_stacks()], **kwargs)


def check_build(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_build``: refuse a build whose switches, app, version, lookups, variables or hook arguments are wrong,
    or that AWS can tell will fail (alarms, application stack, zones, certificates, quotas; reads only).

    Nothing has changed yet when it runs (:mod:`stacker_ecs.core.preflight`).
    """
    config = context.config
    return _reported("check_build", lambda: check_config(
        kwargs, stacks=list(config.stacks or []), hooks=list(config.post_build or []),
        lookups=dict(config.lookups or {}), namespace=getattr(context, "namespace", None), engine=STACKER,
        session=get_session(getattr(provider, "region", None))))


__all__ = ["check_build", "check_destroy", *(name for name, hook in HOOKS.items() if hook.switch)]
