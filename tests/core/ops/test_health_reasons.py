"""Every target health reason AWS documents is classified: it makes verify wait, fail at once, or fail once all fail."""

from __future__ import annotations

import botocore.session
import pytest

from stacker_ecs.core.ops.health import (
    ALL_FAILED,
    NEVER,
    TARGET_REASONS,
    WAIT,
    EcsState,
    HealthReport,
    failure_cause,
)

MODEL = botocore.session.get_session().get_service_model("elbv2")
SERVICE = {"serviceName": "web_v1", "deployments": [], "events": []}


def described(state: str, reason: str, count: int = 1) -> HealthReport:
    """Return a report of ``count`` targets in ``state`` with ``reason``."""
    targets = [{"Target": {"Id": f"10.42.200.{i + 1}", "Port": 32768 + i},
                "TargetHealth": {"State": state, "Reason": reason, "Description": f"{reason} described"}}
               for i in range(count)]
    return HealthReport(healthy=0, targets=targets)


def test_every_reason_in_botocores_model_is_classified_and_nothing_else():
    documented = set(MODEL.shape_for("TargetHealthReasonEnum").enum)

    assert set(TARGET_REASONS) == documented  # a reason AWS adds fails here until it is classified
    assert {r.verdict for r in TARGET_REASONS.values()} <= {WAIT, NEVER, ALL_FAILED}
    assert all(r.fix for r in TARGET_REASONS.values())


STATE_OF = {"Elb.RegistrationInProgress": "initial", "Elb.InitialHealthChecking": "initial",
            "Target.ResponseCodeMismatch": "unhealthy", "Target.Timeout": "unhealthy",
            "Target.FailedHealthChecks": "unhealthy", "Target.NotRegistered": "unused", "Target.NotInUse": "unused",
            "Target.InvalidState": "unused", "Target.IpUnusable": "unused",
            "Target.DeregistrationInProgress": "draining", "Target.HealthCheckDisabled": "unavailable",
            "Elb.InternalError": "unavailable"}
"""The state each reason comes with, as botocore's ``TargetHealth.Reason`` documentation lists them."""


@pytest.mark.parametrize("reason", sorted(TARGET_REASONS))
def test_one_target_with_a_reason_ends_verify_only_when_it_can_never_serve(reason: str):
    cause = failure_cause(described(STATE_OF[reason], reason), EcsState(SERVICE, []), expected=2, max_failed_tasks=3)

    if TARGET_REASONS[reason].verdict == NEVER:
        assert cause == (f"1 of 1 targets can never serve: {reason}: {reason} described; "
                         f"{TARGET_REASONS[reason].fix}")
    else:
        assert cause is None


@pytest.mark.parametrize("reason", sorted(r for r, v in TARGET_REASONS.items() if v.verdict == ALL_FAILED))
def test_failed_health_checks_end_verify_once_as_many_targets_as_needed_fail(reason: str):
    cause = failure_cause(described("unhealthy", reason, 2), EcsState(SERVICE, []), expected=2, max_failed_tasks=3)

    assert cause == (f"all 2 targets failed their health checks: {reason}: {reason} described; "
                     f"{TARGET_REASONS[reason].fix}")


def test_not_in_use_names_the_zones_read_instead_of_the_generic_fix():
    zones = "the tasks' subnets subnet-1 (us-east-1a) lie in zones the load balancer web does not serve"

    cause = failure_cause(described("unused", "Target.NotInUse"), EcsState(SERVICE, []), expected=1,
                          max_failed_tasks=3, zones=zones)

    assert cause == f"1 of 1 targets can never serve: Target.NotInUse: Target.NotInUse described; {zones}"


def test_a_reason_aws_may_add_later_makes_verify_wait_and_is_named_on_timeout():
    assert failure_cause(described("unused", "Target.SomethingNew"), EcsState(SERVICE, []), expected=1,
                         max_failed_tasks=3) is None
