"""ELB refuses rules and load balancers past the account's quotas, and says what those are.

AWS ("Quotas for your Application Load Balancers"): 100 rules per Application Load Balancer (the
default rules not counted), 50 Application Load Balancers per Region, both adjustable; past them
``CreateRule`` answers ``TooManyRules`` and ``CreateLoadBalancer`` ``TooManyLoadBalancers``
(botocore's elbv2 model), and ``DescribeAccountLimits`` reports the account's limits. moto 5.2.5
enforces neither and reports 20 load balancers. Tests lower a limit with :func:`set_limit` (the
pre-build check must name it before the first change); :func:`reset` restores AWS's defaults.

Service Quotas: moto answers ``GetServiceQuota`` with the default of a few VPC quotas only;
:data:`SERVICE_QUOTAS` holds values a test applies (e.g. 60 inbound rules per security group,
``vpc``/``L-0EA8095F``, lowered), answered as the applied value, as AWS does after an increase.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException
from moto.elbv2.models import ELBv2Backend
from moto.elbv2.responses import ELBV2Response
from moto.servicequotas.models import ServiceQuotasBackend

from emulator.aws_like._patch import replace

DEFAULTS = {"application-load-balancers": 50, "rules-per-application-load-balancer": 100}
LIMITS = dict(DEFAULTS)
"""The account's ELB limits the emulator enforces and reports (one table for every account and region)."""


SERVICE_QUOTAS: dict[tuple[str, str], float] = {}
"""(service code, quota code) -> the applied value a test set."""


def set_limit(name: str, value: int) -> None:
    """Set an ELB limit (``rules-per-application-load-balancer``, ``application-load-balancers``)."""
    if name not in DEFAULTS:
        raise KeyError(f"{name!r} is not an ELB limit the emulator enforces ({', '.join(DEFAULTS)})")
    LIMITS[name] = value


def reset() -> None:
    """Restore AWS's default limits."""
    LIMITS.clear()
    LIMITS.update(DEFAULTS)
    SERVICE_QUOTAS.clear()


def _get_service_quota(original: Any) -> Any:
    def get_service_quota(self: ServiceQuotasBackend, service_code: str, quota_code: str) -> Any:
        quota = original(self, service_code, quota_code)
        if (service_code, quota_code) in SERVICE_QUOTAS:
            quota = {**quota, "Value": SERVICE_QUOTAS[service_code, quota_code]}
        return quota
    return get_service_quota


class _TooMany(ServiceException):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def _create_rule(original: Any) -> Any:
    def create_rule(self: ELBv2Backend, listener_arn: str, *args: Any, **kwargs: Any) -> Any:
        balancer = next((each for each in self.load_balancers.values() if listener_arn in each.listeners), None)
        if balancer is not None:
            rules = sum(len(each._non_default_rules) for each in balancer.listeners.values())
            if rules >= LIMITS["rules-per-application-load-balancer"]:
                raise _TooMany("TooManyRules", "You've reached the limit on the number of rules per load balancer")
        return original(self, listener_arn, *args, **kwargs)
    return create_rule


def _create_load_balancer(original: Any) -> Any:
    def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        kind = kwargs.get("loadbalancer_type") or "application"
        count = sum(1 for balancer in self.load_balancers.values() if balancer.type == "application")
        if kind == "application" and count >= LIMITS["application-load-balancers"]:
            raise _TooMany("TooManyLoadBalancers", "You've reached the limit on the number of load balancers "
                           "for your AWS account")
        return original(self, *args, **kwargs)
    return create_load_balancer


def _describe_account_limits(original: Any) -> Any:
    def describe_account_limits(self: ELBV2Response) -> Any:
        answer = original(self)
        for limit in answer.result["Limits"]:  # type: ignore[index]
            if limit["Name"] in LIMITS:
                limit["Max"] = LIMITS[limit["Name"]]
        return answer
    return describe_account_limits


def apply() -> None:
    """Install the behaviour."""
    replace(ELBv2Backend, "create_rule", _create_rule)
    replace(ELBv2Backend, "create_load_balancer", _create_load_balancer)
    replace(ELBV2Response, "describe_account_limits", _describe_account_limits)
    replace(ServiceQuotasBackend, "get_service_quota", _get_service_quota)
