"""Every IAM policy in every template grants named actions only, on scoped resources where AWS allows."""

from __future__ import annotations

from typing import Any

import pytest
from variants import VARIANTS

from stacker_ecs.core import naming

# Actions AWS does not scope to a resource: "*" is the only resource they take.
UNSCOPED_ACTIONS = {"ecr:GetAuthorizationToken"}


def policy_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return (where, statement) for every statement of every inline and assume-role policy."""
    found = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [("AssumeRolePolicyDocument", properties.get("AssumeRolePolicyDocument"))]
        documents += [(f"Policies/{p['PolicyName']}", p["PolicyDocument"]) for p in properties.get("Policies", [])]
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(("PolicyDocument", properties["PolicyDocument"]))
        for where, document in documents:
            for statement in (document or {}).get("Statement", []):
                found.append((f"{logical_id}.{where}", statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_no_policy_allows_every_action_or_a_whole_service(variant: str):
    template = VARIANTS[variant]().to_dict()
    for where, statement in policy_statements(template):
        for action in as_list(statement.get("Action", [])):
            assert action != "*", f"{variant} {where}: Action '*'"
            assert not str(action).endswith(":*"), f"{variant} {where}: whole-service action {action}"
        assert "NotAction" not in statement, f"{variant} {where}: NotAction"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_resource_star_only_for_actions_aws_cannot_scope(variant: str):
    template = VARIANTS[variant]().to_dict()
    for where, statement in policy_statements(template):
        if "Principal" in statement:  # assume-role statements name a principal, not a resource
            continue
        if "*" in as_list(statement.get("Resource", [])):
            assert set(as_list(statement["Action"])) <= UNSCOPED_ACTIONS, (
                f"{variant} {where}: Resource '*' for {statement['Action']}")


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.startswith("version")])
def test_tasks_run_with_a_task_role_separate_from_the_execution_role(variant: str):
    template = VARIANTS[variant]().to_dict()
    task = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    assert task["Properties"]["TaskRoleArn"] == {"Fn::GetAtt": [naming.TASK_ROLE, "Arn"]}
    assert task["Properties"]["ExecutionRoleArn"] == {"Fn::GetAtt": [naming.EXECUTION_ROLE, "Arn"]}
    task_role = template["Resources"][naming.TASK_ROLE]["Properties"]
    assert "Policies" not in task_role  # the app's own access comes only from TaskRolePolicyArns


def test_execution_role_reads_exactly_the_task_definitions_secrets():
    template = VARIANTS["version-fargate-sidecar-volume-secrets"]().to_dict()
    policy = template["Resources"][naming.EXECUTION_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]
    by_action = {tuple(as_list(s["Action"])): s["Resource"] for s in policy["Statement"]}
    assert by_action[("ssm:GetParameters",)] == [{"Fn::Sub": (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/dev/web/db-password")}]
    assert by_action[("secretsmanager:GetSecretValue",)] == [
        "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:dev/web/api-AbCdEf*"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_policy_walk_reaches_every_role_and_policy_of_every_template(variant: str):
    """The checks above look at what policy_statements finds; here: it finds every IAM document there is."""
    template = VARIANTS[variant]().to_dict()
    walked = {where for where, _ in policy_statements(template)}
    expected = set()
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            expected.add(f"{logical_id}.AssumeRolePolicyDocument")
            expected |= {f"{logical_id}.Policies/{p['PolicyName']}" for p in properties.get("Policies", [])}
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            expected.add(f"{logical_id}.PolicyDocument")

    assert walked == expected
    if variant.startswith("version"):
        assert f"{naming.EXECUTION_ROLE}.Policies/start-tasks" in walked


def test_execution_role_may_decrypt_secrets_with_exactly_the_given_customer_keys():
    from variants import RICH_TASK, version

    key = "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    template = version(LaunchType="FARGATE", TaskDefinition=RICH_TASK, SecretsKmsKeyArns=key).to_dict()
    policy = template["Resources"][naming.EXECUTION_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]
    by_action = {tuple(as_list(s["Action"])): s["Resource"] for s in policy["Statement"]}
    assert by_action[("kms:Decrypt",)] == [key]
    default = VARIANTS["version-fargate-sidecar-volume-secrets"]().to_dict()
    assert "kms:Decrypt" not in str(default)
