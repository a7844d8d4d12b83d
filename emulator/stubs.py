"""Answer one AWS call of one client with a given response, for states moto cannot produce.

botocore asks ``before-call`` handlers first; a handler's answer is used instead of the request.
So the operation under test runs unchanged, on its own client, and only the one call is answered
here; every other call still goes to moto.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse


@contextlib.contextmanager
def answer_once(client: Any, operation: str, response: dict[str, Any],
                expected_params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
    """Answer ``client``'s next ``operation`` call (e.g. ``DescribeStacks``) with ``response``.

    Yields the parameters of the answered call; on leaving the block, the call must have been made
    (and with ``expected_params``, if given).
    """
    answered: list[dict[str, Any]] = []
    asked: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        if not answered:
            asked.append(dict(params))

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if answered:
            return None
        answered.append(asked[-1])
        return AWSResponse("https://stubbed.invalid/", 200, {}, None), response

    events = client.meta.events
    events.register(f"before-parameter-build.*.{operation}", remember)
    events.register_first(f"before-call.*.{operation}", answer)
    try:
        yield answered
    finally:
        events.unregister(f"before-parameter-build.*.{operation}", remember)
        events.unregister(f"before-call.*.{operation}", answer)
    if not answered:
        raise AssertionError(f"{operation} was never called, so the stubbed answer was not used")
    if expected_params is not None and answered[0] != expected_params:
        raise AssertionError(f"{operation} was called with {answered[0]}, not {expected_params}")
