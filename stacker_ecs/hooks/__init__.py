"""stacker hooks that run the deployment lifecycle: ``path: stacker_ecs.hooks.<name>``.

Each hook hands its ``args`` to :func:`stacker_ecs.core.hooks.run_hook`, which parses them into a
model (a typo is an error) and calls one core operation with an AWS context
(:func:`stacker_ecs.core.aws.context_for`) built on stacker's session for the provider's region;
the hook returns the operation's dict (for ``data_key``). When the operation refuses or fails (a
:class:`StackerEcsError`), the hook logs its message once and returns False: stacker then ends a
``required`` hook's build with exit status 1 and no traceback (a raised exception would be printed
twice, with two tracebacks, by stacker 1.7). Anything else (a bug) propagates. Example (see
config/stacker-Dev.yml: every hook acts on the one app a build names)::

    pre_build:
      - path: stacker_ecs.hooks.check_build
        args: {app: "${app}", version: "${version}", deploy: "${deploy}", cutover: "${cutover}"}
    post_build:
      - path: stacker_ecs.hooks.verify_health
        enabled: ${verify}
        data_key: health
        args: {app: "${app}", version: "${version}", timeout_seconds: 600}
      - path: stacker_ecs.hooks.cutover
        enabled: ${cutover}
        args: {app: "${app}", version: "${version}"}
      - path: stacker_ecs.hooks.rollback
        enabled: ${rollback}
        args: {app: "${app}"}
      - path: stacker_ecs.hooks.cleanup
        enabled: ${cleanup}
        args: {app: "${app}", keep_last: 2, older_than_hours: 24, exclude: ["release-*"]}
      - path: stacker_ecs.hooks.teardown
        enabled: ${teardown}
        args: {app: "${app}", force: "${teardown_force}"}
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stacker.session_cache import get_session

from stacker_ecs import stacker_log
from stacker_ecs.core.build_plan import Engine, check_config
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.hooks import run_hook
from stacker_ecs.core.ops.wait import Clock

LOGGER = logging.getLogger(__name__)
stacker_log.install()


def _stacker_hook(name: str, doc: str) -> Callable[..., dict[str, Any] | bool]:
    """Return the stacker hook ``name``: run core hook ``name`` on the args (the config's namespace
    by default), and turn our failures into stacker's (one logged message, a falsy result)."""

    def hook(provider: Any, context: Any, *, clock: Clock | None = None, **kwargs: Any) -> dict[str, Any] | bool:
        data = dict(kwargs)
        namespace = getattr(context, "namespace", None)
        if namespace and "namespace" not in data:
            data["namespace"] = namespace
        try:
            return run_hook(name, data, get_session(getattr(provider, "region", None)),
                            where=f"hook stacker_ecs.hooks.{name} args", clock=clock)
        except StackerEcsError as exc:
            LOGGER.error("%s failed: %s", name, exc)
            return False

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = doc + "\n\n``clock`` is not a YAML argument: tests pass a fake one, so waits need no sleep."
    return hook


verify_health = _stacker_hook("verify_health",
                              "Wait until the version has healthy targets; fail fast, saying why, when it will not.")
cutover = _stacker_hook("cutover", "Make a version live: scale to the live size, verify, switch the listener once.")
rollback = _stacker_hook("rollback", "Make the previous live version live again.")
cleanup = _stacker_hook("cleanup", "Delete version stacks that are not live.")
teardown = _stacker_hook("teardown", "Remove the app: its live rule, every version stack, then its application stack.")
_check_destroy = _stacker_hook("check_destroy", "Refuse a destroy that would take a live app down or orphan versions.")


def check_destroy(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_destroy``: refuse ``stacker destroy`` while an app it would delete is live or has versions it
    would leave behind (it deletes only the stacks the config names); point at teardown instead."""
    return _check_destroy(provider, context, stacks=[stack.fqn for stack in context.get_stacks()], **kwargs)


STACKER = Engine(hooks="stacker_ecs.hooks.", lookups="stacker_ecs.lookups.", blueprints="stacker_ecs.blueprints.",
                 hooks_section="post_build")
"""Where stacker's adapters of ours live (see :mod:`stacker_ecs.core.build_plan`)."""


def check_build(provider: Any, context: Any, **kwargs: Any) -> dict[str, Any] | bool:
    """``pre_build``: refuse a build whose switches, app, version or hook arguments are wrong, before any change.

    The apps are the ``App`` variables of the config's Application stacks. Every enabled
    ``stacker_ecs.hooks.*`` of ``post_build`` has its arguments checked as it will receive them,
    every query of our lookups in an enabled stack is parsed, and every known variable of our
    blueprints is judged (:func:`stacker_ecs.core.build_plan.check_config`).
    """
    try:
        return check_config(kwargs, stacks=list(context.config.stacks or []),
                            hooks=list(context.config.post_build or []), lookups=dict(context.config.lookups or {}),
                            namespace=getattr(context, "namespace", None), engine=STACKER)
    except StackerEcsError as exc:
        LOGGER.error("check_build failed: %s", exc)
        return False
