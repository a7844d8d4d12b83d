"""The principals' IAM policies cover what the code calls and what the templates create, and nothing broader."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import botocore.session
import pytest

from stacker_ecs import cli
from stacker_ecs.core import iam_policy, naming
from stacker_ecs.core.model import parse
from stacker_ecs.core.templates.application import ApplicationSpec, build_application

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "templates"
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "resourcegroupstaggingapi": "tag", "service-quotas": "servicequotas"}
"""boto3 client name -> IAM action prefix, where they differ."""
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}
"""AWS answers these whatever the caller's policies say."""
INLINE_ROLE_POLICY_LIMIT = 10_240
"""Characters (whitespace excluded) of a role's inline policies (IAM quotas)."""


def _documents(app: str | None = None) -> dict[str, dict]:
    return {p: iam_policy.document(p, "ecs-dev", app if p == "pipeline" else None) for p in iam_policy.PRINCIPALS}


def _allows(document: dict, action: str, resource: str | None = None) -> bool:
    """Return whether the principal may call ``action`` itself (on ``resource``): an Allow names it, no Deny does.

    Statements that apply only through CloudFormation (``aws:CalledVia``) do not count: the code's own
    calls are never made through CloudFormation.
    """
    def matches(patterns: list[str], value: str) -> bool:
        return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), value) for p in patterns)
    def hit(statement: dict) -> bool:
        return matches(statement["Action"], action) and (resource is None or matches(statement["Resource"], resource))
    statements = [s for s in document["Statement"] if "aws:CalledVia" not in json.dumps(s.get("Condition", {}))]
    return any(s["Effect"] == "Allow" and hit(s) for s in statements) and not any(
        s["Effect"] == "Deny" and hit(s) for s in statements if resource is not None)


def _called_operations() -> set[str]:
    """Return ``prefix:Operation`` of every AWS operation the package names (calls, paginators, waiters, strings).

    A name several services share (``describe_load_balancers``) is returned as ``a|b``: either will do.
    """
    session = botocore.session.get_session()
    services = set()
    sources = [p.read_text() for p in (ROOT / "stacker_ecs").rglob("*.py") if p.parent.name != "templates"
               and p.stem not in ("iam_handlers", "iam_policy")]  # templates name actions of their roles' policies
    for source in sources:
        services |= set(re.findall(r'client\("([a-z0-9-]+)"\)', source))
    operations: dict[str, set[str]] = {}
    for service in services:
        model = session.get_service_model(service)
        prefix = IAM_PREFIX.get(service, service)
        for name in model.operation_names:
            operations.setdefault(botocore.xform_name(name), set()).add(f"{prefix}:{name}")
            operations.setdefault(name, set()).add(f"{prefix}:{name}")
        for waiter in session.get_waiter_model(service).waiter_names if service in ("cloudformation",) else []:
            operation = session.get_waiter_model(service).get_waiter(waiter).operation
            operations.setdefault(botocore.xform_name(waiter), set()).add(f"{prefix}:{operation}")
    found: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            name = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else (
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None)
            if name in operations:
                found |= {min(operations[name])} if len(operations[name]) == 1 else {"|".join(sorted(operations[name]))}
    return found


def test_every_operation_the_code_names_is_allowed_to_a_principal():
    documents = _documents()
    missing = []
    for candidates in sorted(_called_operations()):
        options = candidates.split("|")
        if not any(o in ALWAYS_ALLOWED or any(_allows(d, o) for d in documents.values()) for o in options):
            missing.append(candidates)
    assert missing == [], f"operations the code calls that neither policy allows: {missing}"


ENGINE_OR_IMPLIED = {"cloudformation:CreateStack", "iam:PassRole", "iam:CreateServiceLinkedRole"}
"""Direct permissions no line of ours calls: the engine creates stacks; the others are checked inside AWS's calls."""


def test_every_permission_for_a_principals_own_calls_is_one_the_code_calls():
    called = {option for candidates in _called_operations() for option in candidates.split("|")}
    for principal, document in _documents("web").items():
        direct = {a for s in document["Statement"] if s["Effect"] == "Allow"
                  and "aws:CalledVia" not in json.dumps(s.get("Condition", {})) for a in s["Action"]}
        assert direct - called <= ENGINE_OR_IMPLIED, (principal, sorted(direct - called - ENGINE_OR_IMPLIED))


def test_the_handler_actions_are_the_ones_aws_publishes():
    handlers = pytest.importorskip("scripts.iam_handlers")
    expected = handlers.render()
    actual = (ROOT / "stacker_ecs" / "core" / "iam_handlers.py").read_text()
    assert actual == expected, "stacker_ecs/core/iam_handlers.py is stale: run `python -m scripts.iam_handlers`"


def _types(template: dict) -> set[str]:
    return {r["Type"] for r in template["Resources"].values()}


def test_every_resource_type_the_templates_create_is_covered_and_no_other():
    found: dict[str, set[str]] = {kind: set() for kind in iam_policy.STACK_TYPES}
    for path in GOLDEN.glob("*.json"):
        found[path.name.split("-")[0]] |= _types(json.loads(path.read_text()))
    issued = build_application(parse(ApplicationSpec, {
        "App": "web", "Environment": "dev", "ClusterName": "c", "VpcId": "vpc-0a1b2c3d4e5f60718",
        "Subnets": "subnet-0a1b2c3d4e5f60721,subnet-0a1b2c3d4e5f60722",
        "SharedLoadBalancerSecurityGroupId": "sg-0a1b2c3d4e5f60718", "Domain": "dev.example.com",
        "HostedZoneId": "Z0123456789ABCDEFGHIJ"}, where="test"))
    found["application"] |= _types(issued.to_dict())
    assert found == {kind: set(types) - set(iam_policy.FORMER_TYPES.get(kind, ()))
                     for kind, types in iam_policy.STACK_TYPES.items()}


@pytest.mark.parametrize("principal", iam_policy.PRINCIPALS)
def test_no_statement_grants_every_action_of_a_service_and_wildcards_are_aws_read_families(principal: str):
    document = iam_policy.document(principal, "ecs-dev")
    actions = [a for s in document["Statement"] for a in s["Action"]]
    assert all(a != "*" and not a.endswith(":*") for a in actions)
    read_families = {a for a in actions if re.fullmatch(r"[a-z0-9-]+:(Describe|Get|List)\*", a)}
    assert {a for a in actions if "*" in a} <= read_families
    assert len(json.dumps(document, separators=(",", ":"))) < INLINE_ROLE_POLICY_LIMIT


def test_every_unconditioned_resource_wildcard_is_an_action_without_resource_level_permissions():
    for principal, document in _documents("web").items():
        for statement in document["Statement"]:
            if statement["Resource"] == ["*"] and "Condition" not in statement:
                assert statement["Sid"] in {"PreflightReads", "Reads", "Autoscaling", "DestroyCheckServices"}, \
                    (principal, statement["Sid"])


ARN = "arn:aws:{}:ap-southeast-2:123456789012:{}"


def test_the_pipeline_reaches_its_apps_resources_by_the_names_naming_gives_them():
    web = iam_policy.document("pipeline", "ecs-dev", "web")
    stack = ARN.format("cloudformation", f"stack/{naming.version_stack('ecs-dev', 'web', 'v1')}/0b1c-uuid")
    assert _allows(web, "cloudformation:CreateStack", stack)
    assert _allows(web, "cloudformation:UpdateTerminationProtection", stack)
    assert _allows(web, "cloudformation:DeleteStack",
                   ARN.format("cloudformation", f"stack/{naming.application_stack('ecs-dev', 'web')}/uuid"))
    service = ARN.format("ecs", f"service/ecs-dev-cluster-Cluster-1A2B3C/{naming.service_name('web', 'v1')}")
    assert _allows(web, "ecs:UpdateService", service)
    role = "arn:aws:iam::123456789012:role/ecs-dev-app-web-V-v1-TaskRole-1A2B3C4D5E6F"
    assert _allows(web, "iam:PassRole", role)
    assert _allows(web, "dynamodb:UpdateItem", ARN.format("dynamodb", f"table/{naming.coordination_table('ecs-dev')}"))
    assert _allows(web, "cloudwatch:PutDashboard", "arn:aws:cloudwatch::123456789012:dashboard/ecs-dev-web")
    # and nothing of another app whose name starts the same, nor another namespace's
    admin = naming.version_stack("ecs-dev", "web-admin", "v1")
    assert not _allows(web, "cloudformation:DeleteStack", ARN.format("cloudformation", f"stack/{admin}/uuid"))
    assert not _allows(web, "ecs:UpdateService", ARN.format("ecs", "service/ecs-dev-cluster-Cluster-1A/web-admin_v1"))
    assert not _allows(web, "iam:PassRole", "arn:aws:iam::123456789012:role/ecs-dev-app-web-admin-V-v1-TaskRole-1A")
    other = naming.version_stack("ecs-prod", "web", "v1")
    assert not _allows(web, "cloudformation:DeleteStack", ARN.format("cloudformation", f"stack/{other}/uuid"))


def test_with_an_app_the_pipeline_reaches_that_apps_coordination_items_only():
    from stacker_ecs.core.coordination import AppRecords
    from stacker_ecs.core.ops.history import _slot

    statement = next(s for s in iam_policy.document("pipeline", "ecs-dev", "web")["Statement"]
                     if s["Sid"] == "CoordinationTable")
    patterns = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    def reached(key: str) -> bool:
        return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), key) for p in patterns)
    for app, expected in (("web", True), ("web-admin", False)):
        keys = [AppRecords(dynamodb=None, table="t", app=app).key["pk"]["S"], _slot(app, 7), f"history/{app}"]
        assert [reached(k) for k in keys] == [expected] * 3, (app, keys)
    every = next(s for s in iam_policy.document("pipeline", "ecs-dev")["Statement"] if s["Sid"] == "CoordinationTable")
    assert "Condition" not in every  # a pipeline of every app reaches every app's items


def test_the_platform_writes_the_cluster_and_application_stacks_but_no_version():
    platform = iam_policy.document("platform", "ecs-dev")
    for name in (naming.cluster_stack("ecs-dev"), naming.application_stack("ecs-dev", "web-admin")):
        assert _allows(platform, "cloudformation:UpdateStack", ARN.format("cloudformation", f"stack/{name}/uuid"))
    version = ARN.format("cloudformation", f"stack/{naming.version_stack('ecs-dev', 'web', 'v1')}/uuid")
    for action in ("cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack"):
        assert not _allows(platform, action, version)
    assert not _allows(platform, "cloudformation:DeleteStack",
                       ARN.format("cloudformation", f"stack/{naming.cluster_stack('ecs-dev')}/uuid"))


def test_cloudformation_may_switch_a_load_balancers_groups_and_delete_an_older_application_stacks_container_rule():
    # An application stack made before the shared load balancer group: its update sets both groups on the
    # load balancer and deletes its rule on the container group (platform); its teardown deletes that rule too
    # (pipeline, without --app or with it).
    def via_cloudformation(document: dict) -> set[str]:
        return {a for s in document["Statement"] if s["Effect"] == "Allow"
                and "aws:CalledVia" in json.dumps(s.get("Condition", {})) for a in s["Action"]}

    platform = via_cloudformation(iam_policy.document("platform", "ecs-dev"))
    assert {"elasticloadbalancing:SetSecurityGroups", "ec2:RevokeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"} <= platform
    for app in (None, "web"):
        assert "ec2:RevokeSecurityGroupIngress" in via_cloudformation(iam_policy.document("pipeline", "ecs-dev", app))


def test_a_sceptre_pipeline_may_update_the_cluster_and_its_own_application_stack_and_no_other():
    stacker, sceptre = (iam_policy.document("pipeline", "ecs-dev", "web", engine) for engine in ("stacker", "sceptre"))
    for name in (naming.cluster_stack("ecs-dev"), naming.application_stack("ecs-dev", "web")):
        stack = ARN.format("cloudformation", f"stack/{name}/uuid")
        assert _allows(sceptre, "cloudformation:UpdateStack", stack)
        assert not _allows(stacker, "cloudformation:UpdateStack", stack)
    other = ARN.format("cloudformation", f"stack/{naming.application_stack('ecs-dev', 'web-admin')}/uuid")
    assert not _allows(sceptre, "cloudformation:UpdateStack", other)
    assert iam_policy.document("platform", "ecs-dev", None, "sceptre") == iam_policy.document("platform", "ecs-dev")


def test_iam_policy_prints_the_document_and_refuses_bad_input(capsys):
    assert cli.main(["iam-policy", "web", "--principal", "pipeline", "--namespace", "ecs-dev"]) == 0
    assert json.loads(capsys.readouterr().out) == iam_policy.document("pipeline", "ecs-dev", "web")
    assert cli.main(["--output", "json", "iam-policy", "--principal", "platform", "--namespace", "ecs-dev"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == iam_policy.document("platform", "ecs-dev")
    sceptre = ["iam-policy", "web", "--principal", "pipeline", "--namespace", "ecs-dev", "--engine", "sceptre"]
    assert cli.main(sceptre) == 0
    assert json.loads(capsys.readouterr().out) == iam_policy.document("pipeline", "ecs-dev", "web", "sceptre")
    assert cli.main(["iam-policy", "web", "--principal", "platform", "--namespace", "ecs-dev"]) == 2
    assert "name no app with --principal platform" in capsys.readouterr().err
    assert cli.main(["iam-policy", "--principal", "pipeline", "--namespace", "ecs-dev-*"]) == 2
    assert "is not a stack-name prefix" in capsys.readouterr().err
