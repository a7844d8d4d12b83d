"""Break an app's leases by hand, when their holder is gone and waiting for them to expire is too long."""

from __future__ import annotations

from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext, describe_stack
from stacker_ecs.core.coordination import LABELS, LEASE, RUNNER, app_records
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.ops.canary_plan import plan_of
from stacker_ecs.core.ops.lookups import AppQuery


def unlock(aws: AwsContext, query: AppQuery) -> dict[str, Any]:
    """Delete the app's write lease and canary-runner lease; return who held them.

    A recorded canary stays: the next cutover of its version resumes it, and a rollback aborts it.
    """
    app = query.app
    records = app_records(aws, query.namespace, app)
    try:
        leases = records.break_leases(LEASE, RUNNER)
    except AwsStateError:
        cluster = naming.cluster_stack(query.namespace)
        if describe_stack(aws, cluster) is not None:
            raise
        # (a teardown-environment killed after the cluster stack's delete: every lease went with its table)
        return {"app": app, "broken": {}, "message": f"no lease was held: environment {query.namespace} has no cluster "
                f"stack {cluster} (torn down?), so no coordination table"}
    now = records.wall()
    broken = {LABELS[kind]: info.describe(now) for kind, info in leases.items()}
    for kind, holder in broken.items():
        aws.log.warning("broke the %s held by %s", kind, holder)
    plan = plan_of(records.read())
    message = (f"broke {', '.join(f'the {k} of {v}' for k, v in broken.items())}" if broken
               else "no lease was held")
    if plan is not None:
        message += (f"; the canary of {plan.describe()} is still recorded: cut over to {plan.version} again to "
                    f"resume it, or roll back to abort it")
    return {"app": app, "broken": broken, "message": message}
