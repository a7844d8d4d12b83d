"""Gates: a paused canary holds its share until a person promotes it or aborts it, from any terminal or job.

A stepped cutover with ``pause_after_percent`` records a pause in its plan after that step's bake
(:mod:`.canary`) and ends; no process waits. ``promote`` continues it, under the app's lease and
the canary-runner lease, reading the alarms before the next step moves and the alarms and metrics
at every later step, as the cutover would have; a canary recorded running whose runner is gone (a
promote killed half-way) is resumed, as the cutover's re-run would. ``abort`` puts back the state
recorded before the canary, as a rollback during a canary does, and takes the canary's version out
of termination protection (:mod:`.protection`; a re-run finishes an abort interrupted before that).
A pause that outlived its timeout ends by its action when the next promote, abort, cutover or
cleanup of the app looks (``status`` says so).
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import field_validator

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import app_records, holding
from stacker_ecs.core.errors import AwsStateError, CanaryRolledBackError
from stacker_ecs.core.model import LeaseArgs
from stacker_ecs.core.ops.canary import (
    abort_canary,
    pause_timed_out,
    promote_pause,
    resume_canary,
    run_canary,
    settle,
)
from stacker_ecs.core.ops.canary_plan import ABORTED, PAUSED, RUNNING, plan_of
from stacker_ecs.core.ops.history import recorded
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.core.ops.protection import protect_traffic
from stacker_ecs.core.validation import check_name


class GateArgs(LeaseArgs):
    """Arguments of ``promote`` and ``abort``: the app; its recorded canary says the rest."""

    app: str
    """The app whose canary to promote or abort."""
    namespace: str
    """The environment's namespace (e.g. ``ecs-dev``)."""

    _app = field_validator("app")(lambda v: check_name("app", v))


@recorded("promote")
def promote(aws: AwsContext, args: GateArgs) -> dict[str, Any]:
    """Continue the app's paused canary to its next step (and on to the end, or its next pause)."""
    records = app_records(aws, args.namespace, args.app)
    with contextlib.ExitStack() as runner:
        with holding(records, "promote", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
            state = read_listener(aws, args.namespace, args.app)
            recorded = plan_of(lease.snapshot)
            plan = settle(aws, state, lease)
            if plan is None and recorded is not None and recorded.pause_expired(records.wall()):
                raise CanaryRolledBackError(app=args.app, version=recorded.version, cause=(
                    f"{pause_timed_out(recorded)}; it was aborted and all traffic is back on "
                    f"{recorded.live_version}. Cut over again to start a new canary"))
            if plan is not None and plan.state == RUNNING:
                # a promote (or a cutover) that died after recording the canary running: continue it as the
                # cutover's re-run would (refused, naming it, while its runner is alive)
                resumed = resume_canary(aws, state, lease, plan, runner, "promote")
                if isinstance(resumed, dict):  # its final switch was written: finished, no traffic moved
                    return resumed
                outcome, judged = resumed, False
            elif plan is None or plan.state != PAUSED:
                what = f"the canary of {plan.describe()} is {plan.state}" if plan else "no canary is recorded"
                raise AwsStateError(f"nothing to promote: {what}; only a paused canary can be promoted (see "
                                    f"`stacker-ecs status {args.app} --namespace {args.namespace}`)", app=args.app)
            else:
                paused = promote_pause(aws, lease, plan, runner, namespace=args.namespace, explicit=True)
                assert not isinstance(paused, dict)  # noqa: S101 - an explicit promote always continues
                outcome, judged = paused, True
        return run_canary(aws, records, outcome, namespace=args.namespace,
                          lease_wait_seconds=args.lease_wait_seconds, judged=judged, dashboard=args.dashboard)


@recorded("abort")
def abort(aws: AwsContext, args: GateArgs) -> dict[str, Any]:
    """Abort the app's canary (paused or running): all traffic back on the version live before it."""
    records = app_records(aws, args.namespace, args.app)
    with holding(records, "abort", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
        state = read_listener(aws, args.namespace, args.app)
        plan = plan_of(lease.snapshot)
        if plan is None or plan.state == ABORTED:
            if plan is not None:
                lease.stage(canary=None)
            # an abort interrupted after its restore left the canary's version protected: finish that first
            protect_traffic(aws, lease, args.namespace, args.app, {state.version_of(arn) for arn in state.forward})
            raise AwsStateError(f"nothing to abort: no canary is under way (traffic: {state.describe_traffic()}); "
                                f"to go back to the previous version use `stacker-ecs rollback {args.app} "
                                f"--namespace {args.namespace}`", app=args.app)
        return abort_canary(aws, state, lease, plan, dry_run=False, dashboard=args.dashboard)  # protection follows
