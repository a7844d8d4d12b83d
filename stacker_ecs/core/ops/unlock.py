"""Break an app's leases by hand, when their holder is gone and waiting for them to expire is too long."""

from __future__ import annotations

from typing import Any

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.coordination import LABELS, LEASE, RUNNER, app_records
from stacker_ecs.core.ops.canary_plan import plan_of
from stacker_ecs.core.ops.lookups import AppQuery


def unlock(aws: AwsContext, query: AppQuery) -> dict[str, Any]:
    """Delete the app's write lease and canary-runner lease; return who held them.

    A recorded canary stays: the next cutover of its version resumes it, and a rollback aborts it.
    """
    app = query.app
    records = app_records(aws, query.namespace, app)
    now = records.wall()
    broken = {LABELS[kind]: info.describe(now) for kind, info in records.break_leases(LEASE, RUNNER).items()}
    for kind, holder in broken.items():
        aws.log.warning("broke the %s held by %s", kind, holder)
    plan = plan_of(records.read())
    message = (f"broke {', '.join(f'the {k} of {v}' for k, v in broken.items())}" if broken
               else "no lease was held")
    if plan is not None:
        message += (f"; the canary of {plan.describe()} is still recorded: cut over to {plan.version} again to "
                    f"resume it, or roll back to abort it")
    return {"app": app, "broken": broken, "message": message}
