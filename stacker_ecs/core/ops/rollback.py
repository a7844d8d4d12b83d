"""Cut back to the version that was live before the current one, or abort a canary under way.

Under the app's lease. A rollback run twice (a retried job, a re-run after a kill) rolls back once: the
switch records what it did with the fence before it (:data:`.canary.SWITCH`), and a rollback that finds the
last switch was a rollback to the live version from the previous one changes nothing, and says how to put
that version back (a cutover by name). During a recorded canary, rollback puts back exactly the forward action
recorded before the canary began and marks the plan aborted; the canary's runner sees that at its
next alarm poll and stops. Otherwise it is a cutover to the previous live version, with the cutover's checks.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import Field, field_validator

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import Lease, app_records, holding
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import LeaseArgs
from stacker_ecs.core.ops.canary import SWITCH, abort_canary
from stacker_ecs.core.ops.canary_plan import ABORTED, plan_of
from stacker_ecs.core.ops.cutover import CutoverArgs, switch_to
from stacker_ecs.core.ops.history import recorded
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.core.ops.protection import protect_traffic
from stacker_ecs.core.validation import check_name


class RollbackArgs(LeaseArgs):
    """Arguments of the ``rollback`` hook: only the app; the listener knows the previous version."""

    app: str
    """The app to roll back."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; how long the previous version gets to be healthy at the live size."""
    force: bool = False
    """Default: off; on switches back even if the previous version is not healthy."""
    dry_run: bool = False
    """Default: off; on reports what would change, and changes nothing."""

    _app = field_validator("app")(lambda v: check_name("app", v))


@recorded("rollback")
def rollback(aws: AwsContext, args: RollbackArgs) -> dict[str, Any]:
    """Abort a canary under way, or make the previous live version live again; refuse if it is gone or unhealthy."""
    records = app_records(aws, args.namespace, args.app)
    with holding(records, "rollback", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
        result = _roll_back(aws, args, lease)
        if args.dry_run or "aborted" in result:  # an abort's restore switched protection already
            return result
        reaching = {result["version"], result["previous"]}
        return {**result, **protect_traffic(aws, lease, args.namespace, args.app, reaching)}


def _roll_back(aws: AwsContext, args: RollbackArgs, lease: Lease) -> dict[str, Any]:
    """Abort the canary, or switch back to the previous live version (the caller holds the lease)."""
    state = read_listener(aws, args.namespace, args.app)
    plan = plan_of(lease.snapshot)
    if plan is not None and plan.state != ABORTED:
        return abort_canary(aws, state, lease, plan, dry_run=args.dry_run, dashboard=args.dashboard)
    if plan is not None and not args.dry_run:
        lease.stage(canary=None)
    if state.is_split:
        raise AwsStateError(f"cannot roll back: traffic is split ({state.describe_traffic()}) and no canary is "
                            "recorded; cut over to one version by name", app=args.app)
    previous = state.previous_version
    last = lease.snapshot.doc(SWITCH) or {}
    if (previous is not None and last.get("operation") == "rollback" and last.get("to") == state.live_version
            and last.get("from") == previous):
        return {"app": args.app, "version": state.live_version, "previous": previous, "changed": False,
                "dry_run": args.dry_run,
                "message": f"already rolled back: {state.live_version} is live, rolled back from {previous}; nothing "
                           f"to change. To put {previous} back, cut over to it by name (`stacker-ecs cutover "
                           f"{args.app} {previous} --namespace {args.namespace}`)"}
    if previous is None:
        stale = [arn for arn, weight in state.forward.items() if weight == 0]
        why = (f"the previous live target group {stale[0]} belongs to no version any more (its stack was "
               "deleted)" if stale else "no previous live version is recorded on the listener")
        raise AwsStateError(f"cannot roll back: {why}; cut over to a version by name instead", app=args.app)
    cutover_args = CutoverArgs(app=args.app, version=previous, namespace=args.namespace,
                               timeout_seconds=args.timeout_seconds, force=args.force, dry_run=args.dry_run,
                               dashboard=args.dashboard)
    # No steps_percent: switch_to switches at once and returns its result, never a canary plan.
    return cast(dict[str, Any], switch_to(aws, state, cutover_args, lease=lease, operation="rollback"))
