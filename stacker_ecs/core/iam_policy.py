"""The least-privilege IAM policies of the two principals that run builds (``stacker-ecs iam-policy``).

- **platform**: the platform's CD, the plain build: the cluster stack and every app's application
  stack, and what CloudFormation creates for them.
- **pipeline**: an app's pipeline, ``--targets pipeline`` builds and ``stacker-ecs`` commands: that
  app's version stacks (deploy, cleanup, teardown), its live rule, its services, the coordination
  table, alarm, metric and tag reads, its dashboard and events, pass-role of its versions' roles.

Every statement is a :class:`Grant` saying why it is needed (``docs/iam.md`` lists them).
Resources are ARN patterns built from :mod:`stacker_ecs.core.naming`. What CloudFormation creates
with the caller's credentials is allowed only through CloudFormation (``aws:CalledVia``), with the
actions AWS publishes for each resource type's handlers (:mod:`stacker_ecs.core.iam_handlers`);
IAM roles only under the names CloudFormation gives our stacks' roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import field_validator

from stacker_ecs.core import naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Args
from stacker_ecs.core.validation import check_name

PRINCIPALS = ("platform", "pipeline")
CLOUDFORMATION = "cloudformation.amazonaws.com"
VIA_CLOUDFORMATION = {"ForAnyValue:StringEquals": {"aws:CalledVia": [CLOUDFORMATION]}}
STACK_TYPES: dict[str, tuple[str, ...]] = {
    "cluster": ("AWS::AutoScaling::AutoScalingGroup", "AWS::DynamoDB::Table", "AWS::EC2::LaunchTemplate",
                "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::ECS::CapacityProvider",
                "AWS::ECS::Cluster",
                "AWS::ECS::ClusterCapacityProviderAssociations", "AWS::IAM::InstanceProfile", "AWS::IAM::Role",
                "AWS::Logs::LogGroup"),
    "application": ("AWS::CertificateManager::Certificate", "AWS::EC2::SecurityGroup",
                    "AWS::EC2::SecurityGroupIngress", "AWS::ElasticLoadBalancingV2::Listener",
                    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::Route53::RecordSet"),
    "version": ("AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
                "AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::ElasticLoadBalancingV2::ListenerRule",
                "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::IAM::Role"),
}
"""Stack kind -> every resource type its template can hold, or its stacks made by earlier releases hold
(:data:`FORMER_TYPES`; ``tests/core/test_iam_policy.py`` checks it)."""
FORMER_TYPES: dict[str, tuple[str, ...]] = {"application": ("AWS::EC2::SecurityGroupIngress",)}
"""Types a kind's template no longer holds that its stacks made before may: their update or teardown deletes them
(an application stack's own rule on the container group, before the cluster's shared load balancer group)."""
SCOPED_APART = ("iam:PassRole", "iam:CreateServiceLinkedRole")
"""Handler actions granted in their own statements, with the conditions that narrow them."""
STACK_WRITES = ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
                "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet",
                "cloudformation:UpdateTerminationProtection")
ELB = "arn:aws:elasticloadbalancing:*:*:"
PREFLIGHT_READS = ("acm:DescribeCertificate", "cloudformation:ListExports", "ec2:DescribeSecurityGroupRules",
                   "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "elasticloadbalancing:DescribeAccountLimits",
                   "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeRules",
                   "servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota")


class IamPolicyArgs(Args):
    """``stacker-ecs iam-policy``: the IAM policy document of a principal that runs builds."""

    principal: Literal["platform", "pipeline"]
    """platform: the platform's CD (plain build); pipeline: an app's pipeline (--targets pipeline, stacker-ecs)."""
    namespace: str
    """The environment's namespace, as in its stack names."""
    app: str | None = None
    """pipeline only: narrow the policy to this app's stacks, rules, services and roles (default: every app)."""

    engine: Literal["stacker", "cfngin", "sceptre"] = "stacker"
    """Default: stacker; the engine that runs the builds (stacker, cfngin or sceptre): with sceptre a pipeline's
    launch also launches (updates) the cluster and application stacks its version depends on."""

    _app = field_validator("app")(lambda v: v if v is None else check_name("app", v))

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not naming.NAME_RE.match(value.lower()) or naming.FORBIDDEN in value or value.endswith("-"):
            raise ValueError(f"{value!r} is not a stack-name prefix: use letters, digits and single '-', "
                             "starting with a letter")
        return value


@dataclass(frozen=True)
class Grant:
    """One policy statement and why the principal needs it."""

    sid: str
    why: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    condition: dict[str, Any] | None = None
    effect: str = "Allow"

    def statement(self) -> dict[str, Any]:
        """Return the IAM statement."""
        statement: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect, "Action": sorted(set(self.actions)),
                                     "Resource": list(self.resources)}
        if self.condition:
            statement["Condition"] = self.condition
        return statement


def stack_arn(name: str) -> str:
    """Return the ARN pattern of the stacks named ``name`` (a pattern itself) in any region."""
    return f"arn:aws:cloudformation:*:*:stack/{name}/*"


def role_arn(name: str) -> str:
    """Return the ARN pattern of the IAM roles whose names match ``name``."""
    return f"arn:aws:iam::*:role/{name}"


def handler_actions(kind: str, verbs: tuple[str, ...] = ("create", "read", "update", "delete")) -> dict[str, set[str]]:
    """Return IAM prefix -> the handler actions CloudFormation calls for ``kind``'s resource types."""
    from stacker_ecs.core.iam_handlers import HANDLERS

    found: dict[str, set[str]] = {}
    for resource_type in STACK_TYPES[kind]:
        for verb in verbs:
            for action in HANDLERS[resource_type][verb]:
                if action not in SCOPED_APART:
                    found.setdefault(action.split(":")[0], set()).add(action)
    return found


def app_items(app: str) -> tuple[str, ...]:
    """Return the patterns of the coordination table's partition keys of ``app``: its item and its history."""
    return (f"app/{app}", f"history/{app}", f"history/{app}/*")


def _created(sid: str, what: str, kinds: dict[str, tuple[str, ...]], roles: tuple[str, ...]) -> list[Grant]:
    """Return the grants of what CloudFormation creates for ``kinds`` (kind -> handler verbs)."""
    by_prefix: dict[str, set[str]] = {}
    for kind, verbs in kinds.items():
        for prefix, actions in handler_actions(kind, verbs).items():
            by_prefix.setdefault(prefix, set()).update(actions)
    iam = by_prefix.pop("iam", set())
    grants = [Grant(sid, f"{what}: CloudFormation creates, updates and deletes them with these credentials "
                         "(the actions AWS publishes for each resource type's handlers), only through CloudFormation",
                    tuple(a for actions in by_prefix.values() for a in actions), condition=VIA_CLOUDFORMATION)]
    if iam:
        grants.append(Grant(f"{sid}Roles", "the IAM roles (and instance profiles) these stacks hold, only under the "
                                          "names CloudFormation gives them (the stack's name first), only through "
                                          "CloudFormation", tuple(iam), roles, condition=VIA_CLOUDFORMATION))
    return grants


def platform_grants(namespace: str) -> list[Grant]:
    """Return the platform CD's grants: cluster and application stacks, and what they create."""
    cluster = naming.cluster_stack(namespace)
    apps = f"{naming.application_stack(namespace, '*')}"
    return [
        Grant("PlatformStacks", "the plain build creates and updates the cluster stack and every app's application "
              "stack, and reads them back (Sceptre follows a launch by its stack events)",
              ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DescribeStacks",
               "cloudformation:DescribeStackEvents"),
              (stack_arn(cluster), stack_arn(apps))),
        Grant("NoVersionStacks", "the plain build never creates, updates or deletes a version: version stacks "
              "(their names match the application stacks' pattern too) are the pipelines'",
              STACK_WRITES, (stack_arn(naming.version_stack(namespace, "*", "*")),), effect="Deny"),
        *_created("PlatformResources", "the cluster and application stacks' resources: ECS cluster, capacity, "
                  "container security group, log group, coordination table, load balancer, listeners, "
                  "certificates, DNS records",
                  {"cluster": ("create", "read", "update", "delete"),
                   "application": ("create", "read", "update", "delete")},
                  (role_arn(f"{cluster}-*"), f"arn:aws:iam::*:instance-profile/{cluster}-*")),
        Grant("PassInstanceRole", "EC2 capacity: the launch template and Auto Scaling group pass the cluster's "
              "instance role to EC2", ("iam:PassRole",), (role_arn(f"{cluster}-*"),),
              {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        Grant("PlatformServiceLinkedRoles", "ECS, EC2 Auto Scaling and Elastic Load Balancing create their "
              "service-linked roles on first use in an account", ("iam:CreateServiceLinkedRole",),
              ("arn:aws:iam::*:role/aws-service-role/*",),
              {"StringEquals": {"iam:AWSServiceName": ["ecs.amazonaws.com", "autoscaling.amazonaws.com",
                                                       "elasticloadbalancing.amazonaws.com"]}}),
        Grant("DestroyCheckServices", "an engine's destroy of the cluster stack is refused while a service of "
              "the cluster runs, naming it: the check lists the cluster's services (ListServices has no "
              "resource-level permission) and reads them", ("ecs:ListServices",)),
        Grant("DestroyCheckServiceReads", "the destroy check reads the cluster's services by name",
              ("ecs:DescribeServices",), (f"arn:aws:ecs:*:*:service/{cluster}-*/*",)),
        Grant("PreflightReads", "the pre-build check reads certificates, subnets' zones, load balancers, rules, "
              "security groups and their rules, quotas and exports before any change (reads without resource-level "
              "permissions in AWS)", PREFLIGHT_READS),
    ]


def pipeline_grants(namespace: str, app: str | None, engine: str = "stacker") -> list[Grant]:
    """Return an app pipeline's grants (``app`` None: every app of the namespace)."""
    name = app or "*"
    cluster = naming.cluster_stack(namespace)
    versions = naming.version_stack(namespace, name, "*")
    version_roles = role_arn(f"{versions}")
    log_group = f"arn:aws:logs:*:*:log-group:/ecs/{cluster}"
    grants = [
        Grant("VersionStacks", "deploy creates the version stack; cleanup and teardown delete version stacks; "
              "cutover and rollback switch termination protection of the versions that take traffic",
              ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
               "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
               "cloudformation:UpdateTerminationProtection"), (stack_arn(versions),)),
        Grant("EnvironmentStacks", "the build reads the cluster's and the app's application stack's outputs",
              ("cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks"),
              (stack_arn(cluster), stack_arn(naming.application_stack(namespace, name)))),
        Grant("AppTeardown", "teardown deletes the app's application stack, after its versions",
              ("cloudformation:DeleteStack",), (stack_arn(naming.application_stack(namespace, name)),)),
        *_created("VersionResources", "the version stacks' resources: task definition, roles, ECS service, "
                  "target group, host rules, autoscaling; and the application stack's, for teardown to delete",
                  {"version": ("create", "read", "update", "delete"), "application": ("read", "delete")},
                  (version_roles,)),
        Grant("PassVersionRoles", "the task definition passes the version's task and execution roles to ECS tasks",
              ("iam:PassRole",), (version_roles,),
              {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        Grant("AutoscalingServiceLinkedRole", "Application Auto Scaling creates its ECS service-linked role on "
              "first use in an account", ("iam:CreateServiceLinkedRole",), ("arn:aws:iam::*:role/aws-service-role/*",),
              {"StringEquals": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}}),
        Grant("CoordinationTable", "leases, the canary plan, the live record and the app's history live in the "
              "environment's coordination table; with an app, only that app's items", (
                  "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                  "dynamodb:UpdateItem"), (f"arn:aws:dynamodb:*:*:table/{naming.coordination_table(namespace)}",),
              {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(app_items(app))}} if app else None),
        Grant("LiveRule", "cutover, rollback and a canary write the app's live rule (no template holds it); "
              "teardown deletes it. Load balancer names are CloudFormation's, so the pattern names ALB rules only",
              ("elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyRule"),
              tuple(f"{ELB}{kind}/*" for kind in ("listener/app", "listener-rule/app", "targetgroup"))),
        Grant("Services", "verify scales a new version to the live count; a failed verify scales it back to 0",
              ("ecs:DescribeServices", "ecs:UpdateService"),
              (f"arn:aws:ecs:*:*:service/{cluster}-*/{naming.service_name(name, '*')}",)),
        Grant("Autoscaling", "verify raises an autoscaled version's minimum with its count, and lowers it after "
              "a failed verify", ("application-autoscaling:DescribeScalableTargets",
                                  "application-autoscaling:RegisterScalableTarget")),
        Grant("Reads", "verify, status and diagnose read target health, tasks, task definitions, container "
              "instances and alarms (actions without resource-level permissions in AWS)",
              ("cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "ecs:DescribeClusters",
               "ecs:DescribeContainerInstances", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks",
               "ecs:ListContainerInstances", "ecs:ListTasks", "elasticloadbalancing:DescribeTargetGroups",
               "elasticloadbalancing:DescribeTargetHealth", "tag:GetResources", *PREFLIGHT_READS)),
        Grant("Dashboard", "cutover and rollback write the app's dashboard; teardown deletes it",
              ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard"),
              (f"arn:aws:cloudwatch::*:dashboard/{namespace}-{name}",)),
        Grant("Events", "every operation puts its outcome on the default event bus, as source stacker-ecs",
              ("events:PutEvents",), ("arn:aws:events:*:*:event-bus/default",),
              {"StringEquals": {"events:source": "stacker-ecs"}}),
        Grant("Logs", "diagnose reads the version's container logs", ("logs:DescribeLogStreams", "logs:GetLogEvents"),
              (log_group, f"{log_group}:*")),
    ]
    if engine == "sceptre":
        grants.append(Grant(
            "SceptreDependencies", "Sceptre launches the stacks a version depends on (the cluster and the app's "
            "application stack, for their outputs) before it: an update with no changes. One with changes fails, as "
            "the pipeline may not change their resources", ("cloudformation:UpdateStack",),
            (stack_arn(cluster), stack_arn(naming.application_stack(namespace, name)))))
    return grants


def grants(principal: str, namespace: str, app: str | None = None, engine: str = "stacker") -> list[Grant]:
    """Return the principal's grants."""
    if principal == "platform":
        if app:
            raise ConfigError(f"app {app!r}: an app narrows the pipeline's policy only; the platform's CD builds "
                              "every app's application stack, so name no app with --principal platform")
        return platform_grants(namespace)
    return pipeline_grants(namespace, app, engine)


def document(principal: str, namespace: str, app: str | None = None, engine: str = "stacker") -> dict[str, Any]:
    """Return the principal's IAM policy document."""
    return {"Version": "2012-10-17", "Statement": [g.statement() for g in grants(principal, namespace, app, engine)]}


def iam_policy(_aws: object, args: IamPolicyArgs) -> dict[str, Any]:
    """``stacker-ecs iam-policy``: return the policy document (reads nothing from AWS)."""
    return document(args.principal, args.namespace, args.app, args.engine)
