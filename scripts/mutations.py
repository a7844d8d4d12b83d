"""`make mutations` (``python -m scripts.mutations [name-filter ...]`` from the repo root): can the tests fail?

Each row of :data:`MUTATIONS` changes one thing in one module of ``stacker_ecs`` (an exact text that
must occur exactly once, replaced), alone, in the INSTALLED copy of the package (the one every test
imports: the package's .pth file imports it from site-packages at start-up), runs the tests named to
catch it, and restores the original bytes. A row is ``caught`` when one of its tests fails, ``MISSED``
when they all pass, ``ERROR`` when its text is not found exactly once or pytest cannot run the tests.
The exit status is 1 unless every row is caught, so the table cannot rot silently. Not part of
``make test``: each row is a pytest run. A row whose module starts with ``emulator/`` mutates the
checkout's emulator (tests import it from there), restored the same way.

Refuses to start while the installed copy differs from the checkout (a killed run may have left a
mutation installed, or the checkout changed since ``make install``): reinstall first
(``rm .venv/.package-installed && make install``); and while an emulator module a chosen row
mutates differs from git's HEAD.
docs/testing.md records the results and how each test that missed was fixed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTEST = ("-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-n", "0")
EMULATOR = "emulator/"
"""Rows whose module starts so mutate the checkout's emulator (restored the same way)."""


@dataclass(frozen=True)
class Mutation:
    """One change to one module, and the tests whose names promise to catch it."""

    name: str
    area: str
    module: str
    """Path under ``stacker_ecs/``, e.g. ``core/coordination.py``; or ``emulator/...``, a module of the checkout's
    emulator (not installed: tests import it from the checkout)."""
    old: str
    """Exact text that must occur exactly once in the module."""
    new: str
    tests: tuple[str, ...]
    """pytest node ids; the row is caught when one of them fails."""
    description: str


T = "tests/"
COORDINATION = T + "core/test_coordination.py::"
CANARY = T + "core/ops/test_canary.py::"
ANALYSIS = T + "core/ops/test_analysis.py::"
CUTOVER = T + "core/ops/test_cutover.py::"
APPS = T + "core/ops/test_apps.py::"
VERIFY = T + "core/ops/test_verify.py::"
CLI = T + "test_cli.py::"
HISTORY = T + "core/ops/test_history.py::"
STATUS = T + "core/ops/test_status.py::"
SMOKE = T + "core/ops/test_smoke.py::"
CHECK_BUILD = T + "hooks/test_check_build.py::"
VERSION_T = T + "core/templates/test_version.py::"
CLUSTER_T = T + "core/templates/test_cluster.py::"
WRITERS = T + "core/ops/test_writers.py::"
GATES = T + "core/ops/test_gates.py::"
BAD_INPUT = T + "core/templates/test_bad_input.py::"

MUTATIONS: tuple[Mutation, ...] = (
    # ---- the lease and its fencing (core/coordination.py)
    Mutation("lease-never-expires", "lease", "core/coordination.py",
             'condition=f"attribute_not_exists(#{kind}_token) OR #{kind}_expires < :now",',
             'condition=f"attribute_not_exists(#{kind}_token) OR (#{kind}_expires < :now AND '
             '#{kind}_expires < #{kind}_since)",',
             (COORDINATION + "test_a_crashed_holders_lease_expires_and_the_next_writer_takes_it_over",),
             "an expired lease is never taken over (a crashed holder blocks its app for good)"),
    Mutation("lost-lease-keeps-writing", "lease", "core/coordination.py",
             "            raise LeaseLostError(self.lost, app=self.records.app) from None",
             "            return AppItem()",
             (COORDINATION + "test_a_holder_whose_lease_was_broken_stops_before_its_next_write",),
             "a fenced write refused by the token condition is ignored: the holder goes on writing"),
    Mutation("renew-does-not-extend", "lease", "core/coordination.py",
             "self._fenced(set_lease=(self.kind, _replace_expiry(self.info, expires)), flush=flush)",
             "self._fenced(set_lease=(self.kind, _replace_expiry(self.info, self.info.expires)), flush=flush)",
             (COORDINATION + "test_renewing_extends_the_lease_so_a_long_operation_keeps_it",),
             "renewing keeps the old expiry: a long operation loses its lease"),
    Mutation("release-unfenced", "lease", "core/coordination.py",
             "            self._fenced(set_docs=docs, remove_leases=(self.kind,))",
             "            self.records.update(set_docs=docs, remove_leases=(self.kind,))",
             (COORDINATION + "test_a_holder_whose_lease_expired_and_was_taken_over_releases_nothing_of_the_new_"
              "holders",),
             "release removes the lease whoever holds it now (a holder that lost it frees another's)"),
    Mutation("holder-not-named", "lease", "core/coordination.py",
             'return f"{self.holder} ({what}, since',
             'return f"({what}, since',
             (COORDINATION + "test_a_second_writer_waits_its_bounded_time_then_fails_naming_holder_operation_and_"
              "since",),
             "the refusal of a waiting writer no longer names who holds the lease"),
    # ---- the canary (ops/canary.py, ops/canary_plan.py, ops/analysis.py)
    Mutation("alarm-no-restore", "canary", "core/ops/canary.py",
             "                restore(aws, state, lease, plan, why=why)  # the canary's version loses its "
             "protection there",
             "                pass",
             (CANARY + "test_an_alarm_during_a_step_puts_all_traffic_back_and_fails_naming_it",),
             "an alarm during a step fails the cutover but leaves the step's traffic split"),
    Mutation("alarm-already-firing-moves-traffic", "canary", "core/ops/canary.py",
             "    already = first_alarm_firing(aws, plan.alarm_names)",
             "    already = None",
             (CANARY + "test_an_alarm_already_in_alarm_refuses_the_stepped_cutover_before_any_traffic_moves",),
             "a stepped cutover starts its first step while one of its alarms is already in ALARM"),
    Mutation("resume-skips-alarms", "canary", "core/ops/canary.py",
             "    fired = first_alarm_firing(aws, plan.alarm_names) if plan.alarm_names else None",
             "    fired = None",
             (T + "core/ops/test_canary_failures.py::test_a_rerun_of_a_canary_killed_before_its_first_step_reads_"
              "the_alarms_before_any_traffic_moves",),
             "a re-run taking over a crashed canary bakes on without reading the alarms first"),
    Mutation("step-drops-previous-group", "canary", "core/ops/canary_plan.py",
             "weights = {arn: (100 - percent if arn == live else 0) for arn in self.before}",
             "weights = {arn: 100 - percent for arn in self.before if arn == live}",
             (CANARY + "test_each_step_keeps_every_target_group_the_restore_needs",),
             "a step's forward action drops the previous version (weight 0) a restore returns to"),
    Mutation("dry-run-check-acts", "canary", "core/ops/analysis.py",
             "(dry run: reported, not acted on)\")\n            continue",
             "(dry run: reported, not acted on)\")",
             (ANALYSIS + "test_a_dry_run_metric_that_breaches_is_reported_at_each_step_and_never_acted_on",),
             "a dry-run metric check that breaches ends the canary"),
    Mutation("few-requests-judged", "canary", "core/ops/analysis.py",
             "    if new.requests < min_requests:",
             "    if new.requests < 0:",
             (ANALYSIS + "test_too_few_requests_with_policy_fail_restores_and_says_the_step_is_inconclusive",),
             "a step whose new version served fewer than min_requests is judged anyway"),
    Mutation("metric-breach-ignored", "canary", "core/ops/canary.py",
             "        if verdict.breach:",
             "        if verdict.breach and not verdict.breach:",
             (T + "e2e/test_delivery.py::test_a_canary_with_no_alarm_is_aborted_by_a_5xx_metric_and_exits_3",),
             "a breached metric check is logged but the canary goes on to 100% (end to end, the real CLI)"),
    # ---- cutover's refusals and --force (ops/cutover.py), rollback
    Mutation("verify-one-target", "cutover", "core/ops/cutover.py",
             "report = wait_for_healthy(aws, target, needed,",
             "report = wait_for_healthy(aws, target, 1,",
             (CUTOVER + "test_version_that_stays_unhealthy_until_the_timeout_is_refused_and_a_rerun_finishes_the_job",),
             "cutover switches once one target is healthy, not the live count"),
    Mutation("force-skips-scale-up", "cutover", "core/ops/cutover.py",
             '    if int(service["desiredCount"]) < needed:',
             '    if not args.force and int(service["desiredCount"]) < needed:',
             (CUTOVER + "test_force_switches_even_when_the_version_is_not_healthy",),
             "force also skips scaling the version to the live count (one task takes the whole site)"),
    Mutation("switch-unfenced", "cutover", "core/ops/cutover.py",
             "    fence_traffic(lease, {version, live})\n    set_live(",
             "    set_live(",
             (T + "core/ops/test_writers.py::test_a_cutover_whose_lease_is_broken_while_it_verifies_stops_before_"
              "switching",),
             "cutover writes the live rule without fencing its lease first"),
    Mutation("rollback-forced", "rollback", "core/ops/rollback.py",
             "timeout_seconds=args.timeout_seconds, force=args.force,",
             "timeout_seconds=args.timeout_seconds, force=True,",
             (T + "core/ops/test_rollback.py::test_rollback_to_an_unhealthy_previous_version_is_refused_and_the_live_"
              "one_stays",),
             "rollback switches back without checking the previous version's health"),
    # ---- teardown and check_destroy (ops/teardown.py)
    Mutation("teardown-live-unforced", "teardown", "core/ops/teardown.py",
             "        if state and state.forward and not args.force:",
             "        if state and state.forward and args.force and not args.force:",
             (APPS + "test_teardown_of_a_live_app_is_refused_unless_forced_and_then_removes_it_in_order",),
             "teardown of a live app goes ahead without force"),
    Mutation("destroy-leaves-versions", "teardown", "core/ops/teardown.py",
             "        elif left:",
             "        elif left and not left:",
             (APPS + "test_a_destroy_that_would_leave_versions_behind_is_refused_naming_them",),
             "a destroy that leaves version stacks behind (their services keep the cluster) is allowed"),
    # ---- verify and health (ops/verify.py, ops/health.py)
    Mutation("stopped-tasks-not-a-cause", "health", "core/ops/health.py",
             "if report.healthy == 0 and len(ecs_state.failed_tasks) >= max_failed_tasks:",
             "if report.healthy == 0 and len(ecs_state.failed_tasks) >= max_failed_tasks + 100:",
             (VERIFY + "test_broken_version_fails_fast_naming_cannot_pull_container_error",),
             "tasks that keep stopping are not a cause: verify waits for the timeout, saying less"),
    Mutation("scale-back-live", "verify", "core/ops/verify.py",
             "    role = state.role(target.version)\n    if role:\n        note",
             "    role = state.role(target.version)\n    if role and not role:\n        note",
             (VERIFY + "test_a_live_version_that_fails_a_verify_again_is_left_running_and_the_error_says_why",),
             "a failed verify scales the version to 0 even while it takes the live traffic"),
    Mutation("old-failures-count", "verify", "core/ops/verify.py",
             "    known_failures = stopped_task_arns(aws, target)",
             "    known_failures: frozenset[str] = frozenset()",
             (VERIFY + "test_verifying_again_after_the_image_is_pushed_ignores_the_earlier_failures",),
             "tasks stopped before this verify (an image pushed late) fail it"),
    # ---- pre-build checks (core/preflight.py, core/config_plan.py)
    Mutation("hook-args-unchecked", "pre-build", "core/preflight.py",
             "    for hook in plan.hooks:\n        try:",
             "    for hook in plan.hooks[:0]:\n        try:",
             (T + "hooks/test_check_build.py::TestChecksOfOneAccount::"
              "test_a_bad_argument_of_an_enabled_hook_is_refused_before_any_stack_changes",),
             "the hooks' arguments are not checked before the build (a typo fails after stacks changed)"),
    Mutation("disabled-hook-judged", "pre-build", "core/config_plan.py",
             "for hook in hooks if hook.enabled and (name",
             "for hook in hooks if (name",
             (T + "hooks/test_check_build.py::TestChecksOfOneAccount::test_a_disabled_hooks_arguments_are_not_judged",),
             "a disabled hook's arguments refuse the build"),
    # ---- names (core/naming.py, core/validation.py, core/ownership.py)
    Mutation("version-separator-lower-case", "naming", "core/naming.py",
             'VERSION_SEPARATOR = "-V-"',
             'VERSION_SEPARATOR = "-v-"',
             (T + "core/test_naming.py::test_no_application_stack_or_app_host_equals_a_version_stack_or_host",),
             "version stacks joined with '-v-', which an app name may contain (web-v-v1)"),
    Mutation("service-separator-dash", "naming", "core/naming.py",
             'SERVICE_SEPARATOR = "_"',
             'SERVICE_SEPARATOR = "-"',
             (T + "core/test_naming.py::test_pairs_that_collided_under_the_old_scheme_get_different_names",),
             "ECS service names joined with '-': web/admin-v1 and web-admin/v1 share a service"),
    Mutation("long-names-accepted", "validation", "core/validation.py",
             "    if len(value) > 40:",
             "    if len(value) > 60:",
             (T + "core/test_naming.py::test_names_outside_that_language_are_refused_naming_the_rule_broken",),
             "app and version names of 41-60 characters are accepted (host names past AWS limits)"),
    Mutation("shared-group-unchecked", "ownership", "core/ownership.py",
             "contract.VPC_ID: CLUSTER,\n"
             "                    contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID: CLUSTER},",
             "contract.VPC_ID: CLUSTER},",
             (T + "core/test_ownership.py::test_an_application_reading_another_namespaces_shared_load_balancer_group_"
              "is_refused",),
             "an application stack may join another environment's shared load-balancer group"),
    # ---- Sceptre's delete checks, the CFNgin and stacker adapters
    Mutation("sceptre-only-live-refused", "Sceptre adapter", "sceptre/check.py",
             "    if role in SERVING_ROLES:",
             '    if role == "live":',
             (T + "engines/test_sceptre_check.py::test_a_delete_of_the_previous_version_stack_is_refused_so_"
              "rollback_keeps_its_target",),
             "sceptre delete of the previous (rollback target) or a canary's version stack is allowed"),
    Mutation("sceptre-no-dependents", "Sceptre adapter", "sceptre/check.py",
             "            if id(s) not in chosen and any(",
             "            if False and id(s) not in chosen and any(",
             (T + "engines/test_sceptre_check.py::test_a_delete_of_the_cluster_is_checked_with_the_app_stacks_that_"
              "depend_on_it",),
             "sceptre delete <path> checks the stacks under the path, not those depending on them"),
    Mutation("cfngin-pipeline-deploys-all", "CFNgin adapter", "cfngin/hooks.py",
             "        if stack.name not in keep:\n            stack.enabled = False",
             "        if stack.name not in keep and False:\n            stack.enabled = False",
             (T + "engines/test_cfngin_build.py::test_an_app_pipeline_deploys_its_version_stack_and_no_other_stack",),
             "an app's pipeline deploy also updates the cluster and every application stack"),
    Mutation("cfngin-destroy-checks-nothing", "CFNgin adapter", "cfngin/hooks.py",
             "stacks=[stack.fqn for stack in context.stacks],",
             "stacks=[],",
             (T + "engines/test_cfngin_build.py::test_destroy_is_refused_while_an_app_it_deletes_is_live_naming_"
              "runways_teardown",),
             "runway destroy's check is given no stacks, so it allows everything"),
    Mutation("stacker-destroy-checks-nothing", "stacker adapter", "hooks/__init__.py",
             "stacks=[stack.fqn for stack in context.get_stacks()],",
             "stacks=[],",
             (T + "hooks/test_hooks.py::test_destroy_is_refused_while_an_app_it_deletes_is_live_naming_the_teardown",),
             "stacker destroy's check is given no stacks, so it allows everything"),
    # ---- the listener's write path and the templates
    Mutation("switch-forgets-previous", "listener", "core/ops/listener.py",
             "    if previous and previous != target_group_arn and state.version_of(previous):",
             "    if previous and previous != target_group_arn and state.version_of(previous) and False:",
             (T + "core/ops/test_listener.py::test_previous_live_version_is_recorded_at_weight_zero_after_the_next_"
              "cutover",),
             "the switch drops the old live group, so rollback has nothing to return to"),
    Mutation("host-rule-takes-live-host", "templates", "core/templates/version_network.py",
             "HostHeaderConfig=elb.HostHeaderConfig(Values=[spec.host]))",
             "HostHeaderConfig=elb.HostHeaderConfig(Values=[naming.app_host(spec.app, spec.domain)]))",
             (T + "core/templates/test_version.py::test_version_host_rule_forwards_the_versions_own_host_at_the_"
              "given_priority",),
             "a version's host rule matches the app's live host (a deploy takes the live traffic)"),
    Mutation("test-rule-without-header", "templates", "core/templates/version_network.py",
             "                Values=[naming.app_host(spec.app, spec.domain)])),\n"
             "            elb.Condition(Field=\"http-header\", HttpHeaderConfig=elb.HttpHeaderConfig(\n"
             "                HttpHeaderName=naming.TEST_HEADER, Values=[spec.version])),",
             "                Values=[naming.app_host(spec.app, spec.domain)])),",
             (T + "core/templates/test_version.py::test_version_has_a_test_header_rule_on_the_live_host_next_to_its_"
              "host_rule_never_at_the_live_priority",),
             "the test rule matches the live host without the test header (a deploy takes the live traffic)"),
    Mutation("iam-app-prefix", "IAM policy", "core/iam_policy.py",
             'return (f"app/{app}", f"history/{app}", f"history/{app}/*")',
             'return (f"app/{app}*", f"history/{app}", f"history/{app}/*")',
             (T + "core/test_iam_policy.py::test_with_an_app_the_pipeline_reaches_that_apps_coordination_items_only",),
             "app web's pipeline may write app web-admin's lease and records"),
    # ==== the third sample (2026-12-07): the CLI, history, status, cleanup in flight, smoke, analysis, account
    # checks, redeploys, priority, dashboard, adopt, diagnose, the emulator's AWS-like behaviours
    # ---- the CLI's exit statuses and --output json (cli.py)
    Mutation("cli-config-error-exits-1", "CLI", "cli.py",
             "status = (ExitStatus.BAD_ARGUMENTS if isinstance(exc, ConfigError) else",
             "status = (ExitStatus.FAILED if isinstance(exc, ConfigError) else",
             (CLI + "TestCommandsThatOnlyRead::test_status_of_a_malformed_app_name_exits_2_saying_what_to_fix",),
             "bad input exits 1, like a refusal, instead of 2"),
    Mutation("cli-rolled-back-exits-1", "CLI", "cli.py",
             "ExitStatus.ROLLED_BACK if isinstance(exc, CanaryRolledBackError) else ExitStatus.FAILED)",
             "ExitStatus.FAILED if isinstance(exc, CanaryRolledBackError) else ExitStatus.FAILED)",
             (CLI + "test_a_canary_an_alarm_ends_exits_3_with_all_traffic_back_and_one_json_document",),
             "a canary an alarm ended (traffic restored) exits 1 instead of 3"),
    Mutation("cli-paused-exits-0", "CLI", "cli.py",
             "    return int(ExitStatus.PAUSED if paused else ExitStatus.DONE)",
             "    return int(ExitStatus.DONE)",
             (CLI + "test_a_paused_canary_exits_4_and_its_json_document_says_4",),
             "a canary holding its share at a pause exits 0, as if the version were live"),
    Mutation("cli-json-paused-says-0", "CLI", "cli.py",
             'status = ExitStatus.PAUSED if isinstance(result, dict) and result.get("paused") else ExitStatus.DONE',
             "status = ExitStatus.DONE",
             (CLI + "test_a_paused_canary_exits_4_and_its_json_document_says_4",),
             "--output json says exit_status 0 for a paused canary"),
    Mutation("cli-json-error-missing", "CLI", "cli.py",
             '        if options.output == "json":\n            print(json.dumps({"command": options.command,',
             '        if False:\n            print(json.dumps({"command": options.command,',
             (CLI + "test_every_command_prints_one_json_document_on_stdout_with_output_json",),
             "a refused command with --output json prints no document"),
    # ---- history and events (ops/history.py, ops/events.py)
    Mutation("history-abort-as-failed", "history", "core/ops/history.py",
             "kind = events.ABORTED if isinstance(exc, CanaryRolledBackError) else events.FAILED",
             "kind = events.FAILED",
             (HISTORY + "test_a_canary_an_alarm_ends_is_recorded_as_aborted_with_the_traffic_it_put_back",),
             "a canary an alarm ended is recorded (and put on the bus) as failed, not aborted"),
    Mutation("history-pause-as-succeeded", "history", "core/ops/history.py",
             "        return events.PAUSED\n    return events.ROLLED_BACK",
             "        return events.SUCCEEDED\n    return events.ROLLED_BACK",
             (HISTORY + "test_a_pause_is_recorded_as_paused_with_the_share_it_holds",),
             "a canary paused at a step is recorded as succeeded"),
    Mutation("history-stale-slot-shown", "history", "core/ops/history.py",
             'if wanted.get(i["pk"]["S"]) == int(i["seq"]["N"])]',
             'if i["pk"]["S"] in wanted]',
             (HISTORY + "test_an_append_killed_between_its_two_calls_shows_no_entry_of_a_hundred_appends_before",),
             "an append killed after its counter shows the entry its slot held 100 appends earlier as the newest"),
    Mutation("history-actor-ignored", "history", "core/ops/history.py",
             "explicit = os.environ.get(ACTOR_ENV) or os.environ.get(HOLDER_ENV)",
             "explicit = os.environ.get(HOLDER_ENV)",
             (HISTORY + "test_who_is_stacker_ecs_actor_when_set_else_stacker_ecs_holder",),
             "STACKER_ECS_ACTOR (who runs the pipeline) is not what the history names"),
    Mutation("events-refused-put-fails", "events", "core/ops/events.py",
             '"%s: could not put the %s event (the operation goes on): %s", detail.get("app"), kind, exc)\n'
             "        return False",
             '"%s: could not put the %s event (the operation goes on): %s", detail.get("app"), kind, exc)\n'
             "        raise",
             (HISTORY + "test_a_refused_put_or_history_write_never_fails_the_cutover",),
             "a refused PutEvents fails the operation"),
    # ---- status's warnings (ops/status_warnings.py)
    Mutation("status-previous-unprotected-silent", "status", "core/ops/status_warnings.py",
             'REACHED = ("live", "split", "previous")',
             'REACHED = ("live", "split")',
             (STATUS + "test_an_unprotected_previous_version_is_a_warning_that_rollback_to_it_would_fail",),
             "status says nothing of an unprotected previous version (the rollback target)"),
    Mutation("status-offers-rollback-to-a-gone-version", "status", "core/ops/status_warnings.py",
             'previous = [r.version for r in rows if r.role == "previous" and not _gone(r)]',
             'previous = [r.version for r in rows if r.role == "previous"]',
             (STATUS + "test_a_live_version_deleted_by_hand_offers_no_rollback_to_a_previous_version_deleted_too",),
             "the repair of a live version deleted by hand offers a rollback to a previous version deleted too"),
    # ---- cleanup in flight (ops/cleanup.py)
    Mutation("cleanup-canary-not-held", "cleanup", "core/ops/cleanup.py",
             '            held[version] = f"part of the canary of {canary.describe()}"',
             "            pass",
             (T + "core/ops/test_writers.py::test_the_previous_version_stays_recorded_during_the_steps_so_cleanup_"
              "keeps_what_a_restore_needs",),
             "cleanup during a canary deletes the version a restore returns to"),
    Mutation("cleanup-in-progress-deleted", "cleanup", "core/ops/cleanup.py",
             '    if stack.status.endswith("_IN_PROGRESS"):',
             "    if False:",
             (T + "core/ops/test_cleanup_in_flight.py::test_a_stack_still_being_created_is_never_deleted",),
             "cleanup deletes a stack still being created"),
    # ---- the smoke command (ops/smoke.py)
    Mutation("smoke-timeout-not-stopped", "smoke", "core/ops/smoke.py",
             "        os.killpg(process.pid, signal.SIGKILL)\n",
             "",
             (SMOKE + "test_a_smoke_command_past_its_timeout_is_stopped_and_refuses_the_cutover",),
             "a smoke command past its timeout is waited for, not stopped"),
    # ---- the canary's metric analysis (ops/analysis.py)
    Mutation("threshold-equal-breaches", "canary analysis", "core/ops/analysis.py",
             "over = mine is not None and limit is not None and mine > limit",
             "over = mine is not None and limit is not None and mine >= limit",
             (ANALYSIS + "test_judge_table",),
             "a value equal to its threshold ('<=') breaches"),
    Mutation("stable-plus-multiplies", "canary analysis", "core/ops/analysis.py",
             "else stable + (self.plus or 0.0)",
             "else stable * (self.plus or 0.0)",
             (ANALYSIS + "test_judge_table",),
             "'stable + N' is read as N times the stable value"),
    Mutation("ratio-adds", "canary analysis", "core/ops/analysis.py",
             "return stable * self.ratio if self.ratio",
             "return stable + self.ratio if self.ratio",
             (ANALYSIS + "test_a_relative_latency_threshold_names_the_stable_value_and_the_threshold_it_makes",),
             "'1.5x stable' is read as the stable value plus 1.5"),
    Mutation("absolute-check-needs-stable-requests", "canary analysis", "core/ops/analysis.py",
             "    elif any(c.relative and not c.dry_run for c in checks) and stable.requests < min_requests:",
             "    elif stable.requests < min_requests:",
             (ANALYSIS + "test_absolute_checks_judge_a_late_step_whose_stable_version_served_few_requests",),
             "absolute checks are inconclusive while the stable version serves few requests (a late step)"),
    # ---- the pre-build account checks (core/account_check.py)
    Mutation("certificate-pending-accepted", "account checks", "core/account_check.py",
             '    if certificate.get("Status") != "ISSUED":',
             "    if False:",
             (CHECK_BUILD + "test_a_certificate_not_yet_issued_is_refused_naming_its_status",),
             "a brought certificate still pending validation passes the pre-build check (the listener fails later)"),
    Mutation("new-apps-security-groups-uncounted", "account checks", "core/account_check.py",
             "    if count + len(new_apps) <= quota:",
             "    if count <= quota:",
             (CHECK_BUILD + "TestChecksOfOneAccount::test_new_apps_past_the_regions_security_groups_are_refused",),
             "new apps' load balancer groups are not counted against the Region's security groups"),
    # ---- redeploys and settings (core/fingerprint.py, core/blueprint.py)
    Mutation("previous-changed-in-place", "redeploy", "core/fingerprint.py",
             'SERVING_ROLES = ("live", "previous", "serving")',
             'SERVING_ROLES = ("live", "serving", "previous-not")',
             (T + "blueprints/test_blueprints_render.py::test_a_changed_template_of_a_version_that_takes_traffic_is_"
              "refused_naming_the_fix",),
             "the previous version (the rollback target) may be changed in place"),
    Mutation("serving-count-unchecked", "redeploy", "core/fingerprint.py",
             "    if old_count and desired_count is not None and int(old_count) != desired_count:",
             "    if False:",
             (T + "blueprints/test_blueprints_render.py::test_a_serving_version_deployed_with_another_desired_count_"
              "is_refused",),
             "a live version's stack may set its service to another count in place"),
    Mutation("settings-file-loses", "settings file", "core/blueprint.py",
             "        values.update(load_settings(str(settings), where=where))",
             "        values = {**load_settings(str(settings), where=where), **values}",
             (T + "blueprints/test_blueprints_render.py::test_a_settings_file_wins_over_the_configs_variables",),
             "the config's variables win over the app's settings file"),
    # ---- the priority lookup (ops/priority.py), the deployed-version lookup (ops/lookups.py)
    Mutation("priority-test-rule-collides", "priority", "core/ops/priority.py",
             "    while priority in taken or naming.test_rule_priority(priority) in taken:",
             "    while priority in taken:",
             (T + "core/ops/test_priority.py::test_a_new_version_always_gets_a_free_priority_in_range",),
             "a new version's test-header rule may take a priority another rule holds (CreateRule fails)"),
    Mutation("deployed-role-always-idle", "lookups", "core/ops/lookups.py",
             'role = read_listener(aws, query.namespace, query.app).role(query.version) or "idle"',
             'role = "idle"',
             (T + "engines/test_cfngin_build.py::test_the_deployed_version_lookup_names_the_role_of_a_version",),
             "ecs_deployed_version calls every version idle, so a live one may be changed in place"),
    # ---- the dashboard, adopt, diagnose
    Mutation("dashboard-drops-previous", "dashboard", "core/ops/dashboard.py",
             '        elif role == "previous":\n            found[version] = role',
             '        elif False:\n            found[version] = role',
             (T + "core/ops/test_dashboard.py::test_the_dashboard_shows_exactly_the_versions_in_play_after_each_step_"
              "and_the_cutover",
              T + "core/ops/test_dashboard.py::test_cleanup_rewrites_the_dashboard_without_the_deleted_versions_and_"
              "keeps_the_previous_one"),
             "the dashboard cleanup rewrites leaves out the previous version (the rollback target)"),
    Mutation("adopt-dry-run-tags", "adopt", "core/ops/adopt.py",
             "            if not args.dry_run:\n                _tag(",
             "            if True:\n                _tag(",
             (T + "core/ops/test_inventory.py::test_adopt_dry_run_lists_what_it_would_tag_and_tags_nothing",),
             "adopt --dry-run tags the stacks"),
    Mutation("diagnose-names-a-later-failure", "diagnose", "core/ops/diagnose_findings.py",
             "        first = failed[-1] if failed else",
             "        first = failed[0] if failed else",
             (T + "core/ops/test_diagnose.py::test_a_stack_that_failed_to_create_shows_its_failed_event",
              T + "core/ops/test_diagnose.py::test_a_stack_whose_create_failed_is_explained_by_its_first_failure_not_"
              "the_cancellations_after_it"),
             "a failed stack is explained by its newest failed event (a cancellation) instead of the first (the "
             "cause)"),
    # ---- the emulator's AWS-like behaviours (emulator/aws_like/, in the checkout)
    Mutation("emulator-protected-stack-deleted", "emulator", "emulator/aws_like/termination.py",
             'if getattr(stack, "enable_termination_protection", False) and',
             "if False and",
             (T + "emulator/test_aws_like.py::test_a_stack_with_termination_protection_is_not_deleted",),
             "DeleteStack deletes a stack with termination protection (moto's behaviour)"),
    Mutation("emulator-modify-listener-unvalidated", "emulator", "emulator/aws_like/listener_actions.py",
             "            self._validate_actions([FakeAction(action) for action in actions])",
             "            pass",
             (T + "emulator/test_aws_like.py::test_modify_listener_refuses_a_target_group_that_does_not_exist",),
             "ModifyListener forwards to a target group that does not exist (moto's behaviour)"),
    Mutation("emulator-duplicate-record-allowed", "emulator", "emulator/aws_like/route53_records.py",
             "        if any(_key(r.name, r.type, r.set_identifier) == new for r in self.rrsets):",
             "        if False:",
             (T + "emulator/test_aws_like.py::test_route53_create_of_an_existing_record_fails_through_the_api_and_"
              "cloudformation",),
             "CREATE of an existing Route 53 record succeeds (moto's behaviour)"),
    Mutation("emulator-no-op-update-accepted", "emulator", "emulator/aws_like/stack_update.py",
             "        if _unchanged(self, stack, template, parameters, tags):",
             "        if False:",
             (T + "emulator/test_aws_like.py::test_an_update_that_changes_nothing_is_refused_with_no_updates_are_to_"
              "be_performed",),
             "an UpdateStack that changes nothing succeeds (moto's behaviour; the engines expect AWS's refusal)"),
    # ==== the fourth sample (2026-12-07): the templates (version, IAM, cluster, application), protection, alarms,
    # gates, waits, unlock, inventory, services, the cluster's services, switches, lookup queries, the registry,
    # the AWS context and clock, contract, and the stacker, CFNgin and Sceptre adapters
    # ---- the version template: health checks, deregistration, networking (core/templates/version*.py, containers.py)
    Mutation("version-deregistration-delay-fixed", "version template", "core/templates/version_network.py",
             'Key="deregistration_delay.timeout_seconds", Value=str(spec.deregistration_delay_seconds))],',
             'Key="deregistration_delay.timeout_seconds", Value="300")],',
             (VERSION_T + "test_version_ec2_target_group_registers_instances_with_the_specs_health_check",
              VERSION_T + "test_version_target_group_defaults_deregistration_delay_to_30_seconds"),
             "DeregistrationDelaySeconds is ignored: every version drains for AWS's 300 s default"),
    Mutation("version-health-check-path-root", "version template", "core/templates/version_network.py",
             "        HealthCheckPath=spec.health_check_path,",
             '        HealthCheckPath="/",',
             (VERSION_T + "test_version_ec2_target_group_registers_instances_with_the_specs_health_check",),
             "the target group checks '/' instead of the app's HealthCheckPath (a broken app passes verify)"),
    Mutation("version-fargate-public-ip", "version template", "core/templates/version.py",
             'AssignPublicIp="DISABLED"',
             'AssignPublicIp="ENABLED"',
             (VERSION_T + "test_version_fargate_service_runs_in_the_cluster_subnets_without_public_ips",),
             "Fargate tasks get public IP addresses"),
    Mutation("version-task-runs-as-execution-role", "IAM least privilege", "core/templates/version.py",
             '"TaskRoleArn": GetAtt(task_role, "Arn"),',
             '"TaskRoleArn": GetAtt(execution_role, "Arn"),',
             (T + "core/templates/test_iam.py::test_tasks_run_with_a_task_role_separate_from_the_execution_role",),
             "the containers run with the execution role (they may read every secret and pull every image it may)"),
    Mutation("version-logs-to-any-group", "IAM least privilege", "core/templates/version_iam.py",
             ':log-group:${Group}:*"',
             ':log-group:*"',
             (VERSION_T + "test_version_execution_role_writes_logs_only_to_the_cluster_log_group",),
             "the execution role may write to every log group of the account"),
    Mutation("version-pulls-any-repository", "IAM least privilege", "core/templates/version_iam.py",
             "ecr.BatchGetImage], Resource=repositories),",
             'ecr.BatchGetImage], Resource=["*"]),',
             (VERSION_T + "test_version_execution_role_pulls_only_from_the_repository_of_an_ecr_image",),
             "the execution role may pull from every ECR repository"),
    Mutation("version-secret-json-key-unreadable", "IAM least privilege", "core/templates/version_iam.py",
             'secrets.append(":".join(source.split(":")[:7]) + "*" if source.count(":") > 6 else source + "*")',
             'secrets.append(source + "*")',
             (VERSION_T + "test_version_execution_role_reads_a_secrets_manager_secret_whatever_json_key_is_named",),
             "a secret named with a JSON key gets a resource that matches no secret (tasks cannot start)"),
    Mutation("version-image-on-every-container", "version template", "core/templates/containers.py",
             '        if image and container["name"] == target:',
             "        if image:",
             (VERSION_T + "test_version_image_replaces_only_the_target_containers_image",),
             "this build's image replaces the sidecars' images too"),
    Mutation("version-ec2-fixed-host-port", "version template", "core/templates/containers.py",
             '                mapping.setdefault("hostPort", 0)',
             '                mapping.setdefault("hostPort", mapping["containerPort"])',
             (VERSION_T + "test_version_ec2_task_uses_bridge_networking_with_dynamic_host_ports",),
             "EC2 tasks bind a fixed host port: a second task (the new version) cannot start on the same instance"),
    Mutation("version-credential-in-plain-environment", "version template", "core/templates/containers.py",
             "            if CREDENTIAL_NAME.search(name):",
             "            if CREDENTIAL_NAME.fullmatch(name):",
             (BAD_INPUT + "test_bad_input_is_refused_with_a_config_error_naming_the_field_and_the_fix[plain-env-var-"
              "db-password]",),
             "DB_PASSWORD as a plain environment value is accepted (only one named exactly PASSWORD is refused)"),
    # ---- the cluster and application templates
    Mutation("cluster-imds-v1", "cluster template", "core/templates/cluster.py",
             'HttpTokens="required"',
             'HttpTokens="optional"',
             (CLUSTER_T + "test_cluster_ec2_launch_template_requires_imdsv2_and_encrypts_the_root_volume",),
             "instances answer IMDSv1 (a request forgery reads the instance role's credentials)"),
    Mutation("cluster-containers-open-to-all", "cluster template", "core/templates/cluster.py",
             "        SourceSecurityGroupId=Ref(shared),",
             '        CidrIp="0.0.0.0/0",',
             (CLUSTER_T + "test_cluster_containers_admit_the_environments_load_balancers_by_one_rule_from_their_shared_"
              "group",),
             "the containers admit the container ports from anywhere, not only from the environment's load balancers"),
    Mutation("application-load-balancer-egress-open", "application template", "core/templates/application.py",
             "        SecurityGroupEgress=[no_egress()],\n",
             "",
             (T + "core/templates/test_application.py::test_application_load_balancer_security_group_admits_80_and_443_"
              "and_sends_nothing",),
             "the load balancer's own group keeps AWS's default allow-all egress"),
    # ---- termination protection (ops/protection.py)
    Mutation("protection-never-on", "protection", "core/ops/protection.py",
             "    on = [v for v in sorted(reaching) if set_protection(aws, namespace, app, v, on=True)]",
             "    on: list[str] = []",
             (CUTOVER + "test_cutover_scales_the_new_version_to_the_live_count_verifies_it_switches_and_protects_"
              "both",),
             "the versions the live rule reaches are never protected (a stack delete by hand takes the site down)"),
    Mutation("protection-never-off", "protection", "core/ops/protection.py",
             "    off = [v for v in sorted(before - reaching) if",
             "    off = [v for v in sorted(before - reaching - before) if",
             (T + "core/ops/test_cleanup.py::test_cleanup_without_keep_previous_deletes_a_previous_version_the_"
              "listener_no_longer_records",),
             "a version the live rule no longer reaches keeps its protection (cleanup can never delete it)"),
    Mutation("protection-record-forgets-the-old", "protection", "core/ops/protection.py",
             '    return {"versions": sorted(before | reaching), "pending": True}',
             '    return {"versions": sorted(reaching), "pending": True}',
             (CUTOVER + "test_a_cutover_killed_before_it_unprotects_the_old_previous_version_is_finished_by_a_rerun",),
             "the fence's record names only what will be protected: a run killed before it unprotects the old "
             "previous version forgets it, protected for good (cleanup keeps it)"),
    Mutation("protection-switched-before-recorded", "protection", "core/ops/protection.py",
             "        lease.check()  # recorded before any switch",
             "        pass  # recorded before any switch",
             (T + "core/ops/test_canary_failures.py::test_a_canary_killed_right_after_protecting_its_version_recorded_"
              "it_first_so_the_restore_unprotects_it",),
             "protection is switched on before it is recorded: a canary killed meanwhile leaves its version protected "
             "for good once traffic is restored"),
    # ---- alarms, gates, waits, unlock (ops/alarms.py, ops/gates.py, ops/wait.py, ops/unlock.py)
    Mutation("alarms-missing-accepted", "alarms", "core/ops/alarms.py",
             "    if missing:\n        raise ConfigError(",
             "    if False:\n        raise ConfigError(",
             (WRITERS + "test_a_misspelt_alarm_is_refused_before_any_change",),
             "a misspelt alarm name is accepted: the canary watches an alarm that never fires"),
    Mutation("alarms-composite-ignored", "alarms", "core/ops/alarms.py",
             "AlarmNames=batch, AlarmTypes=ALARM_TYPES, **filters)",
             "AlarmNames=batch, **filters)",
             (WRITERS + "test_a_composite_alarm_in_alarm_stops_the_canary",),
             "composite alarms are never read (CloudWatch returns metric alarms only without AlarmTypes)"),
    Mutation("bake-ignores-abort", "alarms", "core/ops/alarms.py",
             "        still_ours()\n        return first_alarm_firing(aws, alarm_names)",
             "        return first_alarm_firing(aws, alarm_names)",
             (WRITERS + "test_rollback_during_a_canary_aborts_it_restores_the_recorded_state_and_the_canary_stops_"
              "within_one_poll",),
             "a bake goes on after an operator's rollback aborted its canary (the runner moves traffic again)"),
    Mutation("gates-expired-pause-unexplained", "gates", "core/ops/gates.py",
             "            if plan is None and recorded is not None and recorded.pause_expired(records.wall()):",
             "            if False:",
             (GATES + "test_a_pause_that_timed_out_is_aborted_by_the_next_look",),
             "a promote of a pause that timed out (and was aborted) says 'nothing to promote', not why and where "
             "traffic is"),
    Mutation("wait-sleeps-past-the-deadline", "waits", "core/ops/wait.py",
             "        clock.sleep(min(next(intervals), timeout_seconds - elapsed))",
             "        clock.sleep(next(intervals))",
             (T + "core/ops/test_health.py::test_wait_polls_at_growing_intervals_capped_at_two_seconds_and_stops_at_"
              "the_deadline",),
             "a wait sleeps its whole interval past its deadline"),
    Mutation("unlock-keeps-the-runner-lease", "unlock", "core/ops/unlock.py",
             "records.break_leases(LEASE, RUNNER)",
             "records.break_leases(LEASE)",
             (T + "core/ops/test_canary_failures.py::test_unlock_breaks_both_leases_a_killed_canary_left_so_a_rerun_"
              "resumes_it_at_once",),
             "unlock breaks the write lease but not the canary-runner lease: a re-run is refused until it expires"),
    # ---- inventory, services, the cluster's services (ops/inventory.py, ops/services.py, ops/cluster_services.py)
    Mutation("inventory-deleted-stack-fails", "inventory", "core/ops/inventory.py",
             '            if not (exc.code == "ValidationError" and "does not exist" in str(exc)):\n'
             "                raise",
             "            raise",
             (T + "core/ops/test_inventory.py::test_a_deleted_stack_the_tagging_api_still_returns_is_skipped",),
             "a stack the tagging API still returns after its delete fails cleanup, status and teardown"),
    Mutation("services-autoscaling-minimum-not-raised", "services", "core/ops/services.py",
             "    if autoscaling:\n        set_min_capacity(aws, target, count)",
             "    if False:\n        set_min_capacity(aws, target, count)",
             (CUTOVER + "test_autoscaled_version_gets_its_minimum_capacity_raised_so_scaling_does_not_undo_the_scale_"
              "up",),
             "an autoscaled version is scaled to the live count but its minimum stays: scaling takes it back down"),
    Mutation("services-maximum-not-raised", "services", "core/ops/services.py",
             '    maximum = max([count, *(int(t["MaxCapacity"]) for t in found)])',
             '    maximum = max([int(t["MaxCapacity"]) for t in found] or [count])',
             (CUTOVER + "test_an_autoscaling_maximum_below_the_live_count_is_raised_with_the_minimum",),
             "a maximum below the live count is kept (Application Auto Scaling refuses a minimum above it)"),
    Mutation("cluster-services-leaving-block", "teardown", "core/ops/cluster_services.py",
             '        if service["serviceName"] in (leaving or set()):\n            continue',
             '        if False:\n            continue',
             (APPS + "test_teardown_of_the_environment_refuses_while_an_app_is_live_then_removes_everything",),
             "teardown-environment counts the services of the apps it is deleting as blocking the cluster"),
    Mutation("cluster-services-untagged-without-adopt", "teardown", "core/ops/cluster_services.py",
             "    if tags.get(contract.TAG_APP) != app:",
             "    if False:",
             (T + "core/ops/test_teardown_environment.py::test_a_version_stack_without_the_app_tag_is_refused_up_"
              "front_naming_its_service_stack_and_adopt",),
             "a version stack without the app tag is refused without naming `stacker-ecs adopt`, the fix"),
    # ---- the build's switches, lookup queries, settings, the registry (core/)
    Mutation("switches-rollback-with-cutover", "switches", "core/switches.py",
             'ALONE = ("rollback", "teardown")',
             'ALONE = ("teardown",)',
             (APPS + "test_a_build_whose_switches_cannot_run_is_refused_naming_the_fix[rollback-with-cutover]",),
             "a build may cut over and roll back at once"),
    Mutation("lookup-query-namespace-overridden", "lookups", "core/lookup_query.py",
             '    if namespace and "namespace" not in data:',
             "    if namespace:",
             (T + "lookups/test_lookups.py::TestReadsOfTheDeployedWorld::test_namespace_comes_from_the_config_unless_"
              "the_query_gives_one",),
             "a lookup's own namespace= is replaced by the config's (it reads another environment)"),
    Mutation("settings-file-not-a-mapping-accepted", "settings file", "core/settings_file.py",
             "    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):",
             "    if False:",
             (T + "blueprints/test_blueprints_render.py::test_a_bad_settings_file_is_refused_naming_it",),
             "a settings file holding a list is not refused in one line naming it"),
    Mutation("registry-pause-ends-no-run", "registry", "core/registry.py",
             "    raise SystemExit(PAUSED_EXIT_STATUS)",
             "    return",
             (T + "hooks/test_hooks.py::test_a_cutover_that_pauses_ends_stackers_run_with_exit_status_4_saying_so",),
             "a paused canary lets the engine's run go on (its cleanup hook runs) and exit 0"),
    Mutation("contract-failed-stack-app-and-version-swapped", "contract", "core/contract.py",
             'return (match["app"], match["version"]) if match else None',
             'return (match["version"], match["app"]) if match else None',
             (T + "core/ops/test_cleanup.py::test_failed_version_stacks_are_listed_by_their_description",),
             "a failed version stack (no outputs) is not recognised as its app's, so cleanup leaves it for good"),
    # ---- the AWS context and AWS's clock (core/aws.py, core/aws_clock.py)
    Mutation("aws-clock-skew-ignored", "AWS clock", "core/aws_clock.py",
             "        self.offset = offset if abs(offset) > RESOLUTION_SECONDS else 0.0",
             "        self.offset = 0.0",
             (T + "core/test_aws_clock.py::test_a_runner_an_hour_ahead_writes_awss_time",),
             "a runner whose clock is an hour ahead writes its own time (it takes held leases early)"),
    Mutation("aws-botocore-error-escapes", "AWS context", "core/aws.py",
             "    except (BotoCoreError, ResponseParserError) as exc:",
             "    except ResponseParserError as exc:",
             (T + "core/ops/test_aws_context.py::test_an_unreachable_endpoint_fails_with_one_message_naming_the_call",),
             "an unreachable endpoint (a BotoCoreError) ends in a traceback, not one message naming the call"),
    # ---- the engine adapters (hooks/, cfngin/, sceptre/)
    Mutation("stacker-hook-namespace-overridden", "stacker adapter", "hooks/__init__.py",
             '        if namespace and "namespace" not in data:',
             "        if namespace:",
             (T + "hooks/test_hooks.py::test_a_hooks_own_namespace_wins_over_the_configs",),
             "a stacker hook's own namespace argument is replaced by the config's"),
    Mutation("cfngin-named-app-deploys-every-stack", "CFNgin adapter", "cfngin/hooks.py",
             '        if result["switches"] or named != "none":',
             '        if result["switches"]:',
             (T + "engines/test_cfngin_build.py::test_a_deploy_that_names_an_app_without_a_switch_deploys_no_stack",),
             "a deploy naming an app with no switch on deploys the cluster and every application stack"),
    Mutation("sceptre-hook-runs-on-another-apps-stack", "Sceptre adapter", "sceptre/hooks.py",
             '        if own is not None and str(data.get("app")) != own:',
             "        if False:",
             (T + "engines/test_sceptre_adapters.py::test_a_lifecycle_hook_on_another_apps_stack_does_nothing",),
             "a group's cutover hook for app web runs on app web-admin's stack too"),
    Mutation("sceptre-hook-after-a-failed-launch", "Sceptre adapter", "sceptre/common.py",
             "    if status not in LAUNCHED_STATES:",
             "    if False:",
             (T + "engines/test_sceptre_adapters.py::test_hook_refuses_to_run_after_a_launch_that_failed",),
             "a Sceptre after_launch hook cuts over after its stack's launch failed"),
    Mutation("sceptre-disabled-hook-runs", "Sceptre adapter", "sceptre/common.py",
             "    return data if enabled else None",
             "    return data",
             (T + "engines/test_sceptre_adapters.py::TestReadsOfOneLiveWorld::test_hook_does_nothing_when_not_"
              "enabled",),
             "a Sceptre hook with enabled: false runs"),
    Mutation("version-spec-timeout-equal-to-interval", "version template", "core/templates/version_spec.py",
             "        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:",
             "        if self.health_check_timeout_seconds > self.health_check_interval_seconds:",
             (BAD_INPUT + "test_bad_input_is_refused_with_a_config_error_naming_the_field_and_the_fix[health-check-"
              "timeout-not-below-interval]",),
             "a health-check timeout equal to its interval passes the render (ELB refuses it mid-deploy)"),
    Mutation("version-task-fargate-sizes-unchecked", "version template", "core/templates/version_task.py",
             "        ctr.check_sizes(task, spec.launch_type)",
             '        ctr.check_sizes(task, "EC2")',
             (BAD_INPUT + "test_bad_input_is_refused_with_a_config_error_naming_the_field_and_the_fix[fargate-cpu-256-"
              "with-memory-4096]",),
             "a Fargate task size Fargate does not offer passes the render (ECS refuses it mid-deploy)"),
    Mutation("templates-users-tags-dropped", "templates", "core/templates/common.py",
             "    tags.update(extra or {})",
             "    pass",
             (T + "core/templates/test_application.py::test_application_tags_name_environment_and_app_plus_the_"
              "users_own",),
             "the user's own Tags (cost allocation, ownership) are left off every resource"),
    Mutation("cli-no-boolean-negation", "CLI", "cli.py",
             '        options["action"] = argparse.BooleanOptionalAction',
             '        options["action"] = "store_true"',
             (CLI + "test_cleanup_no_keep_previous_keeps_the_previous_version_cutover_protected",),
             "a boolean option whose default is on cannot be switched off (--no-keep-previous is refused)"),
    Mutation("stacker-blueprint-unknown-variable-dropped", "stacker adapter", "blueprints/base.py",
             "        self.check_given(v.name for v in provided_variables)\n",
             "",
             (T + "blueprints/test_blueprints_render.py::test_blueprint_unknown_variable_is_refused_naming_it",),
             "a misspelt blueprint variable is dropped silently by stacker (the stack deploys with the default)"),
    Mutation("stacker-lookup-ignores-config-namespace", "stacker adapter", "lookups/__init__.py",
             '                          namespace=getattr(context, "namespace", None) or None)',
             "                          namespace=None)",
             (T + "lookups/test_lookups.py::TestReadsOfTheDeployedWorld::test_namespace_comes_from_the_config_unless_"
              "the_query_gives_one",),
             "a stacker lookup ignores the config's namespace"),
    Mutation("cfngin-persistent-graph-accepted", "CFNgin adapter", "cfngin/graph.py",
             "    if key:\n        raise ConfigError(",
             "    if False:\n        raise ConfigError(",
             (T + "engines/test_cfngin_adapters.py::test_blueprint_refuses_persistent_graph_key_naming_the_danger_and_"
              "the_fix",),
             "a CFNgin config with persistent_graph_key is accepted (CFNgin then deletes a live version's stack)"),
    Mutation("sceptre-handler-accepts-a-name-hooks-miss", "Sceptre adapter", "sceptre/handler.py",
             '        if not namespace or (group and not namespace.endswith(f"-{group}")):',
             "        if False:",
             (T + "engines/test_sceptre_adapters.py::test_handler_refuses_a_stack_outside_its_groups_namespace",
              T + "engines/test_sceptre_adapters.py::test_handler_refuses_a_stack_named_otherwise_than_hooks_find_it"),
             "a Sceptre stack outside its group's namespace is rendered (the group's hooks and resolvers look for "
             "another name), and one named otherwise is told a wrong name to use"),
    Mutation("sceptre-resolver-ignores-stack-namespace", "Sceptre adapter", "sceptre/resolvers.py",
             "                              namespace=stack_namespace(self.stack))",
             "                              namespace=None)",
             (T + "engines/test_sceptre_adapters.py::TestReadsOfOneLiveWorld::test_resolvers_read_the_live_state_under_"
              "the_stack_namespace",),
             "a Sceptre resolver ignores its stack's namespace"),
)


def installed_package(python: Path) -> Path:
    """Return the directory of the ``stacker_ecs`` package ``python`` imports (found, not imported)."""
    code = ("import importlib.util; spec = importlib.util.find_spec('stacker_ecs'); "
            "print(list(spec.submodule_search_locations)[0])")
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout
    return Path(out.strip())


def differing_files(checkout: Path, installed: Path) -> list[str]:
    """Return the ``.py`` files of ``checkout`` whose installed copy is missing or differs."""
    return sorted(str(source.relative_to(checkout)) for source in checkout.rglob("*.py")
                  if "__pycache__" not in source.parts
                  and (not (copy := installed / source.relative_to(checkout)).is_file()
                       or copy.read_bytes() != source.read_bytes()))


def emulator_changes(modules: set[str]) -> list[str]:
    """Return those of the checkout's emulator ``modules`` that differ from git's HEAD (a killed run's mutation)."""
    if not modules:
        return []
    out = subprocess.run(["git", "diff", "--name-only", "HEAD", "--", *sorted(modules)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def drop_bytecode(module: Path) -> None:
    """Delete the module's cached bytecode, so the next import compiles the source as it is now."""
    for cached in (module.parent / "__pycache__").glob(f"{module.stem}.*.pyc"):
        cached.unlink(missing_ok=True)


@dataclass(frozen=True)
class Outcome:
    """What one row's run found."""

    result: str
    """``caught``, ``MISSED`` or ``ERROR``."""
    seconds: float
    detail: str = ""


def run(mutation: Mutation, package: Path, python: Path) -> Outcome:
    """Apply ``mutation`` alone to the installed ``package``, run its tests, restore the original bytes."""
    started = time.monotonic()
    path = ROOT / mutation.module if mutation.module.startswith(EMULATOR) else package / mutation.module
    original = path.read_bytes()
    text = original.decode()
    found = text.count(mutation.old)
    if found != 1:
        return Outcome("ERROR", time.monotonic() - started, f"old text found {found} times in {mutation.module}")
    stat = path.stat()
    try:
        path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
        drop_bytecode(path)
        env = {**os.environ, "STACKER_STACK_POLL_TIME": "1", "CFNGIN_STACK_POLL_TIME": "1"}
        # its own process group: an interrupt stops pytest and what it started (emulator servers, engine CLIs)
        with subprocess.Popen([str(python), *PYTEST, *mutation.tests], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True) as tests:
            try:
                output, _ = tests.communicate()
            except BaseException:
                os.killpg(tests.pid, signal.SIGKILL)
                raise
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        drop_bytecode(path)
    seconds = time.monotonic() - started
    lines = output.strip().splitlines()
    if tests.returncode == 1:
        failed = next((line for line in lines if line.startswith("FAILED")), lines[-1] if lines else "")
        return Outcome("caught", seconds, failed)
    if tests.returncode == 0:
        return Outcome("MISSED", seconds, lines[-1] if lines else "")
    return Outcome("ERROR", seconds, f"pytest exit status {tests.returncode}: " + "\n".join(lines[-15:]))


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through run()'s finally: the module is restored


def main(argv: list[str] | None = None) -> int:
    """Run the rows whose name contains one of the filters (all without one); return 0 if every one is caught."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filters", nargs="*", help="run only rows whose name contains one of these")
    parser.add_argument("--verbose", "-v", action="store_true", help="print the first failure of each caught row")
    options = parser.parse_args(argv)
    python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
    package = installed_package(python)
    checkout = ROOT / "stacker_ecs"
    if package.resolve() == checkout.resolve():
        print(f"{python} imports stacker_ecs from the checkout; run `make install` (mutations go to the installed "
              "copy)", file=sys.stderr)
        return 2
    stale = differing_files(checkout, package)
    if stale:
        print(f"the installed copy in {package} differs from the checkout ({', '.join(stale[:5])}"
              f"{', ...' if len(stale) > 5 else ''}); a killed run may have left a mutation in it, or the checkout "
              "changed since: reinstall with `rm .venv/.package-installed && make install` (plain `make install` does "
              "nothing while the checkout is unchanged), then run this again", file=sys.stderr)
        return 2
    chosen = [m for m in MUTATIONS if not options.filters or any(f in m.name for f in options.filters)]
    if not chosen:
        print(f"no mutation's name contains {' or '.join(options.filters)}", file=sys.stderr)
        return 2
    changed = emulator_changes({m.module for m in chosen if m.module.startswith(EMULATOR)})
    if changed:
        print(f"{', '.join(changed)} differ from git's HEAD; a killed run may have left a mutation in them, or you are "
              "editing them: `git diff` shows which (`git checkout -- <file>` restores), then run this again",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    width = max(len(m.name) for m in chosen)
    print(f"{len(chosen)} mutations of {package}, each alone\n")
    counts: dict[str, int] = {}
    for mutation in chosen:
        try:
            outcome = run(mutation, package, python)
        except KeyboardInterrupt:
            print(f"\ninterrupted at {mutation.name}; {mutation.module} is restored", file=sys.stderr)
            return 130
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        tests = ", ".join(t.rsplit("::", 1)[-1] for t in mutation.tests)
        print(f"{mutation.name:<{width}}  {outcome.result:<6}  {outcome.seconds:6.1f}s  {mutation.area}: {tests}",
              flush=True)
        if outcome.result != "caught" or options.verbose:
            print("    " + outcome.detail.replace("\n", "\n    "), flush=True)
    print("\n" + ", ".join(f"{n} {r}" for r, n in sorted(counts.items())))
    return 0 if counts.get("caught", 0) == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
