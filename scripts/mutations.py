"""`make mutations` (``python -m scripts.mutations [name-filter ...]`` from the repo root): can the tests fail?

Each row of :data:`MUTATIONS` changes one thing in one module of ``stacker_ecs`` (an exact text that
must occur exactly once, replaced), alone, in the INSTALLED copy of the package (the one every test
imports: the package's .pth file imports it from site-packages at start-up), runs the tests named to
catch it, and restores the original bytes. A row is ``caught`` when one of its tests fails, ``MISSED``
when they all pass, ``ERROR`` when its text is not found exactly once or pytest cannot run the tests.
The exit status is 1 unless every row is caught, so the table cannot rot silently. Not part of
``make test``: each row is a pytest run.

Refuses to start while the installed copy differs from the checkout (a killed run may have left a
mutation installed, or the checkout changed since ``make install``): reinstall first
(``rm .venv/.package-installed && make install``).
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


@dataclass(frozen=True)
class Mutation:
    """One change to one module, and the tests whose names promise to catch it."""

    name: str
    area: str
    module: str
    """Path under ``stacker_ecs/``, e.g. ``core/coordination.py``."""
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
             "                restore(aws, state, lease, plan, why=why)\n"
             "                protect_traffic(aws, lease, namespace, app)",
             "                protect_traffic(aws, lease, namespace, app)",
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
    path = package / mutation.module
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
