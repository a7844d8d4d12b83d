"""One small exception tree; ``str(e)`` is a complete sentence an operator can act on."""

from __future__ import annotations


class StackerEcsError(Exception):
    """Base class of every error this suite raises on purpose."""


class ConfigError(StackerEcsError, ValueError):
    """Bad input, refused before any AWS change.

    Each problem reads ``<field>: <what is wrong with the value>; <how to fix it>``.
    """

    def __init__(self, problems: list[str] | str, *, where: str = "") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.where = where
        head = f"{where}: " if where else ""
        if len(self.problems) == 1:
            message = f"{head}{self.problems[0]}"
        else:
            message = head + f"{len(self.problems)} problems:\n  - " + "\n  - ".join(self.problems)
        super().__init__(message)


class AwsStateError(StackerEcsError):
    """AWS is not in the state the operation needs (no such stack, nothing live, ...)."""

    def __init__(self, message: str, *, app: str = "", version: str = "") -> None:
        self.app = app
        self.version = version
        prefix = f"{app}/{version}: " if app and version else (f"{app}: " if app else "")
        super().__init__(prefix + message)


class AwsCallError(AwsStateError):
    """An AWS call failed; carries the operation and AWS's error code."""

    def __init__(self, *, operation: str, code: str, message: str, subject: str = "") -> None:
        self.operation = operation
        self.code = code
        about = f" for {subject}" if subject else ""
        super().__init__(f"AWS refused {operation}{about}: {code}: {message}")


class UnhealthyVersionError(AwsStateError):
    """A version does not have the healthy targets it needs; the message says why."""

    def __init__(self, *, app: str, version: str, cause: str, details: list[str] | None = None) -> None:
        self.cause = cause
        self.details = list(details or [])
        text = cause
        if self.details:
            text += "\n  " + "\n  ".join(self.details)
        super().__init__(text, app=app, version=version)


class HealthTimeoutError(UnhealthyVersionError):
    """The wait for healthy targets reached its deadline."""


class CanaryRolledBackError(UnhealthyVersionError):
    """A stepped cutover was ended by an alarm; all traffic is back on the version live before it."""
