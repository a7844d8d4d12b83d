"""boto3 clients with one retry policy, and the one place ``ClientError`` becomes ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from stacker_ecs.core.errors import AwsCallError

# Adaptive retries ride out throttling (ThrottlingException, TooManyRequestsException) and
# transient 5xx answers; ten attempts is about a minute of back-off at worst.
RETRY_CONFIG = Config(retries={"max_attempts": 10, "mode": "adaptive"})


def client(session: boto3.Session, service: str) -> Any:
    """Return a client of ``service`` with the suite's retry policy."""
    return session.client(service, config=RETRY_CONFIG)


@contextlib.contextmanager
def aws_call(operation: str, subject: str = "") -> Iterator[None]:
    """Turn a ``ClientError`` raised inside the block into an :class:`AwsCallError`."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsCallError(
            operation=operation,
            code=str(error.get("Code", "Unknown")),
            message=str(error.get("Message", exc)),
            subject=subject,
        ) from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise AwsCallError(operation=operation, code=type(exc).__name__, message=str(exc),
                           subject=subject) from exc

