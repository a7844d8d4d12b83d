"""What ``diagnose``'s reads say: findings with their fixes, ranked, and the checklist as text (pure)."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from stacker_ecs.core import naming
from stacker_ecs.core.ops.health import is_failure

if typing.TYPE_CHECKING:
    from stacker_ecs.core.ops.diagnose import Diagnosis, _Look

SEVERITY = {"cause": 0, "warning": 1, "info": 2, "note": 3}
RECREATE = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED")
"""A stack that failed to create: it can only be deleted (stacker's --recreate-failed does that before a deploy)."""


@dataclass(frozen=True)
class Finding:
    """One thing found: how bad, where (the checklist place), what, and how to fix it."""

    severity: str
    """``cause`` (why it fails), ``warning``, ``info`` or ``note`` (a read AWS refused)."""
    place: str
    summary: str
    fix: str


def rank(findings: list[Finding]) -> list[Finding]:
    """Return the findings, the most likely cause first (stable within a severity)."""
    return sorted(findings, key=lambda f: SEVERITY.get(f.severity, 9))


def find_all(look: _Look) -> list[Finding]:
    """Return every finding of the reads, in the checklist's order (the first cause comes first)."""
    found = _stacks(look) + _deployments(look) + _stopped(look) + _pending(look) + _targets(look)
    if not any(f.severity == "cause" for f in found):
        found += _quiet(look)
    return found


def _stacks(look: _Look) -> list[Finding]:
    found = []
    if look.version and look.stack is None:
        found.append(Finding("cause", "cloudformation", f"{look.app}/{look.version} has no version stack",
                             f"deploy it (stacker build -e app={look.app} -e version={look.version} -e deploy=true "
                             "--targets pipeline ...), or check the version's spelling"))
    for name, events in look.events.items():
        stack = look.stack if look.stack and look.stack["StackName"] == name else look.app_stack
        failed = [e for e in events if e.get("ResourceStatusReason") and e.get("LogicalResourceId") != name]
        first = failed[-1] if failed else (events[-1] if events else {})
        reason = first.get("ResourceStatusReason") or stack.get("StackStatusReason") or "no reason given"
        resource = first.get("LogicalResourceId", name)
        what = (f"{look.app}/{look.version}" if stack is look.stack
                else f"{look.app}'s application stack (the platform's plain build)")
        found.append(Finding("cause", "cloudformation",
                             f"stack {name} is {stack['StackStatus']}: {resource} failed: {reason}",
                             _stack_fix(stack["StackStatus"], name, what)))
    return found


def _stack_fix(status: str, name: str, what: str) -> str:
    """Return how to get past a stack in ``status``: a failed create, update or delete each has its own way."""
    if status in RECREATE:
        return (f"fix what the reason names, then deploy {what} again: stacker needs --recreate-failed to delete "
                "the failed stack and create it anew (Runway CFNgin in CI and sceptre launch do so themselves)")
    if status == "UPDATE_ROLLBACK_FAILED":
        return (f"fix what the reason names, then `aws cloudformation continue-update-rollback --stack-name {name}` "
                f"and deploy {what} again")
    if status.startswith("UPDATE"):
        return f"the stack is back on its previous template: fix what the reason names and deploy {what} again"
    if status.startswith("DELETE"):
        return (f"fix what the reason names (a resource still in use or protected), then delete {name} again; "
                "CloudFormation's delete may retain the resources that failed")
    return f"fix what the reason names and deploy {what} again"


def _deployments(look: _Look) -> list[Finding]:
    for deployment in (look.service or {}).get("deployments", []):
        if deployment.get("rolloutState") == "FAILED":
            return [Finding("cause", "ecs", "ECS failed the deployment (circuit breaker): "
                            f"{deployment.get('rolloutStateReason') or 'no reason given'}",
                            "fix the cause in the stopped tasks below and deploy a new version")]
    return []


def _stopped(look: _Look) -> list[Finding]:
    failed = [t for t in look.tasks if t.get("lastStatus") == "STOPPED" and is_failure(t)]
    if not failed:
        return []
    task = failed[0]
    reason = task.get("stoppedReason") or ""
    exits = [(c.get("name"), c.get("exitCode"), c.get("reason")) for c in task.get("containers", [])]
    if "CannotPullContainerError" in reason:
        image = _image(look)
        return [Finding("cause", "ecs", f"{len(failed)} tasks stopped: the image cannot be pulled: {reason}",
                        f"push {image} to its registry, or fix the image in the app's ecs.json, then deploy again "
                        "(a re-run of verify starts the tasks once the image exists)")]
    code = next((e for e in exits if e[1] not in (None, 0)), None)
    last = _last_line(look)
    if code is not None:
        shown = f"; its last log line: {last!r}" if last else ""
        return [Finding("cause", "ecs", f"{len(failed)} tasks stopped: container {code[0]} exited {code[1]} "
                        f"({reason}){shown}",
                        "fix the app's start-up error its logs show, and deploy a new version")]
    return [Finding("cause", "ecs", f"{len(failed)} tasks stopped: {reason} (stop code {task.get('stopCode', '-')})",
                    "fix the cause the reason names, and deploy a new version")]


def _pending(look: _Look) -> list[Finding]:
    service = look.service or {}
    pending = [t for t in look.tasks if t.get("lastStatus") in ("PROVISIONING", "PENDING")]
    placement = [e["message"] for e in service.get("events", [])[:10]
                 if "unable to place a task" in e.get("message", "")]
    if not pending and not placement:
        return []
    free = ", ".join(f"{_free(i, 'MEMORY')} MiB / {_free(i, 'CPU')} CPU units free on "
                     f"{i['containerInstanceArn'].rsplit('/', 1)[-1]}" for i in look.instances) or "no instances"
    need = _task_memory(look.definition)
    why = placement[0] if placement else "no event says why yet"
    return [Finding("cause", "cluster", f"{len(pending)} tasks waiting for capacity: {why} (the task reserves "
                    f"{need} MiB; {free})",
                    "add capacity (raise the capacity provider's Auto Scaling group maximum, or use Fargate), or "
                    "lower the task's memory reservation in ecs.json")]


def _targets(look: _Look) -> list[Finding]:
    unhealthy = [t for t in look.targets if t["TargetHealth"]["State"] == "unhealthy"]
    if not unhealthy:
        return []
    health = unhealthy[0]["TargetHealth"]
    group = look.group
    check = (f"{group.get('HealthCheckProtocol', 'HTTP')} {group.get('HealthCheckPath', '/')} on port "
             f"{group.get('HealthCheckPort', 'traffic-port')} expecting "
             f"{group.get('Matcher', {}).get('HttpCode', '?')}")
    return [Finding("cause", "target group", f"{len(unhealthy)}/{len(look.targets)} targets unhealthy: "
                    f"{health.get('Reason')}: {health.get('Description', '')} (health check {check})",
                    f"set HealthCheckPath (config/apps/{look.app}/version.yaml) to a path the app answers with "
                    "one of those codes, or make the app answer on it; then deploy a new version")]


def _quiet(look: _Look) -> list[Finding]:
    service = look.service
    if look.stack is None or service is None:
        return []
    healthy = sum(1 for t in look.targets if t["TargetHealth"]["State"] == "healthy")
    if not service.get("desiredCount"):
        verify = f"stacker-ecs verify {look.app} {look.version} --namespace {look.namespace} --start-count 1"
        stopped = sum(1 for t in look.tasks if t.get("lastStatus") == "STOPPED")
        if stopped:  # it ran tasks: a failed verify scales its version back to 0, ending what it saw
            return [Finding("info", "ecs", f"{look.app}/{look.version} runs 0 tasks, after {stopped} stopped "
                            "(a failed verify scales its version back to 0: the cause is in that verify's message)",
                            f"read the failed verify's message, or start it again and see the cause: {verify}")]
        return [Finding("info", "ecs", f"{look.app}/{look.version} runs 0 tasks (a new version starts at 0)",
                        f"start and check it: {verify}")]
    return [Finding("info", "ecs", f"no fault found: {healthy}/{service.get('desiredCount')} targets healthy, "
                    f"{service.get('runningCount')} tasks running ({look.role or 'not in play'})",
                    "if users still see errors, read the metrics and logs below, and try the URLs by hand")]


def describe_sections(look: _Look) -> dict[str, list[str]]:
    """Return the checklist's places as lines."""
    return {"cloudformation": _cfn_lines(look), "ecs": _ecs_lines(look), "cluster": _cluster_lines(look),
            "target group": _target_lines(look), "logs": _log_lines(look),
            "metrics (last 15 minutes)": _metric_lines(look),
            "try it": _try_lines(look)}


def _cfn_lines(look: _Look) -> list[str]:
    lines = [f"{s['StackName']}: {s['StackStatus']}" for s in (look.stack, look.app_stack) if s]
    for events in look.events.values():
        lines += [f"  {e.get('LogicalResourceId')} {e.get('ResourceStatus')}: {e.get('ResourceStatusReason', '')}"
                  for e in events[:5]]
    return lines


def _ecs_lines(look: _Look) -> list[str]:
    service = look.service
    if service is None:
        return [f"no service {look.service_name}"] if look.version else []
    lines = [f"{look.service_name}: desired {service.get('desiredCount')}, running {service.get('runningCount')}, "
             f"pending {service.get('pendingCount')}"]
    lines += [f"  deployment {d.get('status')}: {d.get('rolloutState', '-')} {d.get('rolloutStateReason', '')}".rstrip()
              for d in service.get("deployments", [])]
    lines += [f"  event: {e.get('message')}" for e in service.get("events", [])[:5]]
    for task in sorted(look.tasks, key=lambda t: t.get("lastStatus") != "STOPPED")[:5]:
        exits = ", ".join(f"{c.get('name')} exit {c.get('exitCode', '-')}" for c in task.get("containers", []))
        lines.append(f"  task {task['taskArn'].rsplit('/', 1)[-1]} {task.get('lastStatus')}: "
                     f"{task.get('stopCode', '')} {task.get('stoppedReason', '')} ({exits})".replace("  (", " ("))
    return lines


def _cluster_lines(look: _Look) -> list[str]:
    cluster = look.cluster
    providers = ", ".join(cluster.get("capacityProviders", [])) or "none"
    lines = [f"{cluster.get('clusterName', look.cluster_name)}: {len(look.instances)} instances, "
             f"capacity providers: {providers}"]
    lines += [f"  {i['containerInstanceArn'].rsplit('/', 1)[-1]} ({i.get('ec2InstanceId')}): "
              f"{_free(i, 'CPU')} CPU units, {_free(i, 'MEMORY')} MiB free" for i in look.instances[:10]]
    return lines


def _target_lines(look: _Look) -> list[str]:
    group = look.group
    if not group:
        return []
    lines = [f"health check {group.get('HealthCheckProtocol')} {group.get('HealthCheckPath')} port "
             f"{group.get('HealthCheckPort')} codes {group.get('Matcher', {}).get('HttpCode')}"]
    lines += [f"  {t['Target']['Id']}:{t['Target'].get('Port')} {t['TargetHealth']['State']} "
              f"{t['TargetHealth'].get('Reason', '')} {t['TargetHealth'].get('Description', '')}".rstrip()
              for t in look.targets] or ["  no targets registered"]
    return lines


def _log_lines(look: _Look) -> list[str]:
    lines = []
    for stream, messages in look.logs.items():
        lines.append(f"{stream}:")
        lines += [f"  {m}" for m in messages]
    return lines or ["no log lines"]


def _metric_lines(look: _Look) -> list[str]:
    lines = []
    for version, values in look.metrics.items():
        shown = ", ".join(f"{k} {_num(v)}" for k, v in values.items())
        lines.append(f"{version}: {shown}")
    return lines


def _try_lines(look: _Look) -> list[str]:
    domain = (look.state.application.domain if look.state else "") or "?"
    lines = [f"preview: https://{naming.version_host(look.app, look.version, domain)}"] if look.version else []
    lines.append(f"live host: https://{naming.app_host(look.app, domain)}")
    return lines


def format_diagnosis(diagnosis: Diagnosis) -> str:
    """Return the findings, then the checklist's places (the ``diagnose`` command's text)."""
    lines = [f"{diagnosis.app}/{diagnosis.version or '-'} ({diagnosis.role or 'not deployed'}): "
             f"{len(diagnosis.findings)} findings, {diagnosis.aws_calls} AWS calls"]
    for index, finding in enumerate(diagnosis.findings, 1):
        lines += [f"{index}. [{finding.severity}] {finding.place}: {finding.summary}", f"   fix: {finding.fix}"]
    for place, body in diagnosis.sections.items():
        if body:
            lines += ["", f"== {place}", *body]
    return "\n".join(lines)


def _free(instance: dict[str, Any], name: str) -> Any:
    return next((x.get("integerValue") for x in instance.get("remainingResources", []) if x["name"] == name), "?")


def _task_memory(definition: dict[str, Any]) -> Any:
    containers = definition.get("containerDefinitions", [])
    total = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    return total or definition.get("memory", "?")


def _image(look: _Look) -> str:
    containers = look.definition.get("containerDefinitions") or [{}]
    return str(containers[0].get("image", "the image"))


def _last_line(look: _Look) -> str:
    return next((messages[-1] for messages in look.logs.values() if messages), "")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
