"""A stepped cutover as a recorded plan that re-runs, rollbacks and alarms all read.

When a stepped cutover starts it records, in the coordination table, what it is doing: the
listener's forward action before it began (the restore target), the new version, the steps, the
step under way and the alarms. The process running the steps holds a second lease of kind
``canary-runner`` for the whole canary (renewed by a heartbeat) and takes the app's write lease only
for each step's write, so an operator's rollback can take the write lease between steps, restore
the recorded state and mark the plan aborted; the runner sees that at its next step and stops.

A re-run of a cutover whose runner died resumes the recorded step: it bakes it again reading the
alarms and never jumps to 100 %. A restore that fails even after retries leaves the plan in
``restore-failed``; the next operation on the app restores first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext, aws_call
from stacker_ecs.core.errors import AwsCallError, AwsStateError, ConfigError, UnhealthyVersionError
from stacker_ecs.core.lease import LeaseLostError, Records
from stacker_ecs.core.ops.listener import ListenerState, describe_listener, read_live_weights
from stacker_ecs.core.ops.wait import poll

PLAN = "canary"
RUNNER = "canary-runner"
LIVE = "live"
RUNNING, RESTORE_FAILED, ABORTED = "running", "restore-failed", "aborted"


@dataclass(frozen=True)
class CanaryPlan:
    """What a stepped cutover is doing, as recorded before its first step."""

    version: str
    target_group_arn: str
    before: dict[str, int]
    """The listener's forward weights before the cutover began: what every restore returns to."""
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

    def describe(self) -> str:
        """Return ``"v2 at step 1/2 (10%), started by X at T"``."""
        return (f"{self.version} at step {self.step + 1}/{len(self.steps_percent)} ({self.percent}%), "
                f"started by {self.started_by}")

    def to_doc(self) -> dict[str, Any]:
        """Return the plan as the JSON document stored."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CanaryPlan:
        """Return the plan a stored document holds."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in doc.items() if k in known})


def live_group(weights: dict[str, int]) -> str | None:
    """Return the one target group with weight above 0 in a settled (not split) forward action."""
    carrying = [arn for arn, weight in weights.items() if weight > 0]
    return carrying[0] if len(carrying) == 1 else None


def app_records(aws: AwsContext, namespace: str, app: str) -> Records:
    """Return the app's items in the environment's coordination table (leases, canary plan, live record).

    Their times are the machine's real clock (``time.time``), not the operation's: another process
    compares them, and cleanup compares them with the stacks' creation times, which AWS sets.
    """
    return Records(dynamodb=aws.client("dynamodb"), table=naming.coordination_table(namespace), app=app)


def settled_live_version(aws: AwsContext, state: ListenerState) -> str | None:
    """Return the live version; while traffic is split, the one a recorded canary started from.

    One more read (the plan) only while traffic is split. A split no canary explains is refused:
    there is no single live version to name.
    """
    if sum(1 for weight in state.forward.values() if weight > 0) < 2:
        return state.live_version
    application = state.application
    plan = read_plan(app_records(aws, application.namespace, application.app))
    names = {rule.target_group_arn: rule.version for rule in state.rules.values()}
    if plan is not None and plan.state != ABORTED:
        aws.log.warning("canary of %s in progress; traffic: %s", plan.describe(),
                        describe_traffic(state.forward, names))
        return plan.live_version
    raise AwsStateError(f"traffic is split ({describe_traffic(state.forward, names)}) and no canary is recorded, so "
                        "no version is the live one; cut over to one version (stacker-ecs cutover)",
                        app=application.app)


def read_plan(records: Records) -> CanaryPlan | None:
    """Return the app's recorded canary plan, if any (a read: no lease)."""
    doc = records.read_json(PLAN)
    return CanaryPlan.from_doc(doc) if doc else None


def write_plan(records: Records, plan: CanaryPlan) -> None:
    """Record ``plan`` (the caller holds the write lease)."""
    records.write_json(PLAN, plan.to_doc())


def shares(weights: dict[str, int], versions: dict[str, str]) -> dict[str, int]:
    """Return version -> percent of traffic for every target group carrying some (pure)."""
    total = sum(w for w in weights.values() if w > 0)
    if not total:
        return {}
    return {versions.get(arn, arn): round(100 * w / total) for arn, w in weights.items() if w > 0}


def describe_traffic(weights: dict[str, int], versions: dict[str, str]) -> str:
    """Return ``"v1 90%, v2 10%"`` (or ``"nothing"``)."""
    parts = sorted(shares(weights, versions).items(), key=lambda item: -item[1])
    return ", ".join(f"{v} {p}%" for v, p in parts) or "nothing"


def check_alarms_exist(aws: AwsContext, alarm_names: list[str]) -> None:
    """Refuse alarm names CloudWatch does not know (metric or composite), before any change."""
    found: set[str] = set()
    for start in range(0, len(alarm_names), 100):
        batch = alarm_names[start:start + 100]
        with aws_call("DescribeAlarms", ", ".join(batch)):
            answer = aws.client("cloudwatch").describe_alarms(
                AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        found |= {a["AlarmName"] for a in answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])}
    missing = [name for name in alarm_names if name not in found]
    if missing:
        raise ConfigError(f"alarm_names: {', '.join(repr(m) for m in missing)} not found in CloudWatch (metric or "
                          "composite alarms of this account and region); check the spelling, or create the alarm "
                          "first: a missing alarm would never stop the canary")


def first_alarm_firing(aws: AwsContext, alarm_names: list[str]) -> str | None:
    """Return the first of ``alarm_names`` (metric or composite) in ALARM, or None."""
    for start in range(0, len(alarm_names), 100):
        batch = alarm_names[start:start + 100]
        with aws_call("DescribeAlarms", ", ".join(batch)):
            answer = aws.client("cloudwatch").describe_alarms(
                AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"], StateValue="ALARM")
        alarms = answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])
        names = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
        if names:
            return names[0]
    return None


def bake(aws: AwsContext, alarm_names: list[str], seconds: float,
         still_ours: Callable[[], object] = lambda: None) -> str | None:
    """Wait ``seconds`` reading the alarms; return the first found in ALARM, or None.

    ``still_ours`` runs at each poll and raises when the canary was aborted meanwhile, so an operator's
    rollback stops the runner within one poll interval (10 s at most), not at the end of the bake.
    """

    def look(_elapsed: float) -> str | None:
        still_ours()
        return first_alarm_firing(aws, alarm_names)

    return poll(aws.clock, look, lambda fired: fired is not None, timeout_seconds=seconds,
                first_seconds=1.0, cap_seconds=10.0).value


def write_listener_forward(aws: AwsContext, state: ListenerState, weights: dict[str, int]) -> None:
    """Set the app's live rule to forward by ``weights`` (target group ARN -> weight), creating it the first time.

    The one writer of live traffic. The live rule belongs to the hooks, not to CloudFormation, so no
    stack update reverts it (the listener's default action stays the template's constant 503). One
    call; two more when another writer created the rule since ``state`` was read.
    """
    actions = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}]
    elbv2 = aws.client("elbv2")
    rule_arn = state.live_rule_arn
    if rule_arn is None:
        try:
            with aws_call("CreateRule", state.application.app):
                elbv2.create_rule(
                    ListenerArn=state.application.listener_arn, Priority=naming.LIVE_RULE_PRIORITY,
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [naming.LIVE_RULE_PATH]}}],
                    Actions=actions)
            return
        except AwsCallError as exc:
            if exc.code != "PriorityInUse":
                raise
        rule_arn = describe_listener(aws, state.application).live_rule_arn
    with aws_call("ModifyRule", state.application.app):
        elbv2.modify_rule(RuleArn=rule_arn, Actions=actions)


class RestoreFailedError(UnhealthyVersionError):
    """A restore of the recorded pre-cutover state failed even after retries."""


def restore(aws: AwsContext, state: ListenerState, records: Records, plan: CanaryPlan, *,
            why: str, then: str = "") -> None:
    """Put the listener back to ``plan.before``; on success mark the plan ``then`` (or drop it).

    If the write fails the plan stays, marked ``restore-failed``, and the error says what traffic is
    where (read again from the listener) and how to repair it.
    """
    try:
        write_listener_forward(aws, state, plan.before)
    except AwsStateError as exc:
        failed = replace(plan, state=RESTORE_FAILED, note=why)
        try:
            write_plan(records, failed)
        except AwsStateError:
            aws.log.warning("could not record the failed restore")
        raise RestoreFailedError(
            app=state.application.app, version=plan.version,
            cause=(f"{why}; putting all traffic back on {plan.live_version or 'the previous state'} FAILED: {exc}. "
                   f"Traffic now: {_traffic_now(aws, state, plan)}. Repair: run `stacker-ecs rollback "
                   f"{state.application.app} --namespace {state.application.namespace}` (any next operation on "
                   "the app restores the recorded state first)")) from None
    if then:
        write_plan(records, replace(plan, state=then, note=why))
    else:
        records.delete(PLAN)


def _traffic_now(aws: AwsContext, state: ListenerState, plan: CanaryPlan) -> str:
    try:
        weights = read_live_weights(aws, state.application.listener_arn)
    except AwsStateError as exc:
        return f"unknown (the live rule could not be read: {exc})"
    return describe_traffic(weights, plan.versions)


def settle(aws: AwsContext, state: ListenerState, records: Records) -> CanaryPlan | None:
    """Finish what an earlier operation left (caller holds the write lease); return a running plan.

    A failed restore is restored now; an aborted plan whose runner is gone is dropped.
    """
    plan = read_plan(records)
    if plan is None:
        return None
    if plan.state == RESTORE_FAILED:
        aws.log.info("repairing first: restoring the state recorded before the canary of %s", plan.version)
        restore(aws, state, records, plan, why=plan.note or "an earlier restore failed")
        return None
    if plan.state == ABORTED:
        records.delete(PLAN)
        return None
    return plan


def plan_is_ours(records: Records, plan: CanaryPlan) -> CanaryPlan:
    """Re-read the plan (a read, no lease); raise if it was aborted or replaced meanwhile."""
    current = read_plan(records)
    if current is None or current.started_at != plan.started_at or current.version != plan.version:
        raise LeaseLostError(f"the canary of {plan.version} was ended by another operation while it baked; "
                             "its traffic is as that operation left it: look at `stacker-ecs status`",
                             app=records.app)
    if current.state == ABORTED:
        # The aborted plan stays for the next operation's settle(), which holds the lease: deleting it
        # here, without the lease, could delete a newer plan written meanwhile.
        raise UnhealthyVersionError(app=records.app, version=plan.version,
                                    cause=f"canary aborted at step {plan.step + 1} ({current.note}); all "
                                          f"traffic is back on {plan.live_version or 'the previous state'}")
    return current
