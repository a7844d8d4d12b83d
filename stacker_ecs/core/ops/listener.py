"""The application listener: read the live state of an app in a constant number of AWS calls, and write it.

The application listener is the registry: its *live rule* (priority 50000, path ``/*``, created
and written only by the hooks, never by CloudFormation) forwards to the live version's target
group (a weight-0 entry beside it records the previous live version), and every version has one
host-header rule ``<version>.<app>.<domain>`` forwarding to its own target group. The listener's
default action is the template's constant 503 "no live version", so no stack update can move
live traffic. Two calls, ``DescribeStacks`` of the application stack and ``DescribeRules`` of its
listener, answer "what is live, what was live, which versions exist, which priorities are taken".

:func:`write_forward` is the one writer of live traffic: cutover, each canary step, rollback and
every restore write the live rule through it, and nothing else does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.errors import AwsCallError, AwsStateError
from stacker_ecs.core.ops.history import note_traffic


@dataclass(frozen=True)
class Application:
    """An app's application stack, as its outputs describe it."""

    namespace: str
    app: str
    stack_name: str
    listener_arn: str
    cluster_name: str
    domain: str


@dataclass(frozen=True)
class VersionRule:
    """One version's host-header rule on the application listener."""

    version: str
    priority: int
    target_group_arn: str
    rule_arn: str


@dataclass(frozen=True)
class ListenerState:
    """What the application listener says: live and previous target groups, and every version rule."""

    application: Application
    forward: dict[str, int]
    """Target group ARN -> weight of the live rule (empty while nothing is live)."""
    rules: dict[str, VersionRule] = field(default_factory=dict)
    """Version -> its rule."""
    priorities: frozenset[int] = frozenset()
    """Every priority taken on the listener (by any rule)."""
    rule_count: int = 0
    """Non-default rules on the listener."""
    live_rule_arn: str | None = None
    """The live rule, once the first cutover has created it."""

    @property
    def versions_by_group(self) -> dict[str, str]:
        """Return target group ARN -> version, for every version rule on the listener."""
        return {rule.target_group_arn: rule.version for rule in self.rules.values()}

    def version_of(self, target_group_arn: str) -> str | None:
        """Return the version whose rule forwards to ``target_group_arn``."""
        return self.versions_by_group.get(target_group_arn)

    @property
    def is_split(self) -> bool:
        """Return whether the live rule splits traffic between target groups (a stepped cutover)."""
        return sum(1 for weight in self.forward.values() if weight > 0) > 1

    def role(self, version: str) -> str:
        """Return ``live``, ``serving`` (part of a split), ``previous`` (weight 0 beside the live one) or ``""``."""
        rule = self.rules.get(version)
        weight = self.forward.get(rule.target_group_arn) if rule else None
        if weight is None:
            return ""
        if weight == 0:
            return "previous"
        return "live" if version == self.live_version else "serving"

    def describe_traffic(self) -> str:
        """Return the live rule's traffic by version, e.g. ``"v1 90%, v2 10%"``."""
        return describe_traffic(self.forward, self.versions_by_group)

    @property
    def live_target_group(self) -> str | None:
        """Return the target group with the highest weight in the live rule."""
        weighted = [(w, arn) for arn, w in self.forward.items() if w > 0]
        return max(weighted)[1] if weighted else None

    @property
    def live_version(self) -> str | None:
        """Return the live version, or None while the live rule forwards nowhere we know (or is absent)."""
        target = self.live_target_group
        return self.version_of(target) if target else None

    @property
    def previous_version(self) -> str | None:
        """Return the version recorded (at weight 0) as live before the current one."""
        for arn, weight in self.forward.items():
            if weight == 0:
                return self.version_of(arn)
        return None


def describe_application(aws: AwsContext, namespace: str, app: str) -> Application:
    """Return the application stack's outputs (one ``DescribeStacks`` call)."""
    stack_name = naming.application_stack(namespace, app)
    stack = describe_stack(aws, stack_name)
    if stack is None:
        raise AwsStateError(
            f"no application stack {stack_name!r}; check the app name and namespace, or deploy the "
            "application stack first", app=app)
    return application_of(stack, namespace, app)


def application_of(stack: dict[str, Any], namespace: str, app: str) -> Application:
    """Return the outputs of an application stack already read (``DescribeStacks``); refuse one without them."""
    stack_name = naming.application_stack(namespace, app)
    outputs = contract.outputs_of(stack)
    missing = [k for k in contract.APPLICATION_OUTPUTS_READ if k not in outputs]
    if missing:
        raise AwsStateError(
            f"application stack {stack_name!r} ({stack['StackStatus']}) has no output {', '.join(missing)}; "
            "re-deploy it with the stacker_ecs Application blueprint", app=app)
    return Application(namespace=namespace, app=app, stack_name=stack_name,
                       listener_arn=outputs[contract.LISTENER_ARN], cluster_name=outputs[contract.CLUSTER_NAME],
                       domain=outputs[contract.DOMAIN])


def describe_listener(aws: AwsContext, application: Application) -> ListenerState:
    """Return the listener's live/previous target groups and version rules (one ``DescribeRules`` page)."""
    elbv2 = aws.client("elbv2")
    rules: list[dict[str, Any]] = []
    with aws_call("DescribeRules", application.listener_arn):
        for page in elbv2.get_paginator("describe_rules").paginate(
                ListenerArn=application.listener_arn, PaginationConfig={"PageSize": 400}):
            rules.extend(page["Rules"])
    return listener_state(application, rules)


def listener_state(application: Application, rules: list[dict[str, Any]]) -> ListenerState:
    """Return the :class:`ListenerState` that ``DescribeRules`` output describes (pure)."""
    forward: dict[str, int] = {}
    live_rule_arn: str | None = None
    versions: dict[str, VersionRule] = {}
    priorities: set[int] = set()
    for rule in rules:
        if rule.get("IsDefault"):
            continue
        priorities.add(int(rule["Priority"]))
        if int(rule["Priority"]) == naming.LIVE_RULE_PRIORITY:
            forward, live_rule_arn = forward_weights(rule.get("Actions", [])), rule["RuleArn"]
            continue
        version = _rule_version(application.app, rule)
        target = forward_weights(rule.get("Actions", []))
        if version and len(target) == 1:
            versions[version] = VersionRule(version=version, priority=int(rule["Priority"]),
                                            target_group_arn=next(iter(target)), rule_arn=rule["RuleArn"])
    return ListenerState(application=application, forward=forward, rules=versions,
                         priorities=frozenset(priorities), rule_count=len(priorities), live_rule_arn=live_rule_arn)


def read_live_weights(aws: AwsContext, listener_arn: str) -> dict[str, int]:
    """Return the live rule's target group ARN -> weight, read now (one ``DescribeRules`` call)."""
    with aws_call("DescribeRules", listener_arn):
        rules = aws.client("elbv2").describe_rules(ListenerArn=listener_arn, PageSize=400)["Rules"]
    live = [r for r in rules if not r.get("IsDefault") and int(r["Priority"]) == naming.LIVE_RULE_PRIORITY]
    return forward_weights(live[0].get("Actions", [])) if live else {}


def forward_weights(actions: list[dict[str, Any]]) -> dict[str, int]:
    """Return target group ARN -> weight of a forward action (empty for fixed responses)."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
        if action.get("TargetGroupArn"):
            return {action["TargetGroupArn"]: 1}
    return {}


def _rule_version(app: str, rule: dict[str, Any]) -> str | None:
    for condition in rule.get("Conditions", []):
        if condition.get("Field") != "host-header":
            continue
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or []
        for host in values:
            version = naming.version_from_host(app, host)
            if version:
                return version
    return None


def read_listener(aws: AwsContext, namespace: str, app: str) -> ListenerState:
    """Return the app's listener state in two calls."""
    return describe_listener(aws, describe_application(aws, namespace, app))


def shares(weights: dict[str, int], versions: dict[str, str]) -> dict[str, int]:
    """Return version (or target group ARN) -> percent of traffic for every target group carrying some (pure)."""
    total = sum(w for w in weights.values() if w > 0)
    if not total:
        return {}
    return {versions.get(arn, arn): round(100 * w / total) for arn, w in weights.items() if w > 0}


def describe_traffic(weights: dict[str, int], versions: dict[str, str]) -> str:
    """Return ``"v1 90%, v2 10%"`` (or ``"nothing"``)."""
    parts = sorted(shares(weights, versions).items(), key=lambda item: -item[1])
    return ", ".join(f"{v} {p}%" for v, p in parts) or "nothing"


def write_forward(aws: AwsContext, state: ListenerState, weights: dict[str, int]) -> None:
    """Set the app's live rule to forward by ``weights`` (target group ARN -> weight), creating it the first time.

    The one writer of live traffic. The live rule belongs to the hooks, not to CloudFormation, so no
    stack update reverts it (the listener's default action stays the template's constant 503). One
    call; two more when another writer created the rule since ``state`` was read.
    """
    actions = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}]
    elbv2 = aws.client("elbv2")
    rule_arn = state.live_rule_arn
    if rule_arn is None:
        try:
            with aws_call("CreateRule", state.application.app):
                elbv2.create_rule(
                    ListenerArn=state.application.listener_arn, Priority=naming.LIVE_RULE_PRIORITY,
                    Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [naming.LIVE_RULE_PATH]}}],
                    Actions=actions)
            note_traffic(shares(state.forward, state.versions_by_group), shares(weights, state.versions_by_group))
            return
        except AwsCallError as exc:
            if exc.code != "PriorityInUse":
                raise
        rule_arn = describe_listener(aws, state.application).live_rule_arn
    with aws_call("ModifyRule", state.application.app):
        elbv2.modify_rule(RuleArn=rule_arn, Actions=actions)
    note_traffic(shares(state.forward, state.versions_by_group), shares(weights, state.versions_by_group))


def set_live(aws: AwsContext, state: ListenerState, target_group_arn: str, *, previous: str | None = None) -> None:
    """Forward all traffic to ``target_group_arn``, keeping the current (or ``previous``) live group at weight 0."""
    weights = {target_group_arn: 1}
    previous = previous or state.live_target_group
    if previous and previous != target_group_arn and state.version_of(previous):
        weights[previous] = 0
    write_forward(aws, state, weights)
