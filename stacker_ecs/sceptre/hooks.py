"""Sceptre hooks that run the lifecycle, under the version stack's ``after_launch``::

    hooks:
      after_launch:
        - !ecs_verify_health {enabled: true, app: web, version: v2, timeout_seconds: 600}
        - !ecs_cutover {enabled: false, app: web, version: v2}

The argument is the same dict as stacker's hook ``args``, plus ``enabled`` (Sceptre hooks have no
switch of their own; default true). The namespace defaults to the stack's (see ``common.py``).
Sceptre runs ``after_*`` hooks even when the launch failed, so each hook first checks that the
stack it hangs on was created or updated cleanly. A refusal or failure raises
:class:`EcsSceptreError`, which Sceptre prints as one line before exiting with status 1.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sceptre.hooks import Hook

from stacker_ecs.sceptre.common import EcsSceptreError, stack_namespace


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
        from stacker_ecs.core.errors import ConfigError
        from stacker_ecs.core.hooks import require_launched, run_hook

        if not isinstance(self.argument, dict):
            raise ConfigError(f"the argument is {self.argument!r}; give a mapping of the hook's args",
                              where=f"hook !{tag}")
        data = dict(self.argument)
        if not _enabled(data.pop("enabled", True), tag):
            return None
        data.setdefault("namespace", stack_namespace(self.stack))
        session = self.stack.connection_manager.get_session()
        require_launched(session, self.stack.external_name, hook=tag)
        return run_hook(self.NAME, data, session, where=f"hook !{tag} args")


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
