"""``stacker-ecs adopt <app> --namespace NS``: tag the app's stacks so that they are found by tag.

Cleanup, status, teardown and the destroy checks find an app's version stacks through the Resource
Groups Tagging API (stack tag ``stacker-ecs:app``), which returns no untagged resource. Version
stacks deployed before the config set that tag, or made by hand, are invisible to them: their
services keep running, and the cluster's delete fails later. Adopting finds them without listing the
account: every version with a host rule on the app's listener, and every version named with
``--version``, is read by its stack name; each one of the app's (its ``App`` output or description),
and the application stack itself, gets the tag through an ``UpdateStack`` that keeps the template
and parameters (only tags change, which CloudFormation passes on to the resources; AWS's resource
schemas say each resource of our templates takes a tag in place, replacing nothing, and
``test_cfn_lint.py`` checks it). Run it once, under the app's lease; a re-run finds nothing left to
tag. A stack CloudFormation would not update (a failed create, a failed delete, an operation under
way) is refused before any tag, with its fix.
"""

from __future__ import annotations

from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.coordination import app_records, holding
from stacker_ecs.core.errors import AwsStateError
from stacker_ecs.core.model import LeaseArgs
from stacker_ecs.core.ops.cluster_services import failed_resources
from stacker_ecs.core.ops.inventory import owned_by
from stacker_ecs.core.ops.listener import describe_application, describe_listener
from stacker_ecs.core.ops.wait import poll

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                       "IMPORT_ROLLBACK_COMPLETE"})
"""The stack states in which CloudFormation accepts an ``UpdateStack``."""
UPDATE_TIMEOUT_SECONDS = 1800.0
"""How long adopt waits for one stack's tag update (as long as CloudFormation's own waiter)."""


class AdoptArgs(LeaseArgs):
    """Arguments of the ``adopt`` command."""

    app: str
    """The app whose version stacks are tagged, as in its application stack's name."""
    namespace: str
    """The stacker namespace of the environment, e.g. ecs-dev."""
    versions: list[str] = []
    """Default: none; versions to adopt besides those with a host rule (one whose rule is gone, say), by name."""
    dry_run: bool = False
    """Default: off; on names the stacks it would tag, and tags nothing."""


def adopt(aws: AwsContext, args: AdoptArgs) -> dict[str, Any]:
    """Tag the app's application stack and every version stack found by its name; return what was tagged."""
    app, namespace = args.app, args.namespace
    with holding(app_records(aws, namespace, app), "adopt", clock=aws.clock, wait_seconds=args.lease_wait_seconds):
        application = describe_application(aws, namespace, app)
        versions = sorted(set(describe_listener(aws, application).rules) | set(args.versions))
        stacks = [describe_stack(aws, application.stack_name)]
        missing = []
        for version in versions:
            stack = describe_stack(aws, naming.version_stack(namespace, app, version))
            if stack is None or not owned_by(stack, app, version):
                missing.append(version)
            else:
                stacks.append(stack)
        tagged, already = [], []
        untagged = [s for s in stacks if s is not None and _tags(s).get(contract.TAG_APP) != app]
        _refuse_unupdatable(app, untagged)
        for stack in stacks:
            assert stack is not None  # noqa: S101 - describe_application read it
            tags = _tags(stack)
            if tags.get(contract.TAG_APP) == app:
                already.append(stack["StackName"])
                continue
            tagged.append(stack["StackName"])
            if not args.dry_run:
                _tag(aws, stack, {**tags, contract.TAG_APP: app})
    if tagged:
        aws.log.info("%s %s", "would tag" if args.dry_run else "tagged", ", ".join(tagged))
    return {"app": app, "namespace": namespace, "tagged": tagged, "already_tagged": already,
            "not_found": missing, "dry_run": args.dry_run}


def _tags(stack: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in stack.get("Tags", [])}


def _refuse_unupdatable(app: str, stacks: list[dict[str, Any]]) -> None:
    """Refuse, before any change, stacks CloudFormation would not update (so not tag), each with its fix: tagging the
    others first would leave adopt failing on the same stack at every re-run."""
    stuck = [f"{s['StackName']} is {s['StackStatus']}: {_fix(s)}" for s in stacks
             if s["StackStatus"] not in UPDATABLE]
    if stuck:
        raise AwsStateError("adopt refused, nothing was tagged: CloudFormation updates (and so tags) no stack in these "
                            "states: " + "; ".join(stuck) + ". Then run adopt again", app=app)


def _fix(stack: dict[str, Any]) -> str:
    status, name = stack["StackStatus"], stack["StackName"]
    if status.endswith("_IN_PROGRESS"):
        return "an operation on it is under way; wait for it to end"
    if status == "UPDATE_ROLLBACK_FAILED":
        return f"finish its rollback (`aws cloudformation continue-update-rollback --stack-name {name}`)"
    if status.startswith("DELETE_"):
        return (f"its delete failed; delete it again (`aws cloudformation delete-stack --stack-name {name}`, with "
                "--retain-resources for what cannot go)")
    return (f"its create failed and it holds nothing to adopt; delete it (`aws cloudformation delete-stack "
            f"--stack-name {name}`)")


def _tag(aws: AwsContext, stack: dict[str, Any], tags: dict[str, str]) -> None:
    """Update ``stack`` with the same template and parameters and ``tags``; wait until it is done."""
    cfn = aws.client("cloudformation")
    with aws_call("UpdateStack", stack["StackName"]):
        cfn.update_stack(
            StackName=stack["StackId"], UsePreviousTemplate=True, Capabilities=CAPABILITIES,
            Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                        for p in stack.get("Parameters", [])],
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()])
    _wait_for_update(aws, stack)


def _wait_for_update(aws: AwsContext, stack: dict[str, Any]) -> None:
    """Wait (on the operation's clock) until the tag update of ``stack`` ends; refuse one that did not apply,
    naming each resource that refused it and why."""
    name = stack["StackName"]
    polled = poll(aws.clock, lambda _: _status(aws, stack["StackId"]), lambda status: not status.endswith(
        "_IN_PROGRESS"), timeout_seconds=UPDATE_TIMEOUT_SECONDS, first_seconds=1.0, cap_seconds=10.0)
    if polled.value == "UPDATE_COMPLETE":
        return
    if polled.timed_out:
        raise AwsStateError(f"{name}: its tag update is still {polled.value} after {UPDATE_TIMEOUT_SECONDS:.0f}s; "
                            "run adopt again once it ends (a stack already tagged is skipped)", app=aws.app)
    failed = "".join(f"; failed: {reason.rstrip('.')}" for reason in failed_resources(aws, stack["StackId"], "UPDATE"))
    raise AwsStateError(f"{name}: CloudFormation did not apply the tag, the stack is {polled.value}{failed}. Fix "
                        "what refused it (the pipeline's role may lack a service's tagging permission), then run "
                        "adopt again (a stack already tagged is skipped)", app=aws.app)


def _status(aws: AwsContext, stack_id: str) -> str:
    stack = describe_stack(aws, stack_id)
    return stack["StackStatus"] if stack else "DELETE_COMPLETE"  # deleted meanwhile (by hand): not tagged
