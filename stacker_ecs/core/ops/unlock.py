"""Break an app's leases by hand, when their holder is gone and waiting for them to expire is too long."""

from __future__ import annotations

from typing import Any

from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.lease import LEASE
from stacker_ecs.core.ops.canary import RUNNER, app_records, read_plan


def unlock(aws: AwsContext, namespace: str, app: str) -> dict[str, Any]:
    """Delete the app's write lease and canary-runner lease; return who held them.

    A recorded canary stays: the next cutover of its version resumes it, and a rollback aborts it.
    """
    records = app_records(aws, namespace, app)
    now = records.wall()
    broken = {}
    for kind in (LEASE, RUNNER):
        info = records.break_lease(kind)
        if info is not None:
            broken[kind] = info.describe(now)
            aws.log.warning("broke the %s held by %s", kind, broken[kind])
    plan = read_plan(records)
    message = (f"broke {', '.join(f'the {k} of {v}' for k, v in broken.items())}" if broken
               else "no lease was held")
    if plan is not None:
        message += (f"; the canary of {plan.describe()} is still recorded: cut over to {plan.version} again to "
                    f"resume it, or roll back to abort it")
    return {"app": app, "broken": broken, "message": message}
