"""Count the AWS calls a boto3 session makes (botocore's ``before-call`` event: once per API call)."""

from __future__ import annotations

import collections
import threading
from typing import Any

import boto3
import botocore.handlers

BOOKKEEPING = ("dynamodb.", "events.", "sts.")
"""Services of the suite's own records: the coordination table, the operations' events, who runs them."""
DASHBOARD = frozenset({"cloudwatch.PutDashboard"})
"""Calls that change no app resource either: the app's dashboard (:mod:`stacker_ecs.core.ops.dashboard`)."""


class CallCounter:
    """Counts every API call made by clients of one session, by ``service.Operation``."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        session.events.register("before-call.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @property
    def total(self) -> int:
        """Return the number of calls so far."""
        return sum(self.calls.values())

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.calls.clear()

    def mutating(self) -> list[str]:
        """Return the calls that change the app's resources (anything not Describe/List/Get).

        The suite's own coordination table (DynamoDB: leases, canary plans, history) and its records
        (EventBridge events, the caller's identity) are not app resources: see :meth:`coordination`.
        """
        return sorted(k for k in self.calls if not k.startswith(BOOKKEEPING) and k not in DASHBOARD
                      and not k.split(".", 1)[1].startswith(("Describe", "List", "Get")))

    def coordination(self) -> int:
        """Return how many calls went to the suite's bookkeeping: the coordination table, events, identity."""
        return sum(n for k, n in self.calls.items() if k.startswith(BOOKKEEPING))

    def dashboard(self) -> int:
        """Return how many calls wrote the app's dashboard (one per traffic change, never an app resource)."""
        return sum(n for k, n in self.calls.items() if k in DASHBOARD)


class EveryCall(CallCounter):
    """Counts the calls of every boto3 session created while it is active (stacker makes its own)."""

    def __init__(self) -> None:
        self.calls = collections.Counter()
        self._lock = threading.Lock()
        self._entry = ("before-call.*.*", self._count)

    def __enter__(self) -> EveryCall:
        botocore.handlers.BUILTIN_HANDLERS.append(self._entry)
        return self

    def __exit__(self, *_: object) -> None:
        botocore.handlers.BUILTIN_HANDLERS.remove(self._entry)
