"""Choose a listener rule priority for a version: stable on re-runs, apart for concurrent deploys."""

from __future__ import annotations

import hashlib

from stacker_ecs.core import naming
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.listener import ListenerState

MAX_PRIORITY = 50000
# An odd stride co-prime with 50000 visits every priority once before repeating.
STRIDE = 7919


def start_priority(app: str, version: str) -> int:
    """Return where the search for ``version`` starts: a hash of it, so two pipelines deploying
    different versions at the same moment start (and almost always end) far apart."""
    digest = hashlib.sha256(f"{app}/{version}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % MAX_PRIORITY + 1


def choose_priority(state: ListenerState, version: str, *, max_rules: int) -> int:
    """Return the version's existing priority, or the first free one from its start point.

    A version takes two rules: its host rule at the priority returned and its test-header rule next to
    it (:func:`naming.test_rule_priority`); both must be free, and neither is ever the live rule's.
    """
    existing = state.rules.get(version)
    if existing:
        return existing.priority
    app = state.application.app
    if state.rule_count + 2 > max_rules:
        raise AwsStateError(
            f"the listener has {state.rule_count} rules and a version needs 2 more, above the limit of {max_rules}; "
            "run the cleanup hook "
            f"(or 'stacker-ecs cleanup {app}') to delete versions that are not live", app=app, version=version)
    priority = start_priority(app, version)
    taken = state.priorities | {naming.LIVE_RULE_PRIORITY}
    while priority in taken or naming.test_rule_priority(priority) in taken:
        priority = (priority - 1 + STRIDE) % MAX_PRIORITY + 1
    return priority
