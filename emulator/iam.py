"""moto's IAM enforcement, switched on to prove the principals' least-privilege policies end to end.

moto checks a request against the caller's IAM policies once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests have been served (``POST /moto-api/reset-auth`` sets that count; :func:`enforce` sets it
to 0). It checks the **action** only: most services hand it the resource ``"*"``, and a statement
with a ``Condition`` it cannot evaluate denies (``moto/iam/access_control.py``). :func:`moto_view`
is therefore what moto can judge of a policy: its actions, on every resource, without conditions.

The server (``python -m emulator.serve --iam``) records every request it receives and every
authorisation moto decided; ``GET /emulator-iam/requests`` returns both, so a test can name the
calls moto never checked (a service that does not call moto's check) beside the ones it denied.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from typing import Any
from urllib.parse import parse_qs

from moto.iam.access_control import IAMRequestBase

from emulator.aws_like._patch import replace

PATH = "/emulator-iam/requests"
REQUESTS: list[dict[str, Any]] = []
"""Every request: ``{"key": access key id, "action": "service:Operation", "stack": StackName or "",
"items": DynamoDB partition keys, "decision": "allowed"/"denied"/None}`` (None: moto did not check it)."""
_LOCK = threading.Lock()
_CURRENT = threading.local()


def _checked(original: Any) -> Any:
    def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
        entry = getattr(_CURRENT, "entry", None)
        try:
            original(self, resource)
        except Exception:
            if entry is not None:
                entry.update(decision="denied", checked=self._action)
            raise
        if entry is not None:
            entry.update(decision="allowed", checked=self._action)
    return check_action_permitted


def _action(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Return who called what: the access key id, ``service:Operation`` and the stack named (query protocol)."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
    key, service = (scope[0], scope[3]) if len(scope) > 3 else ("", "")
    query = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body.decode(errors="replace"))
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    operation = target.rpartition(".")[2] if target else (query.get("Action") or [""])[0]
    return {"key": key, "action": f"{service}:{operation or environ.get('PATH_INFO', '')}",
            "stack": (query.get("StackName") or [""])[0], "items": _partition_keys(target, body), "decision": None}


def _partition_keys(target: str, body: bytes) -> list[str]:
    """Return the partition-key values (``pk``) a DynamoDB request names: what ``dynamodb:LeadingKeys`` sees."""
    if not target.startswith("DynamoDB_"):
        return []
    request = json.loads(body or b"{}")
    keys = [request.get("Key"), request.get("Item")]
    keys += [k for table in request.get("RequestItems", {}).values() for k in table.get("Keys", [])]
    return sorted({k["pk"]["S"] for k in keys if k and "pk" in k})


def wrap(app: Any) -> Any:
    """Return ``app`` recording each request and moto's decision on it, with ``GET``/``DELETE`` of :data:`PATH`."""
    replace(IAMRequestBase, "check_action_permitted", _checked)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == PATH:
            with _LOCK:
                if environ.get("REQUEST_METHOD") == "DELETE":
                    REQUESTS.clear()
                body = json.dumps(REQUESTS).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if "HTTP_AUTHORIZATION" not in environ:
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = _Body(body)
        entry = _action(environ, body)
        with _LOCK:
            REQUESTS.append(entry)
        _CURRENT.entry = entry
        try:
            return app(environ, start_response)
        finally:
            _CURRENT.entry = None
    return application


class _Body:
    """The request body again, for moto to read after :func:`wrap` did."""

    def __init__(self, data: bytes) -> None:
        import io

        self._stream = io.BytesIO(data)

    def read(self, *args: Any) -> bytes:
        return self._stream.read(*args)

    def readline(self, *args: Any) -> bytes:
        return self._stream.readline(*args)

    def __iter__(self) -> Any:
        return iter(self._stream)


def enforce(url: str) -> None:
    """Make the server at ``url`` check every later request against the caller's IAM policies."""
    _post(f"{url}/moto-api/reset-auth", b"0")


def relax(url: str) -> None:
    """Make the server at ``url`` check no request again (moto's default), e.g. to reset and seed it."""
    _post(f"{url}/moto-api/reset-auth", b"inf")


def requests(url: str, *, clear: bool = False) -> list[dict[str, Any]]:
    """Return the requests the server at ``url`` recorded (and forget them when ``clear``)."""
    request = urllib.request.Request(f"{url}{PATH}", method="DELETE" if clear else "GET")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return list(json.loads(response.read()))


def _post(url: str, data: bytes) -> None:
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - the emulator on loopback
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


SIGNING_NAMES = {"cloudwatch": "monitoring", "tag": "tagging"}
"""IAM prefixes whose requests moto checks under the service's signing name instead (``monitoring:PutDashboard``)."""


def moto_view(document: dict[str, Any]) -> dict[str, Any]:
    """Return what moto can judge of a policy document.

    Its Allow statements' actions on every resource, without conditions; the statements that apply
    only through CloudFormation (``aws:CalledVia``) are left out, as moto never checks the calls
    CloudFormation makes. Actions moto knows by another prefix are granted under that one too.
    """
    statements = []
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow" or "aws:CalledVia" in json.dumps(statement.get("Condition", {})):
            continue
        actions = list(statement["Action"])
        actions += [f"{SIGNING_NAMES[a.split(':')[0]]}:{a.split(':')[1]}" for a in actions
                    if a.split(":")[0] in SIGNING_NAMES]
        statements.append({"Effect": "Allow", "Action": actions, "Resource": "*"})
    return {"Version": document["Version"], "Statement": statements}


def permits(document: dict[str, Any], action: str, resource: str) -> bool:
    """Return whether the principal may call ``action`` on ``resource`` itself, by Action, Resource and Deny.

    Conditions are not evaluated; statements that apply only through CloudFormation (``aws:CalledVia``)
    do not count, since nobody's own call is made through CloudFormation.
    """
    def matches(patterns: Any, value: str) -> bool:
        patterns = [patterns] if isinstance(patterns, str) else patterns
        return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), value) for p in patterns)

    statements = [s for s in document["Statement"] if "aws:CalledVia" not in json.dumps(s.get("Condition", {}))]
    hits = [s for s in statements if matches(s["Action"], action) and matches(s["Resource"], resource)]
    return any(s["Effect"] == "Allow" for s in hits) and not any(s["Effect"] == "Deny" for s in hits)
