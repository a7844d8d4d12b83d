"""Remove one app (its versions, its live rule, then its application stack), or a whole environment.

The order is the one AWS needs: the live rule goes first (a target group it names cannot be
deleted), then every version stack, failed ones included, then the app's dashboard, then the
application stack (whose listener the version rules are attached to; last, as it is how a re-run of
teardown-environment finds an app teardown left half-done). It all happens under the app's lease,
like cleanup, so no cutover or rollback writes the live rule meanwhile. While a version is live, or a canary is
recorded, the app is refused unless ``force``: tearing it down takes its site offline. An
environment's teardown refuses, before any change and again before the cluster stack's delete, while
the cluster has a service no teardown deletes (:mod:`.cluster_services`): ECS would refuse ``DeleteCluster``.
A stack already ``DELETE_IN_PROGRESS`` (a teardown killed while it waited: CloudFormation goes on deleting) is
waited for, never read for its listener or cluster (they may be gone already) nor deleted again; an application
stack whose create failed (no listener ever) is deleted without reading one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.coordination import app_records, holding
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import Args, LeaseArgs
from stacker_ecs.core.ops.canary import SWITCH
from stacker_ecs.core.ops.canary_plan import plan_of
from stacker_ecs.core.ops.cleanup import wait_for_deletes
from stacker_ecs.core.ops.cluster_services import blocking_services, failed_resources
from stacker_ecs.core.ops.dashboard import delete_dashboard
from stacker_ecs.core.ops.history import recorded
from stacker_ecs.core.ops.inventory import LEFTOVERS, VersionStack, find_apps, list_version_stacks
from stacker_ecs.core.ops.listener import application_of, describe_application, describe_listener
from stacker_ecs.core.ops.protection import protect_traffic
from stacker_ecs.core.validation import check_name

FORCE = "teardown_force=true in the example configs (-e, --var or TEARDOWN_FORCE), --force with stacker-ecs teardown"
"""How each way of running teardown passes its ``force`` argument, for the refusals."""
DELETING = "DELETE_IN_PROGRESS"
"""A stack CloudFormation is deleting: teardown waits for it, and deletes it no second time."""


class TeardownArgs(LeaseArgs):
    """Arguments of the ``teardown`` hook and command."""

    app: str
    """The app to remove."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""
    force: bool = False
    """Default: off, a live app (or one with a canary recorded) is refused; on takes its site offline and removes it."""
    dry_run: bool = False
    """Default: off; on reports what would be deleted, and deletes nothing."""
    timeout_seconds: float = Field(default=1800, gt=0)
    """Default: 1800; how long the deletes may take before the teardown fails naming the stacks."""

    _app = field_validator("app")(lambda v: check_name("app", v))


class TeardownEnvironmentArgs(LeaseArgs):
    """Arguments of the ``teardown-environment`` command."""

    namespace: str
    """The stacker namespace of the environment, e.g. ecs-dev."""
    force: bool = False
    """Default: off, refused while any app is live; on takes every site offline and removes it."""
    dry_run: bool = False
    """Default: off; on reports what would be deleted, and deletes nothing."""
    timeout_seconds: float = Field(default=1800, gt=0)
    """Default: 1800; how long each app's deletes may take before the teardown fails naming the stacks."""


@recorded("teardown")
def teardown(aws: AwsContext, args: TeardownArgs) -> dict[str, Any]:
    """Delete the app's live rule, every version stack, then its application stack, holding the app's lease."""
    app = args.app
    records = app_records(aws, args.namespace, app)
    with holding(records, "teardown", clock=aws.clock, wait_seconds=args.lease_wait_seconds) as lease:
        stack = describe_stack(aws, naming.application_stack(args.namespace, app))
        # Being deleted (a teardown killed while it waited), or its create failed: no listener to read (gone, or never
        # made, so nothing ever went live through it); only wait for its delete, or delete it.
        application = application_of(stack, args.namespace, app) if stack is not None and \
            stack["StackStatus"] not in LEFTOVERS else None
        versions = list_version_stacks(aws, args.namespace, app)
        state = describe_listener(aws, application) if application else None
        live = state.live_version if state else None
        canary = plan_of(lease.snapshot)
        if canary is not None and not args.force:
            raise AwsStateError(f"a canary of {canary.describe()} is recorded; tearing the app down ends it and takes "
                                "its site offline. Roll it back first (stacker-ecs rollback), or pass force " + FORCE,
                                app=app)
        if state and state.forward and not args.force:
            raise AwsStateError(f"{live or 'a target group'} is live; tearing the app down takes its site offline. "
                                "Pass force if that is what you want: " + FORCE, app=app)
        result: dict[str, Any] = {"app": app, "dry_run": args.dry_run, "live": live,
                                  "versions": sorted(s.version for s in versions),
                                  "application_stack": stack["StackName"] if stack else None,
                                  "changed": not args.dry_run and bool(versions or stack)}  # a history entry
        if args.dry_run:
            aws.log.info("would delete %d version stacks and %s", len(versions),
                         stack["StackName"] if stack else "no application stack")
            return result
        lease.write(canary=None, live=None, **{SWITCH: None})  # the fence before the first delete
        if state and state.live_rule_arn:
            aws.log.info("deleting the live rule (traffic now gets the 503 'no live version')")
            with aws_call("DeleteRule", app):
                aws.client("elbv2").delete_rule(RuleArn=state.live_rule_arn)
        protect_traffic(aws, lease, args.namespace, app, set())  # no traffic: the suite's protection comes off
        _delete(aws, versions, args, what="version stacks")
        delete_dashboard(aws, args.namespace, app)  # while the application stack stands, so a re-run finds the app
        if stack is not None:
            _delete(aws, [_as_stack("application stack", stack)], args, what="stacks")
    aws.log.info("removed")
    return result


def _as_stack(label: str, stack: dict[str, Any]) -> VersionStack:
    return VersionStack(version=label, name=stack["StackName"], stack_id=stack["StackId"],
                        status=stack["StackStatus"], created=stack.get("CreationTime") or datetime.now(UTC),
                        termination_protection=False, outputs={})


def _delete(aws: AwsContext, stacks: list[VersionStack], args: TeardownArgs | TeardownEnvironmentArgs, *,
            what: str) -> None:
    cfn = aws.client("cloudformation")
    for stack in stacks:
        if stack.status == DELETING:  # its delete was started before (a killed teardown): wait for it
            aws.log.info("%s is being deleted already", stack.name)
            continue
        aws.log.info("deleting %s", stack.name)
        with aws_call("DeleteStack", stack.name):
            cfn.delete_stack(StackName=stack.stack_id)
    failed = wait_for_deletes(aws, stacks, timeout_seconds=args.timeout_seconds)
    if failed:
        ids = {s.version: s.stack_id for s in stacks}
        raise AwsStateError(f"teardown could not delete the {what} " + "; ".join(
            f"{v}: {why.rstrip('.')}" + "".join(f"; failed: {r.rstrip('.')}" for r in failed_resources(aws, ids[v]))
            for v, why in failed.items()) + ". Fix the cause, and run it again", app=aws.app)


def teardown_environment(aws: AwsContext, args: TeardownEnvironmentArgs) -> dict[str, Any]:
    """Tear down every app of the namespace, then its cluster stack; refuse up front while any app is live, or
    while the cluster has a service no teardown would delete (``DeleteCluster`` would fail on it)."""
    namespace = args.namespace
    apps = find_apps(aws, namespace, leftovers=True)
    if not args.force:
        _refuse_live(aws, namespace, apps)
    cluster_stack = describe_stack(aws, naming.cluster_stack(namespace))
    # A cluster stack being deleted (a teardown killed while it waited) may have no cluster left to read: only wait.
    cluster = contract.outputs_of(cluster_stack).get(contract.CLUSTER_NAME) if cluster_stack and \
        cluster_stack["StackStatus"] != DELETING else None
    if cluster:
        leaving = {naming.service_name(app, v.version) for app in apps for v in list_version_stacks(aws, namespace,
                                                                                                      app)}
        _refuse_services(aws, namespace, cluster, apps, leaving, done="nothing was deleted")
    results = [teardown(aws.about("", app=app),
                        TeardownArgs(app=app, namespace=namespace, force=args.force, dry_run=args.dry_run,
                                     timeout_seconds=args.timeout_seconds,
                                     lease_wait_seconds=args.lease_wait_seconds))
               for app in apps]
    if not args.dry_run and cluster_stack is not None:
        if cluster:
            _refuse_services(aws, namespace, cluster, [], set(),
                             done=f"the apps {', '.join(apps)} were removed, the cluster stack was not deleted"
                             if apps else "the cluster stack was not deleted")
        _delete_cluster(aws, args, cluster)
    return {"namespace": namespace, "apps": results, "cluster": naming.cluster_stack(namespace),
            "dry_run": args.dry_run}


def _refuse_live(aws: AwsContext, namespace: str, apps: list[str]) -> None:
    live = []
    for app in apps:
        stack = describe_stack(aws, naming.application_stack(namespace, app))
        if stack is None or stack["StackStatus"] in LEFTOVERS:  # no listener to read (gone, or never made)
            continue
        state = describe_listener(aws, application_of(stack, namespace, app))
        if state.forward:
            live.append(f"{app} ({state.live_version or 'a target group'})")
    if live:
        raise AwsStateError(f"environment {namespace}: apps still live: {', '.join(live)}; tearing the "
                            "environment down takes them offline. Pass --force if that is what you want")


def _delete_cluster(aws: AwsContext, args: TeardownEnvironmentArgs, cluster: str | None) -> None:
    """Delete the cluster stack; a failed delete names the failed resources and the services in the cluster now."""
    stack = describe_stack(aws, naming.cluster_stack(args.namespace))
    if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
        return
    try:
        _delete(aws, [_as_stack("cluster", stack)], args, what="stacks")
    except AwsStateError as exc:
        blocking = blocking_services(aws, args.namespace, cluster, []) if cluster else []
        if not blocking:
            raise
        raise AwsStateError(f"{exc}. Services in the cluster now:\n  - "
                            + "\n  - ".join(s.describe() for s in blocking)) from exc


def _refuse_services(aws: AwsContext, namespace: str, cluster: str, apps: list[str], leaving: set[str], *,
                     done: str) -> None:
    """Raise, naming each service that would keep ``DeleteCluster`` from deleting the cluster, and its fix."""
    blocking = blocking_services(aws, namespace, cluster, apps, leaving=leaving)
    if blocking:
        raise AwsStateError(
            f"environment {namespace}: the cluster {cluster} still has {len(blocking)} service(s) no teardown "
            f"deletes, and ECS refuses to delete a cluster that contains services ({done}):\n  - "
            + "\n  - ".join(s.describe() for s in blocking))


class DestroyCheckArgs(Args):
    """Arguments of the ``check_destroy`` hook: what an engine's destroy is about to delete."""

    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""
    stacks: list[str]
    """The CloudFormation names of the stacks the destroy deletes (the engine fills them in)."""
    teardown_command: str = ("stacker build ... -e app=<app> -e teardown=true [-e teardown_force=true] "
                             "--targets pipeline")
    """Default: stacker's. How the engine's user tears one app down (the engine's adapter fills it in)."""


def check_destroy(aws: AwsContext, args: DestroyCheckArgs) -> dict[str, Any]:
    """Refuse a destroy that would take a live app down or leave version stacks behind; reads only.

    An engine's destroy deletes the stacks its config names: the cluster, the application stacks
    and at most the one version a build names. The other versions stay, their services keep the
    cluster from being deleted, and a live version's target group keeps its stack (the live rule
    names it). Teardown removes an app in the order AWS needs; this says so before anything changes.
    A destroy of the cluster stack is also refused while the cluster has a service that no version
    stack found by tag owns (ECS would refuse ``DeleteCluster``), naming it and its fix.
    """
    namespace, deleting = args.namespace, set(args.stacks)
    cluster = naming.cluster_stack(namespace)
    problems = []
    apps = find_apps(aws, namespace)
    tagged: set[str] = set()
    for app in apps:
        if naming.application_stack(namespace, app) not in deleting and cluster not in deleting:
            continue
        state = describe_listener(aws, describe_application(aws, namespace, app))
        versions = list_version_stacks(aws, namespace, app)
        tagged |= {naming.service_name(app, v.version) for v in versions}
        left = sorted(v.version for v in versions if v.name not in deleting)
        if state.forward:
            problems.append(f"{app}: {state.live_version or 'a target group'} is live")
        elif left:
            problems.append(f"{app}: its versions {', '.join(left)} would be left behind")
        elif naming.application_stack(namespace, app) not in deleting:
            problems.append(f"{app}: its application stack is not in this config")
    if cluster in deleting:
        stack = describe_stack(aws, cluster)
        name = contract.outputs_of(stack).get(contract.CLUSTER_NAME) if stack else None
        problems += [f"the cluster's service {s.describe()}" for s in
                     (blocking_services(aws, namespace, name, apps, leaving=tagged) if name else [])]
    if problems:
        raise AwsStateError(
            f"destroy of {namespace} refused: " + "; ".join(problems) + ". Remove each app with teardown first "
            f"({args.teardown_command}), or the whole environment with "
            f"'stacker-ecs teardown-environment --namespace {namespace} [--force]'")
    return {"namespace": namespace, "stacks": sorted(deleting)}
