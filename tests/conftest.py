"""Shared fixtures: fake credentials, an in-process moto world (``pythonpath`` in pyproject.toml puts the
repo root, and so the ``emulator`` package, on the path)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from emulator import aws_like, control, json_templates, shared_models
from tests.fake_aws import REGION, use_fake_aws

aws_like.apply()  # moto fails where AWS fails (docs/fidelity.md), in every in-process test
control.apply()  # the ECS agent can make targets unhealthy (emulator/control.py)
json_templates.apply()  # moto reads a JSON template with json, not PyYAML (emulator/json_templates.py)
shared_models.apply()  # one reader of botocore's API models for every session (emulator/shared_models.py)


_generate_rsa_key = rsa.generate_private_key


@functools.cache
def _one_rsa_key(public_exponent: int, key_size: int) -> rsa.RSAPrivateKey:
    return _generate_rsa_key(public_exponent=public_exponent, key_size=key_size)


def _shared_rsa_key(public_exponent: int, key_size: int, backend: object = None) -> rsa.RSAPrivateKey:
    """Return one RSA key per size for the whole process: moto makes a 2048-bit key for every certificate
    (the seeded one, each application stack's), about 60 ms each, and no test reads a certificate's key."""
    return _one_rsa_key(public_exponent, key_size)


rsa.generate_private_key = _shared_rsa_key


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the end-to-end tests first (tens of seconds each, against an emulator server, real CLIs).

    With ``-n``, each worker then starts on a long test and the quick ones fill in around them,
    instead of one worker ending the run alone on the last long ones. The order is otherwise kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """No test may reach AWS: fake credentials, a fixed region, no endpoint or profile.

    In-process moto also skips its catalogue of public AMIs: it builds ~2,600 image objects each time
    it resets an EC2 backend, twice a test (when ``mock_aws`` starts and stops), about 0.15 s each, and
    no in-process world looks one up (its cluster names an image id). The end-to-end tests keep it: their
    emulator server inherits the environment, and the seed reads an Amazon image for the AMI parameter.
    """
    use_fake_aws(monkeypatch, public_amis=request.node.get_closest_marker("e2e") is not None)


class _FastClock:
    """botocore's rate-limiter clock, running a minute ahead at every reading: its token bucket is always
    refilled, so a throttled client never waits for real (the retries still happen, as many as configured)."""

    def __init__(self) -> None:
        self._now = 0.0

    def sleep(self, _seconds: float) -> None:
        self._now += 60.0

    def current_time(self) -> float:
        self._now += 60.0
        return self._now


@pytest.fixture
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without real waiting: no back-off sleep, no rate-limiter wait (adaptive mode's token bucket)."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    monkeypatch.setattr("botocore.retries.bucket.Clock", _FastClock)


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    """A boto3 session against a fresh in-process moto."""
    with mock_aws():
        yield boto3.Session(region_name=REGION)

