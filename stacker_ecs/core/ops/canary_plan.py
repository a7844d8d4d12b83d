"""The recorded plan of a stepped cutover: what it does, where it is, and what every restore returns to.

The plan is stored in the app's item of the coordination table (:mod:`stacker_ecs.core.coordination`),
written only under the app's lease. Re-runs, rollbacks, cleanup, teardown and status read it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from stacker_ecs.core.coordination import PLAN, AppItem

RUNNING, RESTORE_FAILED, ABORTED, PAUSED = "running", "restore-failed", "aborted", "paused"


@dataclass(frozen=True)
class CanaryPlan:
    """What a stepped cutover is doing, as recorded before its first step."""

    version: str
    target_group_arn: str
    before: dict[str, int]
    """The live rule's forward weights before the cutover began: what every restore returns to."""
    live_version: str | None
    """The version live before the cutover (it keeps the rest of the traffic during the steps)."""
    versions: dict[str, str]
    """Target group ARN -> version, for every target group in ``before`` and the new one."""
    steps_percent: list[int]
    step: int
    """Index in ``steps_percent`` of the step under way."""
    alarm_names: list[str]
    bake_seconds: float
    started_by: str
    started_at: float
    state: str = RUNNING
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    listener_arn: str = ""
    """The application listener (its load balancer names the metrics the analysis reads)."""
    metric_checks: list[str] = field(default_factory=list)
    """Checks of :mod:`.analysis` judged at the end of each step's bake."""
    min_requests: int = 0
    inconclusive_policy: str = "wait"
    inconclusive_wait_seconds: float = 0.0
    pause_after_percent: list[int] = field(default_factory=list)
    """Steps (by percent) after whose bake the canary pauses, holding its share until promoted or aborted."""
    pause_timeout_seconds: float = 0.0
    pause_timeout_action: str = "abort"
    paused_since: float = 0.0
    """Seconds since the epoch when the pause under way began (state ``paused``)."""
    promoted_step: int = -1
    """Index of the step whose pause was promoted (by a person, or its timeout): a run that resumes the canary at
    that step (the promote was killed before the next step moved) bakes it again but does not pause there again."""
    restore_timeout_seconds: float = 600.0
    """How long a restore keeps retrying a refused write (the cutover's ``timeout_seconds``)."""

    @property
    def percent(self) -> int:
        """Return the share of traffic the new version has at the step under way."""
        return self.steps_percent[self.step]

    def weights(self, step: int) -> dict[str, int]:
        """Return the forward weights of ``step``: the new version's share, the rest on the live one.

        Every target group of ``before`` stays in the action (the previous live version at weight 0),
        so nothing a restore needs can be deleted while the canary runs.
        """
        percent = self.steps_percent[step]
        live = live_group(self.before)
        weights = {arn: (100 - percent if arn == live else 0) for arn in self.before}
        weights[self.target_group_arn] = percent
        return weights

    def pauses_after(self, step: int) -> bool:
        """Return whether the canary pauses after the bake of ``step`` (listed, and not promoted already)."""
        return self.steps_percent[step] in self.pause_after_percent and step != self.promoted_step

    def pause_expired(self, now: float) -> bool:
        """Return whether the pause under way has outlived its timeout."""
        return self.state == PAUSED and now - self.paused_since >= self.pause_timeout_seconds

    def describe(self) -> str:
        """Return ``"v2 at step 1/2 (10%), started by X"``."""
        return (f"{self.version} at step {self.step + 1}/{len(self.steps_percent)} ({self.percent}%), "
                f"started by {self.started_by}")

    def to_doc(self) -> dict[str, Any]:
        """Return the plan as the JSON document stored."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CanaryPlan:
        """Return the plan a stored document holds."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in doc.items() if k in known})

    def is_same_canary(self, other: CanaryPlan | None) -> bool:
        """Return whether ``other`` is this canary (maybe at another step or state), not a newer one."""
        return other is not None and other.started_at == self.started_at and other.version == self.version


def live_group(weights: dict[str, int]) -> str | None:
    """Return the one target group with weight above 0 in a settled (not split) forward action."""
    carrying = [arn for arn, weight in weights.items() if weight > 0]
    return carrying[0] if len(carrying) == 1 else None


def plan_of(item: AppItem) -> CanaryPlan | None:
    """Return the canary plan recorded in the app's item, if any."""
    doc = item.doc(PLAN)
    return CanaryPlan.from_doc(doc) if doc else None


def gate_commands(app: str, namespace: str) -> str:
    """Return the two commands that end a pause."""
    return (f"promote: `stacker-ecs promote {app} --namespace {namespace}`; abort: `stacker-ecs abort {app} "
            f"--namespace {namespace}`")


def describe_pause(plan: CanaryPlan, app: str, namespace: str, now: float) -> str:
    """Return ``"v2 paused at step 1/2 (10%) since <time> (times out in Ns, then abort); promote: ...; abort: ..."``."""
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(plan.paused_since))
    left = plan.paused_since + plan.pause_timeout_seconds - now
    timeout = (f"times out in {left:.0f}s, then {plan.pause_timeout_action}s" if left > 0 else
               f"timed out {-left:.0f}s ago: the next promote, abort or cutover will {plan.pause_timeout_action}")
    return f"{plan.describe()}, paused since {since} ({timeout}); {gate_commands(app, namespace)}"
