"""Remove one app (its versions, its live rule, then its application stack), or a whole environment.

The order is the one AWS needs: the live rule goes first (a target group it names cannot be
deleted), then every version stack, failed ones included, then the application stack (whose
listener the version rules are attached to). While a version is live the app is refused unless
``force``: tearing it down takes its site offline.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import boto3
from pydantic import Field, field_validator

from stacker_ecs.core import naming
from stacker_ecs.core.aws import aws_call, client
from stacker_ecs.core.errors import AwsCallError, AwsStateError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops.cleanup import wait_for_deletes
from stacker_ecs.core.ops.live import describe_application, describe_listener
from stacker_ecs.core.ops.version_stacks import VersionStack, list_version_stacks
from stacker_ecs.core.ops.wait import Clock
from stacker_ecs.core.validation import check_name

LOGGER = logging.getLogger(__name__)


class TeardownArgs(Args):
    """Arguments of the ``teardown`` hook and command."""

    app: str
    """The app to remove."""
    namespace: str
    """Default (in stacker): the config's namespace."""
    force: bool = False
    """Default: off, a live app is refused; on takes its site offline and removes it."""
    dry_run: bool = False
    """Default: off; on reports what would be deleted, and deletes nothing."""
    timeout_seconds: float = Field(default=1800, gt=0)
    """Default: 1800; how long the deletes may take before the teardown fails naming the stacks."""

    _app = field_validator("app")(lambda v: check_name("app", v))


def teardown(session: boto3.Session, args: TeardownArgs, clock: Clock | None = None) -> dict[str, Any]:
    """Delete the app's live rule, every version stack, then its application stack."""
    clock = clock or Clock()
    app = args.app
    try:
        application = describe_application(session, args.namespace, app)
    except AwsStateError as exc:
        if "no application stack" not in str(exc):
            raise
        application = None
    versions = list_version_stacks(session, args.namespace, app)
    state = describe_listener(session, application) if application else None
    live = state.live_version if state else None
    if state and state.forward and not args.force:
        raise AwsStateError(f"{live or 'a target group'} is live; tearing the app down takes its site offline. "
                            "Pass force (--force) if that is what you want", app=app)
    result: dict[str, Any] = {"app": app, "dry_run": args.dry_run, "live": live,
                              "versions": sorted(s.version for s in versions),
                              "application_stack": application.stack_name if application else None}
    if args.dry_run:
        LOGGER.info("%s: would delete %d version stacks and %s", app, len(versions),
                    application.stack_name if application else "no application stack")
        return result
    if state and state.live_rule_arn:
        LOGGER.info("%s: deleting the live rule (traffic now gets the 503 'no live version')", app)
        with aws_call("DeleteRule", app):
            client(session, "elbv2").delete_rule(RuleArn=state.live_rule_arn)
    _delete(session, versions, args, clock, what="version stacks")
    if application:
        stack = client(session, "cloudformation").describe_stacks(StackName=application.stack_name)["Stacks"][0]
        _delete(session, [VersionStack(version="application stack", name=stack["StackName"],
                                       stack_id=stack["StackId"], status=stack["StackStatus"],
                                       created=stack.get("CreationTime") or datetime.now(UTC),
                                       termination_protection=False, outputs={})], args, clock, what="stacks")
    LOGGER.info("%s: removed", app)
    return result


def _delete(session: boto3.Session, stacks: list[VersionStack], args: TeardownArgs, clock: Clock, *,
            what: str) -> None:
    cfn = client(session, "cloudformation")
    for stack in stacks:
        LOGGER.info("%s: deleting %s", args.app, stack.name)
        with aws_call("DeleteStack", stack.name):
            cfn.delete_stack(StackName=stack.stack_id)
    failed = wait_for_deletes(session, stacks, timeout_seconds=args.timeout_seconds, clock=clock)
    if failed:
        raise AwsStateError(f"teardown could not delete the {what} " + "; ".join(f"{v}: {why}" for v, why in
                            failed.items()) + ". Look at the stacks' events, fix the cause, and run it again",
                            app=args.app)


def find_apps(session: boto3.Session, namespace: str) -> list[str]:
    """Return the apps with an application stack in ``namespace`` (lists the account's stacks once)."""
    prefix = naming.application_stack(namespace, "")
    apps = []
    with aws_call("DescribeStacks", f"application stacks of {namespace}"):
        pages = client(session, "cloudformation").get_paginator("describe_stacks").paginate()
        stacks = [s for page in pages for s in page["Stacks"]]
    for stack in stacks:
        name = stack["StackName"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        app = name[len(prefix):]
        if name.startswith(prefix) and naming.VERSION_SEPARATOR not in name and outputs.get("App") == app:
            apps.append(app)
    return sorted(apps)


def teardown_environment(session: boto3.Session, namespace: str, *, force: bool = False, dry_run: bool = False,
                         clock: Clock | None = None) -> dict[str, Any]:
    """Tear down every app of ``namespace``, then its cluster stack; refuse up front while any app is live."""
    clock = clock or Clock()
    apps = find_apps(session, namespace)
    if not force:
        live = []
        for app in apps:
            state = describe_listener(session, describe_application(session, namespace, app))
            if state.forward:
                live.append(f"{app} ({state.live_version or 'a target group'})")
        if live:
            raise AwsStateError(f"environment {namespace}: apps still live: {', '.join(live)}; tearing the "
                                "environment down takes them offline. Pass force (--force) if that is what you want")
    results = [teardown(session, TeardownArgs(app=app, namespace=namespace, force=force, dry_run=dry_run), clock)
               for app in apps]
    cluster = naming.cluster_stack(namespace)
    if not dry_run:
        try:
            with aws_call("DescribeStacks", cluster):
                stack = client(session, "cloudformation").describe_stacks(StackName=cluster)["Stacks"][0]
        except AwsCallError as exc:
            if "does not exist" not in str(exc):
                raise
        else:
            args = TeardownArgs(app="cluster", namespace=namespace, timeout_seconds=1800)
            _delete(session, [VersionStack(version="cluster", name=cluster, stack_id=stack["StackId"],
                                           status=stack["StackStatus"], created=stack["CreationTime"],
                                           termination_protection=False, outputs={})], args, clock, what="stacks")
    return {"namespace": namespace, "apps": results, "cluster": cluster, "dry_run": dry_run}
