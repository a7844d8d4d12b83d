"""Sceptre hooks that run the lifecycle and check a launch before any change::

    hooks:
      before_launch:
        - !ecs_check_build          # every stack of the launch, and the group config's ecs_build
      before_delete:
        - !ecs_check_delete         # no app it deletes is live or keeps versions
      after_launch:
        - !ecs_verify_health {enabled: true, app: web, version: v2, timeout_seconds: 600}
        - !ecs_cutover {enabled: false, app: web, version: v2}

A lifecycle hook's argument is the same dict as stacker's hook ``args``, plus ``enabled`` (Sceptre
hooks have no switch of their own; default true). The namespace defaults to the stack's (see
``common.py``). A lifecycle hook acts only on its own app: on another app's application or version
stack (an application group's hooks are inherited by every app's stack) it does nothing. Sceptre
runs ``after_*`` hooks even when the launch failed, so each hook first checks that the stack it
hangs on was created or updated cleanly. A refusal or failure raises :class:`EcsSceptreError`,
which Sceptre prints as one line before exiting with status 1.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sceptre.hooks import Hook

from stacker_ecs.sceptre.common import EcsSceptreError, stack_app, stack_namespace


class _EcsHook(Hook):
    NAME: ClassVar[str]

    def run(self) -> None:
        """Check the stack launched, then run the core hook; raise one line on failure."""
        from stacker_ecs.core.errors import StackerEcsError

        tag = f"ecs_{self.NAME}"
        try:
            result = self._run(tag)
        except StackerEcsError as exc:
            raise EcsSceptreError(f"{tag} failed: {exc}") from None
        if result is not None:
            self.logger.info("%s: %s", tag, result.get("message") or result)

    def _run(self, tag: str) -> dict[str, Any] | None:
        from stacker_ecs.core.hooks import require_launched, run_hook

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


def hook_args(tag: str, argument: Any) -> dict[str, Any] | None:
    """Return a lifecycle hook's arguments without ``enabled``, or None when it is not enabled."""
    from stacker_ecs.core.errors import ConfigError

    if not isinstance(argument, dict):
        raise ConfigError(f"the argument is {argument!r}; give a mapping of the hook's args", where=f"hook !{tag}")
    data = dict(argument)
    return data if _enabled(data.pop("enabled", True), tag) else None


def _enabled(value: Any, tag: str) -> bool:
    from stacker_ecs.core.errors import ConfigError

    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text == "true"
    raise ConfigError(f"enabled: {value!r} is not true or false; write true or false", where=f"hook !{tag}")


class VerifyHealth(_EcsHook):
    """``!ecs_verify_health``: wait until the version has its healthy targets; say why when it will not."""

    NAME: ClassVar[str] = "verify_health"


class Cutover(_EcsHook):
    """``!ecs_cutover``: make a version live (scale to the live size, verify, switch the listener once)."""

    NAME: ClassVar[str] = "cutover"


class Rollback(_EcsHook):
    """``!ecs_rollback``: make the previous live version live again."""

    NAME: ClassVar[str] = "rollback"


class Cleanup(_EcsHook):
    """``!ecs_cleanup``: delete version stacks that are not live."""

    NAME: ClassVar[str] = "cleanup"


class Teardown(_EcsHook):
    """``!ecs_teardown``: remove the app (its live rule, every version stack, then its application stack)."""

    NAME: ClassVar[str] = "teardown"


LIFECYCLE: dict[str, type[_EcsHook]] = {h.NAME: h for h in (VerifyHealth, Cutover, Rollback, Cleanup, Teardown)}
"""Core hook name -> its Sceptre hook."""


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
            result = check_launch(self.stack)
        except StackerEcsError as exc:
            raise EcsSceptreError(f"ecs_check_build failed: {exc}") from None
        self.logger.debug("ecs_check_build: %s", result)


class CheckDelete(Hook):
    """``!ecs_check_delete`` (``before_delete``): refuse a ``sceptre delete`` while an app it would delete is live
    or has versions it would leave behind (Sceptre deletes only the stacks its config names); name teardown."""

    def setup(self) -> None:
        """Record the stack (Sceptre calls this while it reads the config, before the delete)."""
        from stacker_ecs.sceptre.check import register

        register(self.stack)

    def run(self) -> None:
        """Check the delete (reads only); raise one line naming what stays and how to remove it."""
        from stacker_ecs.core.errors import StackerEcsError
        from stacker_ecs.sceptre.check import check_delete

        try:
            check_delete(self.stack, self.stack.connection_manager.get_session())
        except StackerEcsError as exc:
            raise EcsSceptreError(f"ecs_check_delete failed: {exc}") from None
