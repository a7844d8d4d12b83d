"""Make a version live: scale it to the live size, verify it at that size, switch the listener once.

Everything happens under the app's lease (:mod:`stacker_ecs.core.coordination`): a second writer
waits, then fails naming this one. The switch is one write of the live rule, which sends all
traffic to the new version and keeps the old live version beside it at weight 0: no traffic goes
there, but the listener itself records what rollback returns to. With ``steps_percent`` the
cutover is a recorded canary (:mod:`.canary`): each step is written under the lease and baked
without it, so a rollback can abort it between steps. Happy path: 6 AWS calls (read app, read rules,
read both services, scale, read health, switch) and 3 for the lease and the live record (take,
fence, release); re-running for the live version: 2 (and 2).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import Lease, app_records, holding
from stacker_ecs.core.errors import AwsStateError, UnhealthyVersionError
from stacker_ecs.core.model import LeaseArgs
from stacker_ecs.core.ops.alarms import check_alarms_exist
from stacker_ecs.core.ops.analysis import parse_check
from stacker_ecs.core.ops.canary import (
    SWITCH,
    live_record,
    promote_pause,
    resume_canary,
    run_canary,
    settle,
    start_canary,
    switch_record,
)
from stacker_ecs.core.ops.canary_plan import PAUSED, CanaryPlan
from stacker_ecs.core.ops.dashboard import refresh_dashboard
from stacker_ecs.core.ops.health import wait_for_healthy
from stacker_ecs.core.ops.history import recorded
from stacker_ecs.core.ops.listener import ListenerState, read_listener, set_live
from stacker_ecs.core.ops.protection import fence_traffic, protect_traffic
from stacker_ecs.core.ops.services import describe_services, is_autoscaled, scale_service
from stacker_ecs.core.ops.smoke import run_smoke
from stacker_ecs.core.ops.version_target import VersionArgs, VersionTarget


class CutoverArgs(VersionArgs, LeaseArgs):
    """Arguments of the ``cutover`` hook."""

    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; how long scaled-up tasks get to become healthy before the cutover is refused."""
    max_failed_tasks: int = Field(default=3, ge=1)
    """Default: 3; this many stopped tasks refuse the cutover at once."""
    force: bool = False
    """Default: off; on switches even if the version has fewer healthy targets than it needs."""
    dry_run: bool = False
    """Default: off; on reads and reports what would change, and changes nothing."""
    steps_percent: list[int] = []
    """Default: none, one atomic switch. Otherwise the share of traffic the version gets in each step
    before the full switch, e.g. ``[10, 50]``; each step bakes ``bake_seconds`` watching ``alarm_names``."""
    bake_seconds: float = Field(default=300, ge=0)
    """Default: 300; how long each traffic step runs before the next."""
    alarm_names: list[str] = []
    """CloudWatch alarms (metric or composite) watched during each bake; one in ALARM puts all traffic back
    and fails the cutover. Names CloudWatch does not know are refused before any change."""
    metric_checks: list[str] = []
    """Default: none. Thresholds judged from the load balancer's metrics at the end of each step, for the new
    version against the stable one, e.g. ``5xx_percent <= 1``, ``p99_ms <= 1.5x stable``,
    ``p95_ms <= stable + 100``; ``dry-run <check>`` is reported at each step, never acted on. A breach puts all
    traffic back and fails the cutover (exit status 3), naming the metric, both versions' values and the threshold."""
    min_requests: int = Field(default=50, ge=0)
    """Default: 50; a step whose new version served fewer requests is inconclusive (see ``inconclusive_policy``)."""
    inconclusive_policy: Literal["wait", "fail"] = "wait"
    """Default: wait; an inconclusive step bakes longer (reading alarms and metrics every minute) for up to
    ``inconclusive_wait_seconds``, then fails; ``fail`` puts all traffic back at once."""
    inconclusive_wait_seconds: float = Field(default=600, ge=0)
    """Default: 600; how much longer an inconclusive step may bake before the canary fails."""
    pause_after_percent: list[int] = []
    """Default: none. Steps (by percent, from ``steps_percent``) after whose bake the canary pauses: it holds its
    share, recorded in the plan, and the cutover ends with exit status 4 (paused) until ``stacker-ecs promote <app>``
    continues it (reading alarms and metrics at every later step) or ``stacker-ecs abort <app>`` restores."""
    pause_timeout_seconds: float = Field(default=86400, gt=0)
    """Default: 86400; a pause not promoted or aborted within a day ends by ``pause_timeout_action`` when the next
    promote, abort, cutover or cleanup of the app looks."""
    pause_timeout_action: Literal["abort", "promote"] = "abort"
    """Default: abort; a pause that timed out puts all traffic back (``promote``: continues the canary)."""

    @field_validator("metric_checks")
    @classmethod
    def _checks(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_check(text)
        return value

    @model_validator(mode="after")
    def _checks_need_steps(self) -> CutoverArgs:
        if self.metric_checks and not self.steps_percent:
            raise ValueError("metric_checks: judged at each step of a stepped cutover; set steps_percent too "
                             "(e.g. [10, 50])")
        strays = [p for p in self.pause_after_percent if p not in self.steps_percent]
        if strays:
            raise ValueError(f"pause_after_percent: {strays} not in steps_percent {self.steps_percent}; a pause "
                             "follows one of the steps, e.g. steps_percent [10, 50] with pause_after_percent [10]")
        return self

    smoke_command: str = ""
    """Default: none. A shell command run after verify and before any traffic moves, with the version's
    preview URL, the live host and the test header in its environment (docs/operations.md); a non-zero
    exit refuses the cutover, showing its last lines."""
    smoke_timeout_seconds: float = Field(default=300, gt=0)
    """Default: 300; a smoke command still running after this long is stopped and the cutover refused."""

    @field_validator("steps_percent")
    @classmethod
    def _steps(cls, value: list[int]) -> list[int]:
        if any(not 0 < p < 100 for p in value) or value != sorted(set(value)):
            raise ValueError(f"{value} is not a rising list of percentages between 1 and 99; write e.g. [10, 50]")
        return value


@recorded("cutover")
def cutover(aws: AwsContext, args: CutoverArgs) -> dict[str, Any]:
    """Make ``args.version`` live, holding the app's lease; a no-op (that says so) when it already is."""
    if args.alarm_names:
        check_alarms_exist(aws, args.alarm_names)
    records = app_records(aws, args.namespace, args.app)
    judged = False
    with contextlib.ExitStack() as runner:
        with holding(records, "cutover", version=args.version, clock=aws.clock,
                     wait_seconds=args.lease_wait_seconds) as lease:
            state = read_listener(aws, args.namespace, args.app)
            plan = None if args.dry_run else settle(aws, state, lease)
            if plan is not None:
                if plan.version != args.version:
                    raise AwsStateError(f"cutover refused: a canary of {plan.describe()} is in progress; wait for "
                                        f"it to finish, or roll back to abort it (`stacker-ecs rollback {args.app}`)",
                                        app=args.app, version=args.version)
                if plan.state == PAUSED:
                    outcome = promote_pause(aws, lease, plan, runner, namespace=args.namespace, explicit=False)
                    if isinstance(outcome, dict):
                        return outcome
                    plan, judged = outcome, True
                else:
                    resumed = resume_canary(aws, state, lease, plan, runner)
                    if isinstance(resumed, dict):  # its final switch was written: finished, no traffic moved
                        refresh_dashboard(aws, state, {plan.version: "live", plan.live_version or "": "previous"},
                                          enabled=args.dashboard)
                        return resumed
                    plan = resumed
            else:
                outcome = switch_to(aws, state, args, lease=lease, runner=runner)
                if not isinstance(outcome, CanaryPlan):
                    return outcome if args.dry_run else {**outcome, **protect_traffic(
                        aws, lease, args.namespace, args.app, {outcome["version"], outcome["previous"]})}
                plan = outcome
                refresh_dashboard(aws, state, {plan.live_version or "": "live", plan.version: "canary"},
                                  enabled=args.dashboard)
        result = run_canary(aws, records, plan, namespace=args.namespace, lease_wait_seconds=args.lease_wait_seconds,
                            judged=judged, dashboard=args.dashboard)
        if result.get("changed") and not result.get("paused"):
            refresh_dashboard(aws, state, {plan.version: "live", plan.live_version or "": "previous"},
                              enabled=args.dashboard)
        return result


def switch_to(aws: AwsContext, state: ListenerState, args: CutoverArgs, *, lease: Lease,
              runner: contextlib.ExitStack | None = None, operation: str = "cutover") -> dict[str, Any] | CanaryPlan:
    """Scale, verify and switch to ``args.version`` (the caller holds the lease); a stepped one returns its plan.

    ``operation``: what a refusal names (``rollback`` switches back through here)."""
    app, version = args.app, args.version
    log = aws.about(version, app=app).log
    rule = state.rules.get(version)
    if rule is None:
        known = ", ".join(sorted(state.rules)) or "none"
        raise AwsStateError(f"unknown version: the listener has no rule for {version} (versions: {known}); "
                            "deploy it first, or check the spelling", app=app, version=version)
    old_group = _old_live_group(state, rule.target_group_arn)
    live = state.version_of(old_group) if old_group else None
    result: dict[str, Any] = {"app": app, "version": version, "previous": live, "changed": False,
                              "dry_run": args.dry_run}
    if state.live_version == version and not state.is_split:
        log.info("already live; nothing to change")
        return {**result, "previous": state.previous_version, "message": f"{version} is already live"}
    if args.steps_percent and state.is_split:
        raise AwsStateError(f"stepped cutover refused: traffic is split ({state.describe_traffic()}) and no canary "
                            "is recorded, so there is no state to restore on an alarm; cut over to one version at "
                            "once first", app=app, version=version)
    cluster = state.application.cluster_name
    services = describe_services(aws, cluster, app, [v for v in (version, live) if v])
    service = services.get(version)
    if service is None:
        raise AwsStateError(f"no ECS service {naming.service_name(app, version)} in cluster {cluster}; "
                            "its stack may have failed: deploy the version again", app=app, version=version)
    needed = _needed_count(services.get(live) if live else None, service)
    target = VersionTarget(app=app, version=version, cluster=cluster,
                           service=naming.service_name(app, version), target_group_arn=rule.target_group_arn)
    result.update(desired_count=needed)
    if args.dry_run:
        log.info("would scale to %d, verify %d healthy targets and switch the listener from %s",
                 needed, needed, live or "no version")
        return {**result, "message": f"dry run: would make {version} live"}
    if int(service["desiredCount"]) < needed:
        scale_service(aws, target, needed, autoscaling=is_autoscaled(service))
    _verify(aws, target, needed, args, live, result, operation)
    if args.smoke_command:
        run_smoke(aws, args.smoke_command, app=app, version=version, domain=state.application.domain, live=live,
                  timeout_seconds=args.smoke_timeout_seconds)
    if args.steps_percent and live is not None:
        if runner is None:
            raise AwsStateError("a stepped cutover needs a runner", app=app, version=version)
        return start_canary(aws, state, lease, _plan(state, rule.target_group_arn, args, live), runner)
    lease.stage(**{SWITCH: switch_record(operation, live, version)})
    fence_traffic(lease, {version, live})
    set_live(aws, state, rule.target_group_arn, previous=old_group)
    refresh_dashboard(aws, state, {version: "live", live or "": "previous"}, enabled=args.dashboard)
    lease.stage(live=live_record(lease.records, version))
    log.info("live (was %s)", live or "no version")
    return {**result, "changed": True, "message": f"{version} is live (was {live or 'no version'})"}


def _verify(aws: AwsContext, target: VersionTarget, needed: int, args: CutoverArgs, live: str | None,
            result: dict[str, Any], operation: str) -> None:
    if args.force:
        aws.about(args.version, app=args.app).log.warning("force is on; switching without checking health")
        return
    try:
        report = wait_for_healthy(aws, target, needed, timeout_seconds=args.timeout_seconds,
                                  max_failed_tasks=args.max_failed_tasks, namespace=args.namespace)
    except UnhealthyVersionError as exc:
        from stacker_ecs.core.ops.diagnose import with_diagnosis  # only a refusal reads the checklist

        raise with_diagnosis(aws, type(exc)(app=args.app, version=args.version, details=exc.details,
                                            cause=f"{operation} refused, {live or 'nothing'} stays live: {exc.cause}"),
                             args.namespace) from None
    result["healthy"] = report.healthy


def _plan(state: ListenerState, target_group_arn: str, args: CutoverArgs, live: str) -> CanaryPlan:
    """Return the plan of a stepped cutover from the live rule as it is now (who and when: set when it starts)."""
    versions = {arn: v for arn in state.forward if (v := state.version_of(arn))}
    versions[target_group_arn] = args.version
    return CanaryPlan(version=args.version, target_group_arn=target_group_arn, before=dict(state.forward),
                      live_version=live, versions=versions, steps_percent=list(args.steps_percent), step=0,
                      alarm_names=list(args.alarm_names), bake_seconds=args.bake_seconds, started_by="",
                      started_at=0.0, listener_arn=state.application.listener_arn,
                      metric_checks=list(args.metric_checks), min_requests=args.min_requests,
                      inconclusive_policy=args.inconclusive_policy,
                      inconclusive_wait_seconds=args.inconclusive_wait_seconds,
                      pause_after_percent=list(args.pause_after_percent),
                      pause_timeout_seconds=args.pause_timeout_seconds, pause_timeout_action=args.pause_timeout_action,
                      restore_timeout_seconds=args.timeout_seconds)


def _needed_count(live_service: dict[str, Any] | None, service: dict[str, Any]) -> int:
    """Return how many healthy tasks the version needs before it takes the live traffic."""
    if live_service is not None:
        return max(int(live_service["desiredCount"]), 1)
    return max(int(service["desiredCount"]), 1)


def _old_live_group(state: ListenerState, target_group_arn: str) -> str | None:
    """Return the target group that carries the live traffic the new version takes over."""
    weighted = [(w, arn) for arn, w in state.forward.items() if w > 0 and arn != target_group_arn]
    return max(weighted)[1] if weighted else None
