"""A stepped cutover: a recorded plan baked step by step, restored on an alarm, resumed after a crash.

When a stepped cutover starts it records its plan (:mod:`.canary_plan`): the live rule's forward
action before it began (the restore target), the new version, the steps, the step under way and
the alarms. The process running the steps holds the app's ``runner`` lease for the whole canary
(renewed by a heartbeat) and takes the app's write lease only for each step's write, so an
operator's rollback can take the write lease between steps, restore the recorded state and mark
the plan aborted; the runner sees that at its next poll and stops.

A re-run of a cutover whose runner died resumes the recorded step: it bakes it again reading the
alarms and never jumps to 100 %. A restore that fails even after retries leaves the plan in
``restore-failed``; the next operation on the app restores first (:func:`settle`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import RUNNER, AppRecords, Lease, LeaseLostError, holding
from stacker_ecs.core.errors import AwsCallError, AwsStateError, CanaryRolledBackError, UnhealthyVersionError
from stacker_ecs.core.ops.alarms import bake, first_alarm_firing
from stacker_ecs.core.ops.analysis import Verdict, judge, parse_check, read_samples
from stacker_ecs.core.ops.canary_plan import (
    ABORTED,
    PAUSED,
    RESTORE_FAILED,
    RUNNING,
    CanaryPlan,
    describe_pause,
    live_group,
    plan_of,
)
from stacker_ecs.core.ops.dashboard import refresh_dashboard
from stacker_ecs.core.ops.listener import (
    ListenerState,
    describe_traffic,
    read_listener,
    read_live_weights,
    set_live,
    write_forward,
)
from stacker_ecs.core.ops.protection import fence_traffic, protect_traffic
from stacker_ecs.core.ops.wait import poll_intervals


class RestoreFailedError(UnhealthyVersionError):
    """A restore of the recorded pre-cutover state failed even after retries."""


def live_record(records: AppRecords, version: str) -> dict[str, Any]:
    """Return the record of ``version`` going live now (cleanup keeps versions created since)."""
    return {"version": version, "since": records.wall()}


SWITCH = "switch"
"""The app's record of its last switch of all traffic to one version, written with the fence right before it."""


def switch_record(operation: str, before: str | None, after: str) -> dict[str, Any]:
    """Return the record of ``operation`` switching all traffic from ``before`` to ``after``: a rollback reads it
    so that running it twice (a retried job) does not switch back to the version it rolled back from."""
    return {"operation": operation, "from": before, "to": after}


def settled_live_version(aws: AwsContext, records: AppRecords, state: ListenerState) -> str | None:
    """Return the live version; while traffic is split, the one a recorded canary started from.

    One more read (the app's item) only while traffic is split. A split no canary explains is
    refused: there is no single live version to name.
    """
    if not state.is_split:
        return state.live_version
    plan = plan_of(records.read())
    if plan is not None and plan.state != ABORTED:
        aws.log.warning("canary of %s in progress; traffic: %s", plan.describe(), state.describe_traffic())
        return plan.live_version
    raise AwsStateError(f"traffic is split ({state.describe_traffic()}) and no canary is recorded, so no version is "
                        "the live one; cut over to one version (stacker-ecs cutover)", app=state.application.app)


def restore(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan, *, why: str,
            then: str = "") -> None:
    """Put the live rule back to ``plan.before`` (the caller fenced the lease); then mark the plan ``then``, or drop it.

    The canary's version then takes no traffic: termination protection follows the restored rule
    (:func:`~stacker_ecs.core.ops.protection.protect_traffic`). If the write fails the plan is recorded as
    ``restore-failed`` and the error says what traffic is where (read again from the listener) and how to
    repair it.
    """
    try:
        write_with_retries(aws, state, lease, plan.before, timeout_seconds=plan.restore_timeout_seconds)
    except AwsStateError as exc:
        try:
            lease.write(canary=replace(plan, state=RESTORE_FAILED, note=why).to_doc())
        except AwsStateError:
            aws.log.warning("could not record the failed restore")
        raise RestoreFailedError(
            app=state.application.app, version=plan.version,
            cause=(f"{why}; putting all traffic back on {plan.live_version or 'the previous state'} FAILED: {exc}. "
                   f"Traffic now: {_traffic_now(aws, state, plan)}. Repair: run `stacker-ecs rollback "
                   f"{state.application.app} --namespace {state.application.namespace}` (any next operation on "
                   "the app restores the recorded state first)")) from None
    protect_traffic(aws, lease, state.application.namespace, state.application.app,
                    {state.version_of(arn) for arn in plan.before})
    lease.stage(canary=replace(plan, state=then, note=why).to_doc() if then else None)


PERMANENT_CODES = frozenset({"TargetGroupNotFound", "RuleNotFound", "ListenerNotFound", "ValidationError",
                             "AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
"""Refusals no retry can change: the restore stops at once and says so."""


def write_with_retries(aws: AwsContext, state: ListenerState, lease: Lease, weights: dict[str, int], *,
                       timeout_seconds: float) -> None:
    """Write the live rule, retrying a refused write with growing back-off until ``timeout_seconds`` pass.

    Each attempt already rides out botocore's own retry budget (ten attempts); this keeps trying
    far past it, because a restore is the write that matters most. Before each retry the lease is
    fenced again, so a holder that lost it stops.
    """
    started = aws.clock.now()
    intervals = poll_intervals(first_seconds=2.0, cap_seconds=30.0)
    while True:
        try:
            write_forward(aws, state, weights)
            return
        except AwsCallError as exc:
            left = timeout_seconds - (aws.clock.now() - started)
            if exc.code in PERMANENT_CODES or left <= 0:
                raise
            wait = min(next(intervals), left)
            aws.log.warning("writing the live rule failed (%s); retrying in %.0fs, until %.0fs from the first "
                            "attempt", exc.code, wait, timeout_seconds)
            aws.clock.sleep(wait)
            lease.check()


def _traffic_now(aws: AwsContext, state: ListenerState, plan: CanaryPlan) -> str:
    try:
        weights = read_live_weights(aws, state.application.listener_arn)
    except AwsStateError as exc:
        return f"unknown (the live rule could not be read: {exc})"
    return describe_traffic(weights, plan.versions)


def settle(aws: AwsContext, state: ListenerState, lease: Lease) -> CanaryPlan | None:
    """Finish what an earlier operation left (from the item the lease's take read); return a running plan.

    A failed restore is restored now; an aborted plan whose runner is gone is dropped.
    """
    plan = plan_of(lease.snapshot)
    if plan is None:
        return None
    if plan.state == RESTORE_FAILED:
        aws.log.info("repairing first: restoring the state recorded before the canary of %s", plan.version)
        lease.check()
        restore(aws, state, lease, plan, why=plan.note or "an earlier restore failed")
        return None
    if plan.state == ABORTED:
        lease.stage(canary=None)
        return None
    if plan.pause_expired(lease.records.wall()) and plan.pause_timeout_action == "abort":
        why = pause_timed_out(plan)
        aws.log.warning("%s: aborting the canary; all traffic goes back to %s", why, plan.live_version)
        lease.check()
        restore(aws, state, lease, plan, why=why)
        return None
    return plan


def pause_timed_out(plan: CanaryPlan) -> str:
    """Return why a canary whose pause outlived its timeout ends."""
    return (f"the pause of the canary of {plan.describe()} timed out after {plan.pause_timeout_seconds:.0f}s "
            f"without a promote (pause_timeout_action: {plan.pause_timeout_action})")


def paused_result(plan: CanaryPlan, app: str, namespace: str, now: float, *, changed: bool,
                  analyses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return an operation's result for a canary that holds its share at a pause (exit status 4)."""
    return {"app": app, "version": plan.version, "previous": plan.live_version, "changed": changed,
            "dry_run": False, "steps_percent": plan.steps_percent, "paused": True, "outcome": "paused",
            "exit_status": 4, "paused_since": plan.paused_since, "analysis": list(analyses or []),
            "message": f"canary of {describe_pause(plan, app, namespace, now)}"}


def check_still_ours(current: CanaryPlan | None, plan: CanaryPlan, app: str) -> CanaryPlan:
    """Return the recorded plan if it is still ``plan``'s canary and running; raise if it was ended or replaced."""
    if current is None or not plan.is_same_canary(current):
        raise LeaseLostError(f"the canary of {plan.version} was ended by another operation while it baked; "
                             "its traffic is as that operation left it: look at `stacker-ecs status`", app=app)
    if current.state == ABORTED:
        # The aborted plan stays for the next operation's settle(), which holds the lease.
        raise UnhealthyVersionError(app=app, version=plan.version,
                                    cause=f"canary aborted at step {plan.step + 1} ({current.note}); all "
                                          f"traffic is back on {plan.live_version or 'the previous state'}")
    return current


def _still_ours(records: AppRecords, plan: CanaryPlan) -> CanaryPlan:
    """Re-read the recorded plan (a read, no lease); raise if the canary was ended or replaced meanwhile."""
    return check_still_ours(plan_of(records.read()), plan, records.app)


def start_canary(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan,
                 runner: contextlib.ExitStack) -> CanaryPlan:
    """Take the runner lease, record ``plan`` and apply its first step (the caller holds the write lease)."""
    already = first_alarm_firing(aws, plan.alarm_names)
    if already:
        raise UnhealthyVersionError(app=state.application.app, version=plan.version, cause=(
            f"alarm {already} is already in ALARM; no traffic was moved. Wait for it to clear, then cut over"))
    held = runner.enter_context(holding(lease.records, "cutover", version=plan.version, clock=aws.clock,
                                        wait_seconds=0, kind=RUNNER))
    plan = replace(plan, started_by=held.info.holder, started_at=lease.records.wall())
    lease.write(canary=plan.to_doc())  # recorded (and fenced) before any traffic moves
    write_forward(aws, state, plan.weights(0))
    protect_traffic(aws, lease, state.application.namespace, state.application.app)  # both versions now serve
    return plan


def promote_pause(aws: AwsContext, lease: Lease, plan: CanaryPlan, runner: contextlib.ExitStack, *,
                  namespace: str, explicit: bool) -> CanaryPlan | dict[str, Any]:
    """Continue a paused canary (the caller holds the write lease): take the runner lease, record it running.

    Without ``explicit`` (a re-run of the cutover, not ``promote``) a pause continues only when it
    timed out with ``pause_timeout_action: promote``; otherwise the result says it is still paused.
    The caller then runs the canary with ``judged=True``: alarms are read before the next step moves.
    """
    records = lease.records
    if not explicit and not (plan.pause_expired(records.wall()) and plan.pause_timeout_action == "promote"):
        result = paused_result(plan, records.app, namespace, records.wall(), changed=False)
        aws.log.warning("still paused: %s", result["message"])
        return result
    held = runner.enter_context(holding(records, "cutover", version=plan.version, clock=aws.clock,
                                        wait_seconds=0, kind=RUNNER))
    why = "promoted by " + lease.info.holder if explicit else pause_timed_out(plan)
    aws.about(plan.version, app=records.app).log.info("%s; continuing the canary from step %d/%d (%d%%)", why,
                                                      plan.step + 1, len(plan.steps_percent), plan.percent)
    plan = replace(plan, state=RUNNING, paused_since=0.0, note=why, started_by=held.info.holder,
                   promoted_step=plan.step)
    lease.write(canary=plan.to_doc())
    return plan


def carried_step(plan: CanaryPlan, forward: dict[str, int]) -> int | None:
    """Return the step whose weights the live rule carries (``forward``), or None."""
    return next((step for step in range(len(plan.steps_percent)) if plan.weights(step) == forward), None)


def resume_canary(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan,
                  runner: contextlib.ExitStack, operation: str = "cutover") -> CanaryPlan | dict[str, Any]:
    """Take over a recorded canary whose runner is gone: read its alarms, then bake again the step the listener carries.

    No traffic moves before the alarms are read: one in ALARM restores the recorded state at once.
    The step is the one the live rule carries (a crash between a step's write and its record leaves
    the record one step behind); only a canary that crashed before its first write gets it now.
    ``operation`` (``cutover``, ``promote``) names the refusal while the canary's runner is alive.
    A canary whose final switch was written (its run stopped before recording it) is finished without
    moving traffic: the result is returned instead of the plan.
    """
    runner.enter_context(holding(lease.records, operation, version=plan.version, clock=aws.clock, wait_seconds=0,
                                 kind=RUNNER))
    carried = carried_step(plan, state.forward)
    if carried is not None and carried != plan.step:
        plan = replace(plan, step=carried)
        lease.stage(canary=plan.to_doc())
    aws.about(plan.version, app=lease.records.app).log.info(
        "resuming the recorded canary at step %d/%d (%d%%), alarms read before any traffic moves",
        plan.step + 1, len(plan.steps_percent), plan.percent)
    fired = first_alarm_firing(aws, plan.alarm_names) if plan.alarm_names else None
    if fired:
        why, advice = _alarm_stop(plan, fired)
        lease.check()
        restore(aws, state, lease, plan, why=why)
        raise CanaryRolledBackError(app=lease.records.app, version=plan.version, cause=(
            f"{why}; all traffic is back on {plan.live_version}. {advice}"))
    lease.check()
    if carried is None and live_group(state.forward) == plan.target_group_arn:
        return _finish_switched(aws, state, lease, plan)
    if carried is None:
        write_forward(aws, state, plan.weights(plan.step))
    return plan


def _finish_switched(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan) -> dict[str, Any]:
    """Finish a canary whose final switch the live rule already carries: protect, record it live, drop the plan."""
    app = lease.records.app
    protect_traffic(aws, lease, state.application.namespace, app, {plan.version, plan.live_version})
    lease.stage(canary=None, live=live_record(lease.records, plan.version))
    aws.about(plan.version, app=app).log.info("the canary's final switch was written before its run stopped; "
                                              "finished it (live, was %s)", plan.live_version)
    return {"app": app, "version": plan.version, "previous": plan.live_version, "changed": True, "dry_run": False,
            "steps_percent": plan.steps_percent, "analysis": [],
            "message": f"{plan.version} is live (was {plan.live_version}); the canary's final switch was written "
                       "before its run stopped, and this run finished it"}


def move_step(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan) -> CanaryPlan:
    """Move the canary to its next step (the caller holds the lease): fence, write, then record the step.

    The step is recorded only once the live rule carries it (staged: written with the lease's
    release), so the record never claims a step the listener does not carry. A refused write says
    where traffic is, read again from the listener.
    """
    moved = replace(plan, step=plan.step + 1)
    lease.check()
    try:
        write_forward(aws, state, moved.weights(moved.step))
    except AwsStateError as exc:
        try:
            now = read_live_weights(aws, state.application.listener_arn)
            carried = carried_step(plan, now)
            where = describe_traffic(now, plan.versions)
        except AwsStateError as again:
            carried, where = None, f"unknown (the live rule could not be read: {again})"
        if carried is not None and carried != plan.step:
            lease.stage(canary=replace(plan, step=carried).to_doc())
        app, namespace = state.application.app, state.application.namespace
        raise AwsStateError(
            f"moving {plan.version} from {plan.percent}% to {moved.percent}% of traffic failed: {exc}. Traffic now: "
            f"{where}; the canary stays recorded at the step the listener carries. Re-run the cutover to resume it "
            f"(alarms and metrics are read before any traffic moves), or put all traffic back with "
            f"`stacker-ecs abort {app} --namespace {namespace}`", app=app, version=plan.version) from None
    lease.stage(canary=moved.to_doc())
    return moved


ALARM_ADVICE = "Look at the alarm's metric, fix, and deploy a new version"
METRIC_ADVICE = "Look at the new version's logs and metrics, fix, and deploy a new version"
INCONCLUSIVE_ADVICE = ("Send the app more traffic during the steps, lower min_requests, or set a longer "
                       "inconclusive_wait_seconds")


def _alarm_stop(plan: CanaryPlan, alarm: str) -> tuple[str, str]:
    return f"alarm {alarm} went off with {plan.percent}% of traffic on {plan.version}", ALARM_ADVICE


def _analyse(aws: AwsContext, plan: CanaryPlan, since: Any) -> Verdict:
    """Read both versions' metrics since ``since`` (one ``GetMetricData``) and judge the plan's checks."""
    stable = live_group(plan.before) or ""
    groups = {"new": plan.target_group_arn, **({"stable": stable} if stable else {})}
    samples = read_samples(aws, plan.listener_arn, groups, since, aws.clock.wall())
    return judge([parse_check(c) for c in plan.metric_checks], samples["new"], samples.get("stable", samples["new"]),
                 min_requests=plan.min_requests, versions=(plan.version, plan.live_version or "stable"))


def bake_and_judge(aws: AwsContext, plan: CanaryPlan, still_ours: Callable[[], object],
                   analyses: list[dict[str, Any]]) -> tuple[str, str] | None:
    """Bake the step watching the alarms, then judge it by its metrics; return (why, advice) to stop, or None.

    An inconclusive step (too few requests) bakes on, a minute at a time, up to the plan's
    ``inconclusive_wait_seconds`` (policy ``wait``), or stops the canary at once (``fail``).
    """
    log = aws.about(plan.version).log
    since = aws.clock.wall()
    fired = bake(aws, plan.alarm_names, plan.bake_seconds, still_ours=still_ours)
    if fired:
        return _alarm_stop(plan, fired)
    if not plan.metric_checks:
        return None
    waited = 0.0
    while True:
        verdict = _analyse(aws, plan, since)
        analyses.append({"step": plan.step + 1, "percent": plan.percent, **verdict.to_doc()})
        for line in verdict.lines:
            log.info("%d%% step: %s", plan.percent, line)
        if verdict.breach:
            return f"{verdict.breach}, with {plan.percent}% of traffic on {plan.version}", METRIC_ADVICE
        if not verdict.inconclusive:
            return None
        if plan.inconclusive_policy == "fail" or waited >= plan.inconclusive_wait_seconds:
            longer = f" after baking {waited:.0f}s longer" if waited else ""
            return (f"the {plan.percent}% step is inconclusive{longer}: {verdict.inconclusive}",
                    INCONCLUSIVE_ADVICE)
        chunk = min(60.0, plan.inconclusive_wait_seconds - waited)
        log.info("%d%% step inconclusive (%s); baking %.0fs longer", plan.percent, verdict.inconclusive, chunk)
        fired = bake(aws, plan.alarm_names, chunk, still_ours=still_ours)
        waited += chunk
        if fired:
            return _alarm_stop(plan, fired)


def run_canary(aws: AwsContext, records: AppRecords, plan: CanaryPlan, *, namespace: str,
               lease_wait_seconds: float, dashboard: bool, judged: bool = False) -> dict[str, Any]:
    """Bake each recorded step reading the alarms and the metrics, then switch; each write under the app's lease.

    ``judged``: the step under way was baked and judged already (a promoted pause): its alarms are
    read once more, then the next step moves. After the bake of a step listed in the plan's
    ``pause_after_percent`` the canary records a pause and returns (the result says ``paused``).
    """
    app = records.app
    log = aws.about(plan.version, app=app).log
    analyses: list[dict[str, Any]] = []
    while True:
        stop, pause_now = None, False
        if not judged:
            log.info("%d%% of traffic; baking %.0fs", plan.percent, plan.bake_seconds)
            stop = bake_and_judge(aws.about(plan.version, app=app), plan,
                                  functools.partial(_still_ours, records, plan), analyses)
            pause_now = plan.pauses_after(plan.step)
        judged = False
        with holding(records, "cutover step", version=plan.version, clock=aws.clock,
                     wait_seconds=lease_wait_seconds) as lease:
            plan = check_still_ours(plan_of(lease.snapshot), plan, app)
            state = read_listener(aws, namespace, app)
            if stop is None and plan.alarm_names:
                fired = first_alarm_firing(aws, plan.alarm_names)
                stop = _alarm_stop(plan, fired) if fired else None
            if stop:
                why, advice = stop
                lease.check()
                restore(aws, state, lease, plan, why=why)  # the canary's version loses its protection there
                raise CanaryRolledBackError(app=app, version=plan.version, cause=(
                    f"{why}; all traffic is back on {plan.live_version}. {advice}"))
            if pause_now:
                plan = replace(plan, state=PAUSED, paused_since=records.wall())
                lease.release(canary=plan.to_doc())
                result = paused_result(plan, app, namespace, records.wall(), changed=True, analyses=analyses)
                log.warning("%s", result["message"])
                return result
            if plan.step + 1 < len(plan.steps_percent):
                plan = move_step(aws, state, lease, plan)
                refresh_dashboard(aws, state, {plan.live_version or "": "live", plan.version: "canary"},
                                  enabled=dashboard)
                continue
            lease.stage(**{SWITCH: switch_record("cutover", plan.live_version, plan.version)})
            fence_traffic(lease, {plan.version, plan.live_version})
            set_live(aws, state, plan.target_group_arn, previous=live_group(plan.before))
            protect_traffic(aws, lease, namespace, app, {plan.version, plan.live_version})
            lease.release(canary=None, live=live_record(records, plan.version))
        log.info("live (was %s)", plan.live_version)
        return {"app": app, "version": plan.version, "previous": plan.live_version, "changed": True,
                "dry_run": False, "steps_percent": plan.steps_percent, "analysis": analyses,
                "message": f"{plan.version} is live (was {plan.live_version})"}


def abort_canary(aws: AwsContext, state: ListenerState, lease: Lease, plan: CanaryPlan, *,
                 dry_run: bool, dashboard: bool) -> dict[str, Any]:
    """Put back the state recorded before the canary and mark it aborted (its runner stops at its next poll);
    with ``dashboard``, rewrite the app's dashboard for the versions back in play."""
    back_to = plan.live_version or "the state before the canary"
    result = {"app": lease.records.app, "version": back_to, "previous": plan.version, "dry_run": dry_run,
              "aborted": plan.describe()}
    if dry_run:
        return {**result, "changed": False,
                "message": f"dry run: would abort the canary of {plan.describe()} and put all traffic on {back_to}"}
    lease.check()
    restore(aws, state, lease, plan, why=f"aborted by {lease.info.operation} ({lease.info.holder})", then=ABORTED)
    refresh_dashboard(aws, state, {plan.live_version or "": "live", state.previous_version or "": "previous"},
                      enabled=dashboard)
    aws.log.info("canary of %s aborted; all traffic is back on %s", plan.describe(), back_to)
    return {**result, "changed": True,
            "message": f"canary of {plan.describe()} aborted; all traffic is back on {back_to}"}
