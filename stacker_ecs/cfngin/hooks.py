"""CFNgin hooks: ``check_build`` under ``pre_deploy``, the lifecycle's under ``post_deploy``.

Function hooks, as CFNgin calls them (``context=``, ``provider=``, the lookup-resolved ``args``), one
per entry of :data:`stacker_ecs.core.registry.HOOKS`.
Each hands its args to :func:`stacker_ecs.core.registry.run_hook` with a session from the context and
returns the operation's dict (for ``data_key``); ``clock`` is not a YAML argument (tests pass a fake
one, so waits need no sleep). When the operation refuses or fails, the hook logs
its message once and returns False: CFNgin then ends a ``required`` hook's deploy with exit status
1 (a raised exception would be logged with its traceback).

``check_build`` is stacker's (:mod:`stacker_ecs.core.config_plan`), plus what CFNgin lacks: it has
no ``--targets``, so in an app's pipeline (any switch on) the hook disables every stack of the
config but the version stack, which then is the deploy's only stack change (none without
``deploy``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stacker_ecs.cfngin import log
from stacker_ecs.cfngin.graph import refuse_persistent_graph
from stacker_ecs.core.config_plan import Engine, check_config
from stacker_ecs.core.errors import ConfigError, StackerEcsError
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.registry import HOOKS, end_run_if_paused, run_hook

LOGGER = logging.getLogger(__name__)
log.install()
CFNGIN = Engine(hooks="stacker_ecs.cfngin.hooks.", lookups="stacker_ecs.cfngin.lookups.",
                blueprints="stacker_ecs.cfngin.blueprints.", verb="deploy", command="runway deploy",
                hooks_section="post_deploy", option=lambda name: f"{name.upper()}=<{name}>")
"""Where CFNgin's adapters of ours live (see :mod:`stacker_ecs.core.config_plan`)."""
TEARDOWN_COMMAND = "APP=<app> TEARDOWN=true [TEARDOWN_FORCE=true] runway deploy"


def _reported(name: str, context: Any, run: Callable[[], dict[str, Any]]) -> dict[str, Any] | bool:
    """Refuse a persistent graph, then return ``run()``; our failures become CFNgin's (one message, False)."""
    try:
        refuse_persistent_graph(context, where=f"hook {CFNGIN.hooks}{name}")
        return run()
    except StackerEcsError as exc:
        LOGGER.error("%s failed: %s", name, exc)
        return False


def _cfngin_hook(name: str) -> Callable[..., dict[str, Any] | bool]:
    """Return the CFNgin hook of core hook ``name``."""

    def hook(context: Any, provider: Any = None, *, clock: Clock | None = None, **kwargs: Any) -> dict[str, Any] | bool:
        data = {"namespace": context.namespace, **kwargs}
        result = _reported(name, context, lambda: run_hook(
            name, data, context.get_session(region=getattr(provider, "region", None)),
            where=f"hook {CFNGIN.hooks}{name} args", clock=clock))
        end_run_if_paused(name, result)
        return result

    hook.__name__ = hook.__qualname__ = name
    hook.__module__ = __name__
    hook.__doc__ = HOOKS[name].summary
    return hook


for _name, _hook in HOOKS.items():
    if _hook.switch:
        globals()[_name] = _cfngin_hook(_name)
_check_destroy = _cfngin_hook("check_destroy")


def check_destroy(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_destroy``: refuse ``runway destroy`` while an app it would delete is live or has versions it would
    leave behind (it deletes only the stacks the config names); point at teardown instead."""
    return _check_destroy(context, provider, stacks=[stack.fqn for stack in context.stacks],
                          teardown_command=TEARDOWN_COMMAND, **kwargs)


def check_build(context: Any, provider: Any = None, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_deploy``: refuse a deploy whose switches, app, version, lookups, variables or hook arguments are wrong.

    Nothing has changed yet when it runs. In an app's pipeline (a deploy that names an app) it then
    disables every stack but the version stack (CFNgin has no ``--targets``): the cluster's and
    every app's application stack are left exactly as they are.
    """

    def run() -> dict[str, Any]:
        config = context.config
        result = check_config(kwargs, stacks=list(config.stacks or []), hooks=list(config.post_deploy or []),
                              lookups=dict(config.lookups or {}), namespace=context.namespace, engine=CFNGIN,
                              session=context.get_session(region=getattr(provider, "region", None)))
        named = str(kwargs.get("app") or "none")
        if result["switches"] or named != "none":  # an app named without a switch changes nothing either
            _deploy_only_the_version(context, result["app"] or named)
        return result

    return _reported("check_build", context, run)


def _deploy_only_the_version(context: Any, app: str) -> None:
    """Disable every stack of the pipeline's deploy but the version stack; refuse if CFNgin would not honour it."""
    keep = {s.name for s in context.config.stacks or [] if CFNGIN.kind_of(s.class_path) == "version"}
    for stack in context.stacks:
        if stack.name not in keep:
            stack.enabled = False
    left = [stack.name for stack in context.stacks if stack.enabled and stack.name not in keep]
    if left:  # a Runway that builds its Stack objects again for the plan
        raise ConfigError(f"stacks {', '.join(left)} would be deployed by {app}'s pipeline, since this Runway "
                          "does not keep the stacks check_build disabled; use the Runway version in "
                          "requirements.txt", where=f"hook {CFNGIN.hooks}check_build")
    deployed = [stack.name for stack in context.stacks if stack.enabled]
    LOGGER.info("%s: app pipeline: %s; every other stack is left as it is", app,
                f"deploys {', '.join(deployed)}" if deployed else "deploys no stack")


__all__ = ["check_build", "check_destroy", *(name for name, hook in HOOKS.items() if hook.switch)]
