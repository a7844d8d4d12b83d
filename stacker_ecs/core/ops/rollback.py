"""Cut back to the version that was live before the current one, or abort a canary under way.

Under the app's lease. During a recorded canary, rollback puts back exactly the forward action
recorded before the canary began and marks the plan aborted; the canary's runner sees that at its
next alarm poll and stops. Otherwise it is a cutover to the previous live version, with the cutover's checks.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import Field, field_validator

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.lease import DEFAULT_WAIT_SECONDS, Lease, Records, holding
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.canary import ABORTED, PLAN, CanaryPlan, app_records, describe_traffic, read_plan, restore
from stacker_ecs.core.ops.cutover import CutoverArgs, switch_to
from stacker_ecs.core.ops.listener import ListenerState, read_listener
from stacker_ecs.core.validation import check_name


class RollbackArgs(Args):
    """Arguments of the ``rollback`` hook: only the app; the listener knows the previous version."""

    app: str
    """The app to roll back."""
    namespace: str
    """Default: the config's namespace (stacker, CFNgin) or the Sceptre stack's."""
    timeout_seconds: float = Field(default=600, gt=0)
    """Default: 600; how long the previous version gets to be healthy at the live size."""
    force: bool = False
    """Default: off; on switches back even if the previous version is not healthy."""
    dry_run: bool = False
    """Default: off; on reports what would change, and changes nothing."""
    lease_wait_seconds: float = Field(default=DEFAULT_WAIT_SECONDS, ge=0)
    """Default: 120; how long to wait for another operation on the app to finish before failing, naming it."""

    _app = field_validator("app")(lambda v: check_name("app", v))


def rollback(aws: AwsContext, args: RollbackArgs) -> dict[str, Any]:
    """Abort a canary under way, or make the previous live version live again; refuse if it is gone or unhealthy."""
    records = app_records(aws, args.namespace, args.app)
    with holding(records, "rollback", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
        state = read_listener(aws, args.namespace, args.app)
        plan = read_plan(records)
        if plan is not None and plan.state != ABORTED:
            return _abort_canary(aws, state, records, plan, lease, dry_run=args.dry_run)
        if plan is not None and not args.dry_run:
            records.delete(PLAN)
        if sum(1 for weight in state.forward.values() if weight > 0) > 1:
            names = {rule.target_group_arn: rule.version for rule in state.rules.values()}
            raise AwsStateError(f"cannot roll back: traffic is split ({describe_traffic(state.forward, names)}) and no "
                                "canary is recorded; cut over to one version by name", app=args.app)
        previous = state.previous_version
        if previous is None:
            stale = [arn for arn, weight in state.forward.items() if weight == 0]
            why = (f"the previous live target group {stale[0]} belongs to no version any more (its stack was "
                   "deleted)" if stale else "no previous live version is recorded on the listener")
            raise AwsStateError(f"cannot roll back: {why}; cut over to a version by name instead", app=args.app)
        cutover_args = CutoverArgs(app=args.app, version=previous, namespace=args.namespace,
                                   timeout_seconds=args.timeout_seconds, force=args.force, dry_run=args.dry_run)
        # No steps_percent: switch_to switches at once and returns its result, never a canary plan.
        return cast(dict[str, Any], switch_to(aws, state, cutover_args, lease=lease, records=records))


def _abort_canary(aws: AwsContext, state: ListenerState, records: Records, plan: CanaryPlan, lease: Lease,
                  *, dry_run: bool) -> dict[str, Any]:
    """Put back the state recorded before the canary and mark it aborted (its runner stops at its next poll)."""
    back_to = plan.live_version or "the state before the canary"
    result = {"app": records.app, "version": back_to, "previous": plan.version, "dry_run": dry_run,
              "aborted": plan.describe()}
    if dry_run:
        return {**result, "changed": False,
                "message": f"dry run: would abort the canary of {plan.describe()} and put all traffic on {back_to}"}
    lease.check()
    restore(aws, state, records, plan, why=f"aborted by rollback ({lease.info.holder})", then=ABORTED)
    aws.log.info("canary of %s aborted; all traffic is back on %s", plan.describe(), back_to)
    return {**result, "changed": True,
            "message": f"canary of {plan.describe()} aborted; all traffic is back on {back_to}"}
