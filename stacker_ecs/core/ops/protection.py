"""Termination protection of the version stacks traffic reaches (live, previous, canary).

Deleting a live version's stack by hand would delete its service first and only then fail on the
target group the live rule uses (``DELETE_FAILED``, the whole app answers 503): CloudFormation
termination protection is what refuses that ``DeleteStack``. :func:`protect_traffic` runs under the
app's lease after every write of the live rule (cutover, canary step, rollback): it switches
protection on for each version the live rule forwards to (weight 0 included: the previous live
version) and off for the versions it protected before that the rule no longer names. The versions
it protected are recorded in the app's item before any switch, marked pending until the lease is
released, so a crashed run leaves at most extra protection and the next run (a re-run of the same
cutover too) finishes the job; stacks protected by hand are never touched. When the record matches
the live rule and is not pending, it costs no call.
"""

from __future__ import annotations

from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.coordination import Lease
from stacker_ecs.core.errors import AwsCallError
from stacker_ecs.core.ops.listener import read_listener

PROTECTED = "protected"
"""The app's record of the version stacks this suite protected."""


def _record(lease: Lease) -> dict[str, Any]:
    """Return the record as this holder staged it, else wrote it, else as the take found it."""
    for docs in (lease.staged, lease.written):
        if PROTECTED in docs:
            return docs[PROTECTED] or {}
    return lease.snapshot.doc(PROTECTED) or {}


def _pending(lease: Lease, reaching: set[str | None]) -> dict[str, Any] | None:
    """Return the record to write before switching protection for ``reaching``, or None when it is all done."""
    before = protected_by_us(lease)
    if before == reaching and not _record(lease).get("pending"):
        return None
    return {"versions": sorted(before | reaching), "pending": True}


def protected_by_us(lease: Lease) -> set[str | None]:
    """Return the versions recorded as protected by this suite (as staged, else written, else as taken)."""
    return set(_record(lease).get("versions", []))


def protect_traffic(aws: AwsContext, lease: Lease, namespace: str, app: str,
                    reaching: set[str | None] | None = None) -> dict[str, list[str]]:
    """Protect the versions the live rule forwards to, unprotect the ones it no longer does; return both lists.

    ``reaching``: the versions the caller just wrote to the live rule; default: read the rule (2 calls).
    Costs one fenced lease renewal (none when :func:`fence_traffic` recorded them) and one call per version
    switched.
    """
    if reaching is None:
        state = read_listener(aws, namespace, app)
        reaching = {state.version_of(arn) for arn in state.forward}
    reaching = {v for v in reaching if v}
    record = _pending(lease, reaching)
    if record is None:
        return {"protected": [], "unprotected": []}  # done before, and finished: nothing to repair
    before = protected_by_us(lease)
    if lease.written.get(PROTECTED) != record:  # else fence_traffic wrote it with the traffic write's fence
        lease.stage(**{PROTECTED: record})
        lease.check()  # recorded before any switch: a crash leaves nothing protected that is not recorded
    on = [v for v in sorted(reaching) if set_protection(aws, namespace, app, v, on=True)]
    off = [v for v in sorted(before - reaching) if set_protection(aws, namespace, app, v, on=False) is not None]
    lease.stage(**{PROTECTED: {"versions": sorted(reaching)}})
    return {"protected": on, "unprotected": off}


def fence_traffic(lease: Lease, reaching: set[str | None]) -> None:
    """The fence right before a write of the live rule that sends traffic to ``reaching`` (one call): it also
    records the versions :func:`protect_traffic` will protect after the write, so that costs no call of its own."""
    record = _pending(lease, {v for v in reaching if v})
    if record is not None:
        lease.stage(**{PROTECTED: record})
    lease.check()


def set_protection(aws: AwsContext, namespace: str, app: str, version: str, *, on: bool) -> bool | None:
    """Switch one version stack's termination protection (1 call); None if the stack no longer exists.

    Taking it off a stack whose delete is under way (a teardown killed after its ``DeleteStack``, re-run) is
    done already: whether CloudFormation accepts the switch then is not documented, so a refusal is read as
    done when the stack is being deleted (one more read, only then).
    """
    name = naming.version_stack(namespace, app, version)
    log = aws.about(version, app=app).log
    try:
        with aws_call("UpdateTerminationProtection", name):
            aws.client("cloudformation").update_termination_protection(StackName=name,
                                                                       EnableTerminationProtection=on)
    except AwsCallError as exc:
        if not on and "does not exist" not in str(exc) and _being_deleted(aws, name):
            log.info("its stack %s is being deleted: no protection to take off", name)
            return None
        if "does not exist" not in str(exc):
            raise
        if on:
            log.warning("takes traffic but its stack %s does not exist; deploy the version again or cut over "
                        "to another one", name)
        return None
    log.info("termination protection %s", "on" if on else "off")
    return on


def _being_deleted(aws: AwsContext, name: str) -> bool:
    """Return whether stack ``name`` is being deleted, or is gone (1 call)."""
    stack = describe_stack(aws, name)
    return stack is None or stack["StackStatus"] == "DELETE_IN_PROGRESS"


def protection_of(stack: dict[str, Any]) -> bool:
    """Return whether a ``DescribeStacks`` entry has termination protection on (pure)."""
    return bool(stack.get("EnableTerminationProtection"))
