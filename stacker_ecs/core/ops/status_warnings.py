"""What ``status`` warns about, each with its repair (pure: built from what status read).

- A version the live rule reaches (live, a canary's share, the previous live version at weight 0)
  whose stack has no termination protection: deleting that stack by hand deletes its service first,
  then fails on the target group the rule still uses (docs/fidelity.md, #18), and the app
  answers 503. Cutover, canary steps and rollback switch it on (:mod:`.protection`).
- An idle version whose stack is protected: cleanup keeps it.
- A live rule that forwards to a target group whose stack is gone (deleted by hand, or stuck in
  ``DELETE_FAILED`` after its service was deleted): which target group, that no stack owns it, and
  how to give the app a healthy version again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stacker_ecs.core.ops.status import UnownedTargetGroup, VersionStatus

REACHED = ("live", "split", "previous")
"""Roles of the versions the live rule forwards to (weight 0 included): the ones protection covers."""


def target_group_name(arn: str | None) -> str:
    """Return the name in a target group ARN (``...:targetgroup/<name>/<id>``), or the ARN itself (pure)."""
    if not arn:
        return ""
    parts = arn.split(":targetgroup/", 1)
    return parts[1].split("/")[0] if len(parts) == 2 else arn


def _gone(row: VersionStatus) -> bool:
    return row.stack_status.startswith("DELETE_")


def _where(row: VersionStatus) -> str:
    if row.role == "previous":
        return "is recorded as the previous live version (the rollback target)"
    share = f"{row.traffic_percent}% of the traffic"
    return f"takes {share} in a canary" if row.role == "split" else f"is live ({share})"


def restore_hint(namespace: str, app: str, rows: list[VersionStatus]) -> str:
    """Return how to give the app a healthy live version again: rollback if a previous version is usable, a cutover."""
    ns = f"--namespace {namespace}"
    previous = [r.version for r in rows if r.role == "previous" and not _gone(r)]
    healthy = [r.version for r in rows if r.role in ("", "previous") and r.healthy and not _gone(r)]
    cut = (f"cut over to a healthy version (`stacker-ecs cutover {app} <version> {ns}`; healthy now: "
           f"{', '.join(healthy)})" if healthy else
           f"deploy a version and cut over to it (`stacker-ecs cutover {app} <version> {ns}`; no other version "
           "has healthy targets now)")
    if previous:
        return f"Roll back to {previous[0]} (`stacker-ecs rollback {app} {ns}`), or {cut}"
    return cut[0].upper() + cut[1:]


def gone_warning(namespace: str, app: str, row: VersionStatus, rows: list[VersionStatus]) -> str:
    """Say that a version the live rule reaches has a stack being deleted or failed to delete, and what to do."""
    head = f"{row.version} {_where(row)} but its stack {row.stack} is {row.stack_status} (deleted by hand?)"
    if row.role == "previous":
        return head + f": a rollback to it is refused. The next cutover of {app} stops recording it"
    return (head + f": its service is gone and {_serving(row.healthy)}. "
            + restore_hint(namespace, app, rows))


def unowned_warning(namespace: str, app: str, group: UnownedTargetGroup, rows: list[VersionStatus]) -> str:
    """Say which target group the live rule forwards to that no version stack owns, and what to do."""
    name = f"target group {target_group_name(group.target_group_arn)} ({group.target_group_arn})"
    if group.weight == 0:
        return (f"the live rule records {name} as the previous live version, but no version stack owns it (its "
                f"stack was deleted): a rollback is refused. The next cutover of {app} stops recording it")
    serving = ("the target group no longer exists, so the app answers 503 for that traffic" if group.healthy is None
               else _serving(group.healthy))
    return (f"the live rule forwards {group.traffic_percent}% of the traffic to {name}, which no version stack "
            f"owns (its stack was deleted, by hand?): {serving}. " + restore_hint(namespace, app, rows))


def unprotected_warning(namespace: str, app: str, row: VersionStatus, rows: list[VersionStatus], *,
                        rerun_repairs: bool) -> str:
    """Say that a version the live rule reaches has no termination protection, and how to switch it on."""
    harm = ("rollback to it would fail" if row.role == "previous" else
            "the app would answer 503 for that traffic")
    text = (f"{row.version} {_where(row)} but its stack {row.stack} has no termination protection: deleting the "
            f"stack by hand would delete its service first and {harm}. Switch it on: `aws cloudformation "
            f"update-termination-protection --enable-termination-protection --stack-name {row.stack}`")
    live = next((r.version for r in rows if r.role == "live"), None)
    if rerun_repairs and live:
        text += (f", or re-run `stacker-ecs cutover {app} {live} --namespace {namespace}` (it moves no traffic and "
                 "finishes the protection an interrupted run left undone)")
    return text


def idle_protected_warning(namespace: str, app: str, row: VersionStatus, *, ours: bool) -> str:
    """Say that an idle version is protected, so cleanup keeps it, and how to release it."""
    text = (f"{row.version} takes no traffic but its stack {row.stack} has termination protection on: cleanup "
            "keeps it. If it is no longer needed: `aws cloudformation update-termination-protection "
            f"--no-enable-termination-protection --stack-name {row.stack}`")
    if ours:
        text += (f" (this suite protected it and an interrupted run left it so: the next cutover or rollback of {app} "
                 f"in {namespace} switches it off)")
    return text


def app_warnings(namespace: str, app: str, rows: list[VersionStatus], unowned: list[UnownedTargetGroup], *,
                 split: bool, recorded: dict[str, Any] | None) -> list[str]:
    """Return every warning about ``app``: stacks gone under traffic first, then protection (pure).

    ``recorded``: the app's record of the versions this suite protected (:data:`.protection.PROTECTED`);
    a re-run of the live version's cutover repairs protection only while that record is pending or
    lacks the version (a record that says done costs the re-run no call).
    """
    pending = recorded is None or bool(recorded.get("pending"))
    ours = set((recorded or {}).get("versions", []))
    warnings = [gone_warning(namespace, app, r, rows) for r in rows if r.role in REACHED and _gone(r)]
    warnings += [unowned_warning(namespace, app, g, rows) for g in unowned]
    warnings += [unprotected_warning(namespace, app, r, rows, rerun_repairs=not split and (pending or r.version
                                                                                          not in ours))
                 for r in rows if r.role in REACHED and not _gone(r) and not r.protected]
    warnings += [idle_protected_warning(namespace, app, r, ours=r.version in ours)
                 for r in rows if r.role == "" and r.protected and not _gone(r)]
    return warnings


def summary_warnings(namespace: str, app: str, protected: dict[str, bool], unowned: dict[str, int]) -> list[str]:
    """Return the warnings of one app's line of ``status --all``; ``status <app>`` gives the details (pure).

    ``protected``: version -> protection on, for the versions the live rule reaches; ``unowned``: the
    version (or target group ARN) -> traffic percent of what it reaches without a usable stack.
    """
    more = f"`stacker-ecs status {app} --namespace {namespace}` says"
    warnings = [f"{app}: the live rule forwards {percent}% of the traffic to "
                f"{'target group ' + target_group_name(what) if ':targetgroup/' in what else what}, which no version "
                f"stack owns (deleted by hand?); {more} what to do" for what, percent in sorted(unowned.items())]
    warnings += [f"{app}: {version} is reached by the live rule but its stack has no termination protection; "
                 f"{more} how to switch it on" for version, on in sorted(protected.items()) if not on]
    return warnings


def _serving(healthy: int | None) -> str:
    """Say what the traffic to a target group without a service gets (pure)."""
    if not healthy:
        return "its target group has no healthy target, so the app answers 503 for that traffic"
    return (f"its {healthy} healthy targets stop with their tasks (no service replaces them), then the app answers "
            "503 for that traffic")
