"""The bad-input table: every bad input is refused before any mutating AWS call, naming the field and the fix.

One row per bad input, across the five places a user gives input: environment files and blueprint
variables (through the real ``stacker build``, in-process), hook arguments, lookup arguments and the
``stacker-ecs`` CLI. Each row runs in an emulated account where ``web`` has ``v1`` live and ``v2``
deployed beside it, inside :class:`emulator.calls.EveryCall`, and must end refused, with a message
containing the row's fragments, and with no call but ``Describe*``/``List*``/``Get*``.

docs/bad-input.md is rendered from this table (``UPDATE_DOCS=1 make test`` rewrites it).
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import stacker.actions.build
from moto import mock_aws

from emulator.calls import EveryCall
from stacker_ecs import cli, lookups
from stacker_ecs.core import registry
from tests.bad_input_support import (
    REGION,
    ROOT,
    SURFACES,
    Deployed,
    Row,
    Scene,
    entry_of,
    hook,
    lookup,
    render_table,
    stacker_build,
    stacker_ecs,
    summary,
)

DOCS = ROOT / "docs" / "bad-input.md"
NS = ("--namespace", "ecs-dev")
PLAIN_PASSWORD_TASK = {"containerDefinitions": [{
    "name": "web", "image": "nginx:1", "memory": 256, "portMappings": [{"containerPort": 80}],
    "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]}
INLINE_TASK = {"containerDefinitions": [{"name": "web", "image": "nginx:1", "memory": 256,
                                         "portMappings": [{"containerPort": 80}]}]}
ENV, VARIABLE, HOOK, LOOKUP, CLI = SURFACES

TABLE: list[Row] = [
    # ---- environment file (config/dev.env), through `stacker build` ----
    Row("env-version-dot", ENV, "`version: 1.0`", stacker_build({"version": "1.0"}),
        ("Version", "'.'", "use lower-case letters, digits and '-'"), "stacker build exits 1",
        "stack 'app-web-V-1.0' (Version blueprint): Version: '1.0' has '.', which is not allowed in stack and host "
        "names; use lower-case letters, digits and '-'"),
    Row("env-version-upper-case", ENV, "`version: V3`", stacker_build({"version": "V3"}),
        ("Version", "'V'", "use lower-case letters, digits and '-'"), "stacker build exits 1",
        "stack 'app-web-V-V3' (Version blueprint): Version: 'V3' has 'V', which is not allowed in stack and "
        "host names; use lower-case letters, digits and '-'"),
    Row("env-version-double-dash", ENV, "`version: v3--hotfix`", stacker_build({"version": "v3--hotfix"}),
        ("Version", "'--'", "use single '-'"), "stacker build exits 1",
        "stack 'app-web-V-v3--hotfix' (Version blueprint): Version: 'v3--hotfix' contains '--', which AWS "
        "refuses in the load balancer and target group names derived fr…"),
    Row("env-health-check-path-without-slash", ENV, "`health_check_path: health` (for `HealthCheckPath`)",
        stacker_build({"health_check_path": "health"}),
        ("HealthCheckPath", "write it as '/health'"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): HealthCheckPath: 'health' does not start with '/'; write it as "
        "'/health'"),
    Row("env-desired-count-not-a-number", ENV, "`first_desired_count: two` (for `DesiredCount`)",
        stacker_build({"first_desired_count": "two"}),
        ("DesiredCount", "'two'", "it should be a valid integer"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): DesiredCount: 'two' is not accepted; it should be a valid "
        "integer, unable to parse string as an integer"),
    Row("env-environment-upper-case", ENV, "`environment: Dev`", stacker_build({"environment": "Dev"}),
        ("Environment", "'D'", "use lower-case letters, digits and '-'"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): Environment: 'Dev' has 'D', which is not allowed in stack and "
        "host names; use lower-case letters, digits and '-'"),
    Row("env-missing-key", ENV, "no `version` line, though the config uses `${version}`",
        stacker_build(drop=("version",)),
        ("Environment missing key", "version"), "stacker raises MissingEnvironment",
        "Environment missing key version."),
    Row("env-empty-namespace", ENV, "`namespace:` with no value", stacker_build({"namespace": ""}),
        ("namespace", "This field is required"), "stacker raises InvalidConfig",
        "{'namespace': ConversionError([ErrorMessage('This field is required.', None)])}"),
    # ---- blueprint variables (stacker_ecs.blueprints.version.Version), through `stacker build` ----
    Row("variable-rule-priority-zero", VARIABLE, "`RulePriority: 0`", stacker_build(variables={"RulePriority": 0}),
        ("RulePriority", "greater than or equal to 1"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): RulePriority: 0 is not accepted; it should be greater than or "
        "equal to 1"),
    Row("variable-name-typo", VARIABLE, "`HealthCheckPth: /health` (a typo)",
        stacker_build(variables={"HealthCheckPth": "/health"}),
        ("HealthCheckPth", "unknown variable; check the spelling", "HealthCheckPath"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): HealthCheckPth: unknown variable; check the spelling or "
        "remove it (known: App, Autoscaling, AutoscalingMaxCapacity, A…"),
    Row("variable-task-definition-file-missing", VARIABLE, "`TaskDefinitionFile: config/apps/web/missing.json`",
        stacker_build(variables={"TaskDefinitionFile": "config/apps/web/missing.json"}),
        ("TaskDefinitionFile", "is not a file", "fix the path"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): TaskDefinitionFile: 'config/apps/web/missing.json' is not "
        "a file (relative paths start at the directory the engine ru…"),
    Row("variable-task-definition-twice", VARIABLE, "both `TaskDefinition` and `TaskDefinitionFile`",
        stacker_build(variables={"TaskDefinition": INLINE_TASK}),
        ("TaskDefinition/TaskDefinitionFile", "give exactly one of them"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): TaskDefinition/TaskDefinitionFile: give exactly one of them"),
    Row("variable-stack-name", VARIABLE, "stack named `web-V-${version}` instead of `app-web-V-${version}`",
        stacker_build(stack_name="web-V-${version}"),
        ("stack name", "name the stack 'app-web-V-v3' in the config"), "stacker build exits 1",
        "stack 'web-V-v3' (Version blueprint): stack name: deployed as 'ecs-dev-web-V-v3', but hooks and "
        "lookups find this stack as 'ecs-dev-app-web-V-v3'; name the sta…"),
    Row("variable-launch-type-lower-case", VARIABLE, "`LaunchType: fargate`",
        stacker_build(variables={"LaunchType": "fargate"}),
        ("LaunchType", "it should be 'EC2' or 'FARGATE'"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): LaunchType: 'fargate' is not accepted; it should be 'EC2' or "
        "'FARGATE'"),
    Row("variable-fargate-without-subnets", VARIABLE, "`LaunchType: FARGATE` without `Subnets`",
        stacker_build(variables={"LaunchType": "FARGATE"}),
        ("Subnets/ContainerSecurityGroupId", "pass ${output cluster::Subnets}"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): Subnets/ContainerSecurityGroupId: Fargate tasks need both; "
        "pass ${output cluster::Subnets} and ${output cluster::Cont…"),
    Row("variable-plain-password", VARIABLE, "`TaskDefinition` with environment value `DB_PASSWORD`",
        stacker_build(variables={"TaskDefinition": PLAIN_PASSWORD_TASK}, remove=("TaskDefinitionFile",)),
        ("DB_PASSWORD", "move it to 'secrets'"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): TaskDefinition: container 'web' sets 'DB_PASSWORD' as a "
        "plain environment value, which would show in the console and…"),
    Row("variable-health-check-timeout", VARIABLE, "`HealthCheckTimeoutSeconds: 20` (interval 15)",
        stacker_build(variables={"HealthCheckTimeoutSeconds": 20}),
        ("HealthCheckTimeoutSeconds", "lower it"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): HealthCheckTimeoutSeconds: 20 is not below "
        "HealthCheckIntervalSeconds 15; lower it"),
    Row("variable-container-port", VARIABLE, "`ContainerPort: 9999`, which no container maps",
        stacker_build(variables={"ContainerPort": 9999}),
        ("ContainerPort", "add a portMappings entry"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): ContainerPort: no container has port 9999; add a "
        "portMappings entry with containerPort, or set ContainerName/Containe…"),
    Row("variable-missing", VARIABLE, "no `ListenerArn`", stacker_build(remove=("ListenerArn",)),
        ("ListenerArn", "set it"), "stacker build exits 1",
        "stack 'app-web-V-v3' (Version blueprint): ListenerArn: required but not given; set it in the stack's "
        "variables"),
    # ---- hook arguments (stacker_ecs.hooks.*), as stacker calls them ----
    Row("hook-argument-typo", HOOK, "`verify_health` with `versoin: v2`",
        hook("verify_health", app="web", versoin="v2"),
        ("versoin", "unknown name; check the spelling", "version: required"), "hook returns False",
        "verify_health failed: hook stacker_ecs.hooks.verify_health args: 2 problems: - version: required but "
        "not given; set it - versoin: unknown name; check the spell…"),
    Row("hook-version-underscore", HOOK, "`verify_health` with `version: v2_x`",
        hook("verify_health", app="web", version="v2_x"),
        ("version", "'_'", "use lower-case letters, digits and '-'"), "hook returns False",
        "verify_health failed: hook stacker_ecs.hooks.verify_health args: version: 'v2_x' has '_', which is not "
        "allowed in stack and host names; use lower-case letters,…"),
    Row("hook-timeout-zero", HOOK, "`cutover` with `timeout_seconds: 0`",
        hook("cutover", app="web", version="v2", timeout_seconds=0),
        ("timeout_seconds", "greater than 0"), "hook returns False",
        "cutover failed: hook stacker_ecs.hooks.cutover args: timeout_seconds: 0 is not accepted; it should be "
        "greater than 0"),
    Row("hook-unknown-version", HOOK, "`cutover` with `version: v9` (never deployed)",
        hook("cutover", app="web", version="v9"),
        ("v9", "unknown version", "deploy it first, or check the spelling"), "hook returns False",
        "cutover failed: web/v9: unknown version: the listener has no rule for v9 (versions: v1, v2); deploy it "
        "first, or check the spelling"),
    Row("hook-app-upper-case", HOOK, "`cutover` with `app: Web`", hook("cutover", app="Web", version="v2"),
        ("app", "'W'", "use lower-case letters, digits and '-'"), "hook returns False",
        "cutover failed: hook stacker_ecs.hooks.cutover args: app: 'Web' has 'W', which is not allowed in stack "
        "and host names; use lower-case letters, digits and '-'"),
    Row("hook-rollback-version", HOOK, "`rollback` with `version: v2` (rollback takes none)",
        hook("rollback", app="web", version="v2"),
        ("version", "unknown name", "remove it"), "hook returns False",
        "rollback failed: hook stacker_ecs.hooks.rollback args: version: unknown name; check the spelling or "
        "remove it (known: app, dashboard, dry_run, force,…"),
    Row("hook-keep-last-negative", HOOK, "`cleanup` with `keep_last: -1`", hook("cleanup", app="web", keep_last=-1),
        ("keep_last", "greater than or equal to 0"), "hook returns False",
        "cleanup failed: hook stacker_ecs.hooks.cleanup args: keep_last: -1 is not accepted; it should be "
        "greater than or equal to 0"),
    Row("hook-exclude-not-a-list", HOOK, "`cleanup` with `exclude: release-*` (not a list)",
        hook("cleanup", app="web", exclude="release-*"),
        ("exclude", "it should be a valid list"), "hook returns False",
        "cleanup failed: hook stacker_ecs.hooks.cleanup args: exclude: 'release-*' is not accepted; it should be "
        "a valid list"),
    Row("hook-unknown-app", HOOK, "`cleanup` with `app: api` (no such application stack)",
        hook("cleanup", app="api"),
        ("ecs-dev-app-api", "check the app name and namespace"), "hook returns False",
        "cleanup failed: api: no application stack 'ecs-dev-app-api'; check the app name and namespace, or "
        "deploy the application stack first"),
    # ---- lookup arguments (stacker_ecs.lookups.*) ----
    Row("lookup-argument-typo", LOOKUP, "`${alb_rule_priority web::versoin=v2}`",
        lookup(lookups.RulePriorityLookup, "web::versoin=v2"),
        ("versoin", "unknown name; check the spelling", "version: required"), "raises ConfigError",
        "lookup alb_rule_priority 'web::versoin=v2': 2 problems: - version: required but not given; set it - "
        "versoin: unknown name; check the spelling or remove it (kno…"),
    Row("lookup-version-underscore", LOOKUP, "`${alb_rule_priority web::version=v2_x}`",
        lookup(lookups.RulePriorityLookup, "web::version=v2_x"),
        ("version", "'_'", "use lower-case letters, digits and '-'"), "raises ConfigError",
        "lookup alb_rule_priority 'web::version=v2_x': version: 'v2_x' has '_', which is not allowed in stack "
        "and host names; use lower-case letters, digits and '-'"),
    Row("lookup-app-upper-case", LOOKUP, "`${alb_listener Web}`", lookup(lookups.ListenerLookup, "Web"),
        ("app", "'W'", "use lower-case letters, digits and '-'"), "raises ConfigError",
        "lookup alb_listener 'Web': app: 'Web' has 'W', which is not allowed in stack and host names; use "
        "lower-case letters, digits and '-'"),
    Row("lookup-max-rules-zero", LOOKUP, "`${alb_rule_priority web::version=v3, max_rules=0}`",
        lookup(lookups.RulePriorityLookup, "web::version=v3, max_rules=0"),
        ("max_rules", "greater than or equal to 1"), "raises ConfigError",
        "lookup alb_rule_priority 'web::version=v3, max_rules=0': max_rules: '0' is not accepted; it should be "
        "greater than or equal to 1"),
    Row("lookup-default-not-a-number", LOOKUP, "`${ecs_live_desired_count web::default=abc}`",
        lookup(lookups.LiveDesiredCountLookup, "web::default=abc"),
        ("default", "'abc'", "it should be a valid integer"), "raises ConfigError",
        "lookup ecs_live_desired_count 'web::default=abc': default: 'abc' is not accepted; it should be a valid "
        "integer, unable to parse string as an integer"),
    Row("lookup-version-missing", LOOKUP, "`${alb_rule_priority web}` (no `::version=`)",
        lookup(lookups.RulePriorityLookup, "web"),
        ("version", "required but not given; set it"), "raises ConfigError",
        "lookup alb_rule_priority 'web': version: required but not given; set it"),
    Row("lookup-not-key-value", LOOKUP, "`${ecs_live_desired_count web::default}` (no `=`)",
        lookup(lookups.LiveDesiredCountLookup, "web::default"),
        ("'default' is not key=value", "write e.g. ${ecs_live_desired_count web::default=1}"), "raises ConfigError",
        "lookup ecs_live_desired_count 'web::default': 'default' is not key=value; write e.g. "
        "${ecs_live_desired_count web::default=1}"),
    Row("lookup-unknown-app", LOOKUP, "`${ecs_live_version api}` (no such application stack)",
        lookup(lookups.LiveVersionLookup, "api"),
        ("ecs-dev-app-api", "check the app name and namespace"), "raises AwsStateError",
        "api: no application stack 'ecs-dev-app-api'; check the app name and namespace, or deploy the "
        "application stack first"),
    Row("lookup-listener-full", LOOKUP,
        "`${alb_rule_priority web::version=v3, max_rules=3}` (5 rules taken: two versions' two each and the live "
        "rule)",
        lookup(lookups.RulePriorityLookup, "web::version=v3, max_rules=3"),
        ("limit of 3", "run the cleanup hook"), "raises AwsStateError",
        "web/v3: the listener has 5 rules and a version needs 2 more, above the limit of 3; run the cleanup hook "
        "(or 'stacker-ecs cleanup web') to delete versions that…"),
    # ---- the stacker-ecs CLI ----
    Row("cli-namespace-missing", CLI, "`stacker-ecs status web` (no `--namespace`)", stacker_ecs("status", "web"),
        ("--namespace", "the following arguments are required"), "exit 2",
        "stacker-ecs status: error: the following arguments are required: --namespace usage: stacker-ecs status "
        "[-h] --namespace NAMESPACE [--all | --no-all] [app]"),
    Row("cli-version-underscore", CLI, "`stacker-ecs cutover web v2_x`", stacker_ecs("cutover", "web", "v2_x", *NS),
        ("version", "'_'", "use lower-case letters, digits and '-'"), "exit 2",
        "stacker-ecs cutover: version: 'v2_x' has '_', which is not allowed in stack and "
        "host names; use lower-case letters, digits and '-'"),
    Row("cli-keep-last-negative", CLI, "`stacker-ecs cleanup web --keep-last -1`",
        stacker_ecs("cleanup", "web", "--keep-last", "-1", *NS),
        ("keep_last", "greater than or equal to 0"), "exit 2",
        "stacker-ecs cleanup: keep_last: '-1' is not accepted; it should be greater than or "
        "equal to 0"),
    Row("cli-keep-last-not-a-number", CLI, "`stacker-ecs cleanup web --keep-last two`",
        stacker_ecs("cleanup", "web", "--keep-last", "two", *NS),
        ("keep_last", "'two'", "valid integer"), "exit 2",
        "stacker-ecs cleanup: keep_last: 'two' is not accepted; it should be a valid integer, unable to parse "
        "string as an integer"),
    Row("cli-app-upper-case", CLI, "`stacker-ecs status Web`", stacker_ecs("status", "Web", *NS),
        ("app", "'W'", "use lower-case letters, digits and '-'"), "exit 2",
        "stacker-ecs status: app: 'Web' has 'W', which is not allowed in stack and host names; use lower-case "
        "letters, digits and '-'"),
    Row("cli-unknown-version", CLI, "`stacker-ecs cutover web v9` (never deployed)",
        stacker_ecs("cutover", "web", "v9", *NS),
        ("v9", "unknown version", "deploy it first, or check the spelling"), "exit 1",
        "stacker-ecs cutover: web/v9: unknown version: the listener has no rule for v9 (versions: v1, v2); "
        "deploy it first, or check the spelling"),
    Row("cli-timeout-zero", CLI, "`stacker-ecs cutover web v2 --timeout-seconds 0`",
        stacker_ecs("cutover", "web", "v2", "--timeout-seconds", "0", *NS),
        ("timeout_seconds", "greater than 0"), "exit 2",
        "stacker-ecs cutover: timeout_seconds: '0' is not accepted; it should be greater "
        "than 0"),
    Row("cli-unknown-app", CLI, "`stacker-ecs status api` (no such application stack)",
        stacker_ecs("status", "api", *NS),
        ("ecs-dev-app-api", "check the app name and namespace"), "exit 1",
        "stacker-ecs status: api: no application stack 'ecs-dev-app-api'; check the app name and namespace, or "
        "deploy the application stack first"),
]


PARAMS = [pytest.param(row, id=row.id) for row in TABLE]


@pytest.fixture(autouse=True)
def _stacker_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """stacker waits STACKER_STACK_POLL_TIME (30 s) between looks at a submitted stack; moto needs none."""
    monkeypatch.setenv("STACKER_STACK_POLL_TIME", "0")
    monkeypatch.setattr(stacker.actions.build, "STACK_POLL_TIME", 0)


@pytest.fixture(scope="class")
def deployed() -> Iterator[Deployed]:
    """One deployed world for every row: no row may change it (each asserts that), so none sees another."""
    with pytest.MonkeyPatch.context() as patch:  # set up before conftest's per-test fake credentials

        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
            patch.delenv(name, raising=False)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            yield Deployed.create(boto3.Session(region_name=REGION))


class TestBadInputTable:
    """The table's rows, in one emulated account (torn down after the class)."""

    @pytest.mark.parametrize("row", PARAMS)
    def test_bad_input_is_refused_before_any_change_naming_the_field_and_the_fix(
            self, row: Row, deployed: Deployed, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        scene = Scene(deployed=deployed, tmp_path=tmp_path, capsys=capsys)

        with EveryCall() as calls:
            outcome = row.attempt(scene)

        assert outcome.refused, f"not refused: {outcome.how}; message: {outcome.message!r}"
        assert calls.mutating() == [], f"changed something before refusing: {dict(calls.calls)}"
        missing = [fragment for fragment in row.names if fragment not in outcome.message]
        assert not missing, f"the message lacks {missing}: {outcome.message!r}"
        assert outcome.how == row.refused_as  # what the docs show is what it says
        assert summary(outcome.message).startswith(row.says.removesuffix("…")), summary(outcome.message)


# The same entry points with good input: proof that EveryCall sees each one's AWS calls, mutations included.
CONTROLS = {
    "stacker build": (stacker_build(), ["cloudformation.CreateStack"]),
    "hook": (hook("cutover", app="web", version="v2", timeout_seconds=1),
             ["cloudformation.UpdateTerminationProtection", "elbv2.ModifyRule"]),
    "stacker-ecs": (stacker_ecs("cutover", "web", "v2", "--timeout-seconds", "1", *NS),
                    ["cloudformation.UpdateTerminationProtection", "elbv2.ModifyRule"]),
}


@pytest.mark.parametrize("entry_point", list(CONTROLS))
def test_good_input_through_the_same_entry_point_makes_the_change_and_every_call_is_counted(
        entry_point: str, session: boto3.Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    attempt, changes = CONTROLS[entry_point]
    scene = Scene(deployed=Deployed.create(session), tmp_path=tmp_path, capsys=capsys)

    with EveryCall() as calls:
        outcome = attempt(scene)

    assert not outcome.refused, outcome.message
    assert calls.mutating() == changes


def test_a_good_lookup_is_counted_too(session: boto3.Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    scene = Scene(deployed=Deployed.create(session), tmp_path=tmp_path, capsys=capsys)

    with EveryCall() as calls:
        outcome = lookup(lookups.RulePriorityLookup, "web::version=v3")(scene)

    assert outcome.how == f"returns '{scene.deployed.rule_priority}'"
    assert (calls.total, calls.mutating()) == (2, [])


def test_the_table_covers_every_surface_with_at_least_three_rows():
    ids = [row.id for row in TABLE]
    per_surface = Counter(row.surface for row in TABLE)

    assert len(ids) == len(set(ids)), "row ids must be unique"
    assert len(TABLE) >= 20
    assert set(per_surface) == set(SURFACES)
    assert min(per_surface.values()) >= 3, per_surface
    # and what the hook, lookup and CLI rows give input to is what the code offers (the registry's hooks and
    # lookups, the CLI's commands), at least two of each: a renamed or dropped entry fails here
    offered = {HOOK: set(registry.HOOKS), LOOKUP: {entry.class_name for entry in registry.LOOKUPS.values()},
               CLI: set(cli.COMMANDS)}
    for surface, entries in offered.items():
        aimed = {row.id: entry_of(row.attempt) for row in TABLE if row.surface == surface}
        assert {row: entry for row, entry in aimed.items() if entry not in entries} == {}, f"not offered: {surface}"
        assert len(set(aimed.values())) >= 2, (surface, aimed)


def test_docs_table_matches_the_tests():
    expected = render_table(TABLE)
    if os.environ.get("UPDATE_DOCS") == "1":
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(expected)
    actual = DOCS.read_text() if DOCS.exists() else ""
    if actual != expected:
        diff = "".join(difflib.unified_diff(actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                                            "docs/bad-input.md", "rendered from tests/test_bad_input_table.py"))
        pytest.fail(f"docs/bad-input.md differs from the table in tests/test_bad_input_table.py; "
                    f"run `UPDATE_DOCS=1 make test` to rewrite it:\n{diff}")
