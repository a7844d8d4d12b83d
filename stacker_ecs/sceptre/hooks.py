"""Sceptre hooks that run the lifecycle and check a launch before any change::

    hooks:
      before_launch:
        - !ecs_check_build          # every stack of the launch, and the group config's ecs_build
      before_delete:
        - !ecs_check_delete         # no app it deletes is live or keeps versions
      after_launch:
        - !ecs_verify_health {enabled: true, app: web, version: v2, timeout_seconds: 600}
        - !ecs_cutover {enabled: false, app: web, version: v2}

One lifecycle hook per entry of :data:`stacker_ecs.core.registry.HOOKS` with a switch. Its argument
is the same dict as stacker's hook ``args``, plus ``enabled`` (Sceptre hooks have no switch of their
own; default true). The namespace defaults to the stack's (see ``common.py``). A lifecycle hook acts
only on its own app: on another app's application or version stack (an application group's hooks
are inherited by every app's stack) it does nothing. Sceptre runs ``after_*`` hooks even when the
launch failed, so each hook first checks that the stack it hangs on was created or updated cleanly.
A refusal or failure raises :class:`EcsSceptreError`, which Sceptre prints as one line before
exiting with status 1. Progress and results read as under stacker (``web/v2: live (was v1)``):
Sceptre's CLI shows only its ``sceptre`` logger, so our records are handed to its handlers.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from sceptre.hooks import Hook

from stacker_ecs.core.registry import HOOKS, end_run_if_paused
from stacker_ecs.sceptre.common import EcsSceptreError, hook_args, require_launched, stack_app, stack_namespace


class _ToSceptre(logging.Handler):
    """Hand our records to the ``sceptre`` logger's handlers (the CLI's ``[time] - message`` format)."""

    def emit(self, record: logging.LogRecord) -> None:
        for handler in logging.getLogger("sceptre").handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def show_progress() -> None:
    """Under Sceptre's CLI, show our loggers' records (once)."""
    ours = logging.getLogger("stacker_ecs")
    if logging.getLogger("sceptre").handlers and not any(type(h).__name__ == _ToSceptre.__name__
                                                         for h in ours.handlers):
        ours.addHandler(_ToSceptre())
        if ours.level == logging.NOTSET:
            ours.setLevel(logging.INFO)


class EcsHook(Hook):
    """Runs core hook ``NAME`` on the hook's argument, for its own stack's app."""

    NAME: ClassVar[str]

    def run(self) -> None:
        """Check the stack launched, then run the core hook; raise one line on failure."""
        from stacker_ecs.core.errors import StackerEcsError

        tag = f"ecs_{self.NAME}"
        show_progress()
        try:
            result = self._run(tag)
        except StackerEcsError as exc:
            raise EcsSceptreError(f"{tag} failed: {exc}") from None
        if result is not None:  # the operation logged its progress and result as under stacker
            self.logger.debug("%s: %s", tag, result)
        end_run_if_paused(tag, result)

    def _run(self, tag: str) -> dict[str, Any] | None:
        from stacker_ecs.core.registry import run_hook

        data = hook_args(tag, self.argument)
        if data is None:
            return None
        data.setdefault("namespace", stack_namespace(self.stack))
        own = stack_app(self.stack)
        if own is not None and str(data.get("app")) != own:
            self.logger.debug("%s: not run on %s, a stack of app %s", tag, self.stack.name, own)
            return None
        session = self.stack.connection_manager.get_session()
        require_launched(session, self.stack.external_name, hook=tag)
        return run_hook(self.NAME, data, session, where=f"hook !{tag} args")


for _hook in HOOKS.values():
    if _hook.switch:
        globals()[_hook.class_name] = type(_hook.class_name, (EcsHook,), {
            "NAME": _hook.name, "__module__": __name__, "__doc__": f"``!ecs_{_hook.name}``: {_hook.summary}"})


class CheckBuild(Hook):
    """``!ecs_check_build`` (``before_launch``): refuse a launch whose switches, app, version, hook arguments,
    resolver queries or known variables are wrong, before its first stack changes.

    A Sceptre hook sees only its own stack, so this one records each stack it is attached to while
    Sceptre reads the config (``setup``), and checks every one of them (see ``check.py``).
    """

    def setup(self) -> None:
        """Record the stack (Sceptre calls this while it reads the config, before the launch)."""
        from stacker_ecs.sceptre.check import register

        register(self.stack)

    def run(self) -> None:
        """Check the launch; raise one line naming every problem."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.sceptre.check import check_launch

        try:
            result = check_launch(self.stack, self.stack.connection_manager.get_session())
        except StackerEcsError as exc:
            raise EcsSceptreError(f"ecs_check_build failed: {exc}") from None
        self.logger.debug("ecs_check_build: %s", result)


class CheckDelete(Hook):
    """``!ecs_check_delete`` (``before_delete``): refuse a ``sceptre delete`` while an app it would delete is live
    or has versions it would leave behind (Sceptre deletes only the stacks its config names); name teardown.
    Under Sceptre's ``delete`` command the check runs first while Sceptre reads the config (``setup``), before it
    prints its plan, and again before each stack's delete."""

    def setup(self) -> None:
        """Record the stack; under ``sceptre delete``, refuse the delete before Sceptre prints its plan (Sceptre calls
        this while it reads the config)."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.sceptre.check import check_delete_early, register

        register(self.stack)
        try:
            check_delete_early(self.stack, show_progress)
        except StackerEcsError as exc:
            raise EcsSceptreError(f"ecs_check_delete failed: {exc}") from None

    def run(self) -> None:
        """Check the delete (reads only); raise one line naming what stays and how to remove it."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.sceptre.check import check_delete

        try:
            check_delete(self.stack, self.stack.connection_manager.get_session())
        except StackerEcsError as exc:
            raise EcsSceptreError(f"ecs_check_delete failed: {exc}") from None


__all__ = ["CheckBuild", "CheckDelete", "EcsHook", *(h.class_name for h in HOOKS.values() if h.switch)]
