"""Inject AWS faults into one boto3 session with botocore's own events (no patching of our code).

``inject_errors`` answers chosen calls with an AWS error (throttling, a 5xx) before they reach the
emulator, so the suite's retry policy and error handling run for real; ``crash_before`` stops the
process's work at a chosen call, as a killed CI job would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse


class SimulatedCrash(BaseException):
    """The process "died" here (a BaseException, like KeyboardInterrupt: nothing catches it)."""


@dataclass
class ErrorInjection:
    """Answers up to ``times`` matching calls with ``code``; counts what it answered."""

    code: str
    status: int = 400
    times: int = 1
    operations: set[str] | None = None
    """``Operation`` names (e.g. ``ModifyRule``); None means every call."""
    each: bool = False
    """On, ``times`` counts for each ``Operation`` name apart: the first ``times`` calls of every kind fail."""
    armed: bool = True
    """Off lets every call through until a test arms it (clients are made once per operation, so a
    fault meant for the middle of one is registered before it starts and armed when its moment comes)."""
    answered: list[str] = field(default_factory=list)

    def __call__(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        """Answer ``request`` with the error if it is one of the calls to fail, else let it through."""
        operation = event_name.rsplit(".", 1)[-1]
        done = self.answered.count(operation) if self.each else len(self.answered)
        if not self.armed or done >= self.times or (self.operations and operation not in self.operations):
            return None
        self.answered.append(operation)
        # botocore still passes the request to every before-send handler, moto's included, and uses
        # the first answer: point this attempt elsewhere so the emulator does not also carry it out.
        url = request.url
        request.url = "http://fault-injected.invalid/"
        if "X-Amz-Target" in request.headers:  # JSON protocol (ECS, Application Auto Scaling)
            body = json.dumps({"__type": self.code, "message": f"injected {self.code}"}).encode()
            headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"}
        else:  # query protocol (CloudFormation, ELBv2)
            body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code>"
                    f"<Message>injected {self.code}</Message></Error><RequestId>injected</RequestId>"
                    "</ErrorResponse>").encode()
            headers = {"Content-Type": "text/xml"}
        return AWSResponse(url, self.status, headers, MockRawResponse(body))


def inject_errors(session: boto3.Session, injection: ErrorInjection) -> ErrorInjection:
    """Register ``injection`` on every client ``session`` creates from now on, ahead of the emulator."""
    session.events.register_first("before-send.*.*", injection)
    return injection


def crash_before(session: boto3.Session, operation: str, *, when: Callable[[], bool] = lambda: True) -> None:
    """Raise :class:`SimulatedCrash` when ``session`` is about to make ``operation`` (and ``when()``)."""

    def crash(event_name: str, **_: Any) -> None:
        if event_name.rsplit(".", 1)[-1] == operation and when():
            raise SimulatedCrash(operation)

    session.events.register("before-call.*.*", crash)
