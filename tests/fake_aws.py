"""The environment of a test: fake credentials, a fixed region, no endpoint or profile, so no test can reach AWS."""

from __future__ import annotations

import pytest

REGION = "us-east-1"
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE")
FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


def use_fake_aws(env: pytest.MonkeyPatch, *, public_amis: bool = False) -> None:
    """Set the fake environment on ``env``; ``public_amis=False`` also skips in-process moto's catalogue of
    public AMIs (see ``tests/conftest.py``)."""
    for name in UNSET:
        env.delenv(name, raising=False)
    for name, value in FAKE.items():
        env.setenv(name, value)
    if not public_amis:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
