"""IAM roles of a version: an execution role scoped to its own logs, images and secrets, and a task role."""

from __future__ import annotations

import re
from typing import Any

from awacs import ecr, kms, logs, secretsmanager, ssm
from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import Sub, iam

from stacker_ecs.core import naming
from stacker_ecs.core.templates.containers import secret_sources
from stacker_ecs.core.templates.version_spec import VersionSpec

ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                       r"(?P<repo>[^:@]+)")


def _assume(service: str) -> PolicyDocument:
    return PolicyDocument(Statement=[Statement(
        Effect=Allow, Action=[AssumeRole], Principal=Principal("Service", service))])


def build_task_role(spec: VersionSpec) -> iam.Role:
    """Return the role the containers run as: no permissions but the given managed policies."""
    return iam.Role(naming.TASK_ROLE, AssumeRolePolicyDocument=_assume("ecs-tasks.amazonaws.com"),
                    ManagedPolicyArns=list(spec.task_role_policy_arns))


def build_execution_role(spec: VersionSpec, containers: list[dict[str, Any]]) -> iam.Role:
    """Return the role ECS uses to start the tasks: write its logs, pull its images, read its secrets."""
    statements = [Statement(
        Effect=Allow,
        Action=[logs.CreateLogStream, logs.PutLogEvents],
        Resource=[Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:*",
                      Group=spec.log_group_name)],
    )]
    repositories = _ecr_repositories(containers)
    if repositories:
        statements += [
            Statement(Effect=Allow, Action=[ecr.GetAuthorizationToken], Resource=["*"]),
            Statement(Effect=Allow, Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer,
                                            ecr.BatchGetImage], Resource=repositories),
        ]
    parameters, secrets = _secret_resources(secret_sources(containers))
    if parameters:
        statements.append(Statement(Effect=Allow, Action=[ssm.GetParameters], Resource=parameters))
    if secrets:
        statements.append(Statement(Effect=Allow, Action=[secretsmanager.GetSecretValue], Resource=secrets))
    if spec.secrets_kms_key_arns and (parameters or secrets):
        # Secrets under a customer-managed key: without this, tasks fail with ResourceInitializationError.
        statements.append(Statement(Effect=Allow, Action=[kms.Decrypt], Resource=list(spec.secrets_kms_key_arns)))
    return iam.Role(
        naming.EXECUTION_ROLE,
        AssumeRolePolicyDocument=_assume("ecs-tasks.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="start-tasks", PolicyDocument=PolicyDocument(Statement=statements))],
    )


def _ecr_repositories(containers: list[dict[str, Any]]) -> list[Any]:
    arns = set()
    for container in containers:
        match = ECR_IMAGE.match(str(container.get("image", "")))
        if match:
            arns.add(f"{match['region']}:{match['account']}:repository/{match['repo']}")
    return [Sub("arn:${AWS::Partition}:ecr:" + arn) for arn in sorted(arns)]


def _secret_resources(sources: list[str]) -> tuple[list[Any], list[Any]]:
    parameters: list[Any] = []
    secrets: list[Any] = []
    for source in sources:
        if ":secretsmanager:" in source:
            # valueFrom may name a JSON key (arn:...:secret:name:key::); the role needs the secret.
            secrets.append(":".join(source.split(":")[:7]) + "*" if source.count(":") > 6 else source + "*")
        elif source.startswith("arn:"):
            parameters.append(source)
        else:
            parameters.append(Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"
                                  + source.lstrip("/")))
    return parameters, secrets
