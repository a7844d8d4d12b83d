"""The deployed world of tests/core/ops, for the CFNgin and Sceptre adapters."""

from tests.adapter_fixtures import adapter_calls, clock, context, fake_time, live_world, provider, world

__all__ = ["adapter_calls", "clock", "context", "fake_time", "live_world", "provider", "world"]
