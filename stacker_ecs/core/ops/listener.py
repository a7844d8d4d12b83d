"""Read the live state of an app in a constant number of AWS calls.

The application listener is the registry: its *live rule* (priority 50000, path ``/*``, created
and written only by the hooks, never by CloudFormation) forwards to the live version's target
group (a weight-0 entry beside it records the previous live version), and every version has one
host-header rule ``<version>.<app>.<domain>`` forwarding to its own target group. The listener's
default action is the template's constant 503 "no live version", so no stack update can move
live traffic. Two calls, ``DescribeStacks`` of the application stack and ``DescribeRules`` of its
listener, answer "what is live, what was live, which versions exist, which priorities are taken".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.errors import AwsStateError


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

    def version_of(self, target_group_arn: str) -> str | None:
        """Return the version whose rule forwards to ``target_group_arn``."""
        for rule in self.rules.values():
            if rule.target_group_arn == target_group_arn:
                return rule.version
        return None

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
