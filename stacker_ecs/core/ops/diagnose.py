"""Why did it fail: the troubleshooting checklist in one command (``stacker-ecs diagnose <app> [<version>]``).

Reads, in the checklist's order, CloudFormation (the version's and the app's stack, failed events),
ECS (the service's deployments and events, stopped and pending tasks with codes, reasons and exit
codes), the cluster (instances' free CPU and memory, capacity providers), the target group (targets'
states and reasons, the health check), the app's logs (last lines per task, stopped first) and the
last 15 minutes of metrics of every version in play; then ranks what it found, the most likely
cause first, each finding with its fix. Reads only. Calls: at most 22 (2 more to pick the version
when none is given, plus one per version stack of the app), whatever else the account holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.errors import UnhealthyVersionError
from stacker_ecs.core.model import Args
from stacker_ecs.core.ops import diagnose_reads as r
from stacker_ecs.core.ops.diagnose_findings import Finding, rank
from stacker_ecs.core.ops.inventory import list_version_stacks
from stacker_ecs.core.ops.listener import Application, ListenerState, describe_listener
from stacker_ecs.core.validation import check_name, check_version


class DiagnoseArgs(Args):
    """Arguments of ``diagnose``."""

    app: str
    """The app to look at."""
    version: str | None = None
    """Default: the newest version that is not live, else the live one."""
    namespace: str
    """The environment's namespace (the config's ``namespace``)."""
    log_lines: int = Field(default=5, ge=1, le=100)
    """Default: 5; the last lines shown of each task's log."""

    _app = field_validator("app")(lambda v: check_name("app", v))
    _version = field_validator("version", mode="before")(lambda v: None if v is None else check_version(str(v)))


@dataclass
class Diagnosis:
    """What ``diagnose`` found: findings (the most likely cause first) and the checklist's sections."""

    app: str
    version: str
    role: str
    findings: list[Finding]
    sections: dict[str, list[str]] = field(default_factory=dict)
    """Checklist place -> its lines (CloudFormation, ECS, cluster, target group, logs, metrics, try it)."""
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    aws_calls: int = 0

    def short(self, count: int = 3) -> list[str]:
        """Return the first findings as one line each (what a failing hook prints)."""
        return [f"{f.summary}; fix: {f.fix}" for f in self.findings[:count]]


def diagnose_command(app: str, version: str, namespace: str) -> str:
    """Return the exact command that explains a failure of ``app``/``version``."""
    return f"stacker-ecs diagnose {app} {version} --namespace {namespace}"


def diagnose(aws: AwsContext, args: DiagnoseArgs) -> Diagnosis:
    """Walk the checklist for one version of an app and return what it found (reads only)."""
    made: list[str] = []
    handler_id = f"stacker-ecs-diagnose-{id(made)}"
    aws.session.events.register("before-call.*.*", lambda event_name, **_: made.append(event_name),
                                unique_id=handler_id)
    try:
        diagnosis = _diagnose(aws, args)
    finally:
        aws.session.events.unregister("before-call.*.*", unique_id=handler_id)
    diagnosis.aws_calls = len(made)
    return diagnosis


def _diagnose(aws: AwsContext, args: DiagnoseArgs) -> Diagnosis:
    reads = r.Reads()
    app, namespace = args.app, args.namespace
    app_stack = r.read_stack(aws, reads, naming.application_stack(namespace, app))
    if app_stack is None:
        return Diagnosis(app=app, version=args.version or "", role="", aws_calls=reads.calls, findings=[Finding(
            "cause", "cloudformation", f"no application stack {naming.application_stack(namespace, app)}",
            "check the app name and --namespace, or deploy the application stack (a plain stacker build)")])
    outputs = contract.outputs_of(app_stack)
    state = _listener(aws, reads, namespace, app, outputs)
    version = args.version or _default_version(aws, reads, namespace, app, state)
    role = state.role(version) if state else "unknown"
    stack = r.read_stack(aws, reads, naming.version_stack(namespace, app, version)) if version else None
    look = _Look(app=app, version=version, role=role, namespace=namespace, app_stack=app_stack, stack=stack,
                 state=state, log_lines=args.log_lines)
    look.read(aws, reads)
    diagnosis = Diagnosis(app=app, version=version, role=role, findings=rank(look.findings()),
                          sections=look.sections(), metrics=look.metrics)
    for note in reads.notes:
        diagnosis.findings.append(Finding("note", "aws", f"a read was refused: {note}",
                                          "grant the read (docs/permissions) to see this place too"))
    diagnosis.aws_calls = reads.calls
    return diagnosis


def _listener(aws: AwsContext, reads: r.Reads, namespace: str, app: str,
              outputs: dict[str, str]) -> ListenerState | None:
    if not all(k in outputs for k in contract.APPLICATION_OUTPUTS_READ):
        return None
    application = Application(namespace=namespace, app=app, stack_name=naming.application_stack(namespace, app),
                              listener_arn=outputs[contract.LISTENER_ARN],
                              cluster_name=outputs[contract.CLUSTER_NAME], domain=outputs[contract.DOMAIN])
    try:
        return describe_listener(aws, application)
    except Exception as exc:
        reads.notes.append(f"DescribeRules: {exc}")
        return None


def _default_version(aws: AwsContext, reads: r.Reads, namespace: str, app: str, state: ListenerState | None) -> str:
    """Return the newest version that is not live, else the live one (1 + one call per version stack)."""
    stacks = sorted(list_version_stacks(aws, namespace, app), key=lambda s: s.created, reverse=True)
    live = state.live_version if state else None
    not_live = [s.version for s in stacks if s.version != live]
    return not_live[0] if not_live else (live or "")


@dataclass
class _Look:
    """The reads of one diagnosis, and what they say."""

    app: str
    version: str
    role: str
    namespace: str
    app_stack: dict[str, Any]
    stack: dict[str, Any] | None
    state: ListenerState | None
    log_lines: int
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    service: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    cluster: dict[str, Any] = field(default_factory=dict)
    instances: list[dict[str, Any]] = field(default_factory=list)
    group: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    definition: dict[str, Any] = field(default_factory=dict)
    logs: dict[str, list[str]] = field(default_factory=dict)
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def cluster_name(self) -> str:
        return contract.outputs_of(self.app_stack).get(contract.CLUSTER_NAME, "")

    @property
    def service_name(self) -> str:
        return naming.service_name(self.app, self.version)

    def read(self, aws: AwsContext, reads: r.Reads) -> None:
        """Read every place of the checklist (bounded: see the module's docstring)."""
        for stack in (self.stack, self.app_stack):
            if stack is not None and ("FAILED" in stack["StackStatus"] or "ROLLBACK" in stack["StackStatus"]):
                self.events[stack["StackName"]] = r.failed_events(aws, reads, stack)
        outputs = contract.outputs_of(self.stack or {})
        in_play = self._in_play(outputs)
        names = list(dict.fromkeys([self.service_name] + [v.service for v in in_play]))
        services = r.read_services(aws, reads, self.cluster_name, names) if self.version else {}
        self.service = services.get(self.service_name)
        if self.service is not None:
            self.tasks = r.read_tasks(aws, reads, self.cluster_name, self.service_name)
            self.definition = r.read_task_definition(aws, reads, self.service["taskDefinition"])
        self.cluster, self.instances = r.read_cluster(aws, reads, self.cluster_name)
        group_arn = outputs.get(contract.TARGET_GROUP_ARN) or self._rule_group()
        if group_arn:
            self.group, self.targets = r.read_target_group(aws, reads, group_arn)
        if self.definition:
            stopped = [t for t in self.tasks if t.get("lastStatus") == "STOPPED"]
            ids = [t["taskArn"].rsplit("/", 1)[-1] for t in stopped]
            self.logs = r.read_logs(aws, reads, self.definition, self.app, self.version, ids, self.log_lines)
        self.metrics = r.read_metrics(aws, reads, in_play, self.cluster_name, r.load_balancer_of(self.app_stack))

    def _rule_group(self) -> str:
        rule = self.state.rules.get(self.version) if self.state else None
        return rule.target_group_arn if rule else ""

    def _in_play(self, outputs: dict[str, str]) -> list[r.InPlay]:
        """Return the versions whose metrics matter: live, previous, split, and this one."""
        found: dict[str, r.InPlay] = {}
        if self.state is not None:
            for version, rule in self.state.rules.items():
                role = self.state.role(version)
                if role in ("live", "previous") or self.state.forward.get(rule.target_group_arn, 0) > 0:
                    found[version] = r.InPlay(version, role, naming.service_name(self.app, version),
                                              rule.target_group_arn)
        group = outputs.get(contract.TARGET_GROUP_ARN) or self._rule_group()
        if self.version and group and self.version not in found:
            found[self.version] = r.InPlay(self.version, self.role, self.service_name, group)
        return list(found.values())[:4]

    def findings(self) -> list[Finding]:
        """Return what the reads say, unranked."""
        from stacker_ecs.core.ops.diagnose_findings import find_all

        return find_all(self)

    def sections(self) -> dict[str, list[str]]:
        """Return the checklist's places, each as lines."""
        from stacker_ecs.core.ops.diagnose_findings import describe_sections

        return describe_sections(self)


def with_diagnosis(aws: AwsContext, exc: UnhealthyVersionError, namespace: str) -> UnhealthyVersionError:
    """Return ``exc`` with the short findings of ``diagnose`` and, last, the exact command to see them all.

    A failure of the diagnosis itself is left out: it never hides the error it explains.
    """
    app, version = exc.app or "", exc.version or ""
    lines = list(exc.details)
    try:
        found = diagnose(aws, DiagnoseArgs(app=app, version=version, namespace=namespace))
        lines += [f"diagnose: {line}" for line in found.short()]
    except Exception as error:
        aws.about(version, app=app).log.warning("diagnose could not run: %s", error)
    lines.append(f"see everything: {diagnose_command(app, version, namespace)}")
    new = type(exc)(app=app, version=version, cause=exc.cause, details=lines)
    new.__cause__ = exc.__cause__
    return new
