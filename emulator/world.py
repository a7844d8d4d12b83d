"""Deploy an example world straight through CloudFormation (no stacker): for tests and the benchmark.

The templates are the suite's own builders; the stack names come from :mod:`stacker_ecs.core.naming`
and the outputs are read by :mod:`stacker_ecs.core.contract`'s keys, so every lookup and hook finds
them exactly as it finds stacks stacker deployed. Rule priorities are picked here (the next free
one), not by the product's lookup: the world stands in for a deployment, it does not test one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from emulator.seed import World, seed
from stacker_ecs.core import contract, naming
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.application import ApplicationSpec, build_application
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster
from stacker_ecs.core.templates.version import VersionSpec, render_version

NAMESPACE = "ecs-dev"
EXAMPLE_AMI = "ami-0123456789abcdef0"  # the group starts with no instances, so moto never looks it up
TASK = {"containerDefinitions": [{"name": "web", "image": "nginx:1", "memory": 256,
                                  "portMappings": [{"containerPort": 80}]}]}


def create_stack(session: boto3.Session, name: str, body: str, **kwargs: Any) -> dict[str, str]:
    """Create a stack and return its outputs."""
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"], **kwargs)
    return contract.outputs_of(cfn.describe_stacks(StackName=name)["Stacks"][0])


def next_free_priority(session: boto3.Session, listener_arn: str) -> int:
    """Return one more than the highest version rule priority on the listener (the live rule is not one)."""
    pages = session.client("elbv2").get_paginator("describe_rules").paginate(ListenerArn=listener_arn)
    taken = [int(r["Priority"]) for page in pages for r in page["Rules"]
             if not r.get("IsDefault") and int(r["Priority"]) != naming.LIVE_RULE_PRIORITY]
    return max(taken, default=0) + 1


@dataclass
class ExampleWorld:
    """A seeded account with a cluster; apps and versions are added on demand."""

    session: boto3.Session
    namespace: str = NAMESPACE
    seeded: World | None = None
    cluster: dict[str, str] = field(default_factory=dict)
    apps: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def create(cls, session: boto3.Session, namespace: str = NAMESPACE) -> ExampleWorld:
        """Seed the account and deploy the cluster stack."""
        world = cls(session=session, namespace=namespace, seeded=seed(session, ami_parameter=False))
        spec = parse(ClusterSpec, {"Environment": "dev", "VpcId": world.seeded.vpc_id, "ImageId": EXAMPLE_AMI,
                                   "Subnets": world.seeded.private_subnets}, where="cluster")
        world.cluster = create_stack(session, naming.cluster_stack(namespace), build_cluster(spec).to_json(),
                                     Tags=world.stack_tags())
        return world

    def stack_tags(self) -> list[dict[str, str]]:
        """Return the tag stacker puts on every stack of a config without ``tags`` of its own."""
        return [{"Key": "stacker_namespace", "Value": self.namespace}]

    def add_app(self, app: str = "web", **variables: Any) -> dict[str, str]:
        """Deploy an application stack (the Application blueprint's ``variables`` over the world's) and return
        its outputs."""
        assert self.seeded is not None  # noqa: S101 - set by create()
        spec = parse(ApplicationSpec, {
            "App": app, "Environment": "dev", "ClusterName": self.cluster[contract.CLUSTER_NAME],
            "VpcId": self.seeded.vpc_id, "Subnets": self.seeded.public_subnets,
            "SharedLoadBalancerSecurityGroupId": self.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID],
            "CertificateArn": self.seeded.certificate_arn, "Domain": self.seeded.domain, **variables}, where=app)
        self.apps[app] = create_stack(self.session, naming.application_stack(self.namespace, app),
                                      build_application(spec).to_json(), Tags=self.stack_tags())
        return self.apps[app]

    def add_version(self, version: str, app: str = "web", desired_count: int = 1, priority: int | None = None,
                    **variables: Any) -> dict[str, str]:
        """Deploy a version stack (by default at the next free rule priority) and return its outputs."""
        outputs = self.apps[app]
        if priority is None:
            priority = next_free_priority(self.session, outputs[contract.LISTENER_ARN])
        spec = parse(VersionSpec, {
            "App": app, "Version": version, "Environment": "dev", "ClusterName": self.cluster[contract.CLUSTER_NAME],
            "VpcId": self.cluster[contract.VPC_ID], "LogGroupName": self.cluster[contract.LOG_GROUP_NAME],
            "ListenerArn": outputs[contract.LISTENER_ARN], "Domain": outputs[contract.DOMAIN], "RulePriority": priority,
            "DesiredCount": desired_count, "TaskDefinition": TASK, **variables}, where=version)
        template = render_version(spec, where=version)
        tags = self.stack_tags() + [{"Key": k, "Value": v} for k, v in contract.version_stack_tags(app).items()]
        return create_stack(self.session, naming.version_stack(self.namespace, app, version), template.to_json(),
                            Tags=tags)

    def add_filler_stacks(self, count: int, prefix: str = "other") -> None:
        """Add ``count`` small unrelated stacks, as a busy account has."""
        body = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
        for index in range(count):
            create_stack(self.session, f"{prefix}-{index}", body)
